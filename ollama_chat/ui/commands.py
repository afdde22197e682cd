"""What a line typed at the prompt does: leave, run a slash command from the table, or ask the model.

Ollama's own REPL habits (`/set parameter num_ctx 4096`, `/set system …`, `/set verbose`, `/show info`)
are accepted as aliases of our commands, and an unknown command gets a "did you mean".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text

from ollama_chat.backends.base import BackendError
from ollama_chat.errors import ChatError
from ollama_chat.options import OPTIONS, OptionError, parse_option_text
from ollama_chat.personas import BUILTIN, THINK_LEVELS, list_personas, load_persona
from ollama_chat.suggest import did_you_mean
from ollama_chat.context import Plan
from ollama_chat.session import ChatSession
from ollama_chat.ui import conversations, files
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.text import sanitize
from ollama_chat.ui.conversations import preview
from ollama_chat.ui.wrap import cell_width, pad

EXIT_WORDS = ("quit", "exit", "종료")

LEAVE = object()  # returned by a handler to end the REPL


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    help: str
    handler: Callable[[Chat, str], object]


def is_exit_word(line: str) -> bool:
    return line.strip().casefold() in EXIT_WORDS


def handle_line(chat: Chat, line: str) -> bool:
    """Act on one submitted input. False means: leave the REPL."""
    text = line.strip()
    if not text:
        return True
    if is_exit_word(text):
        return False
    if text.startswith("/") and not text.startswith("//"):
        name, _, arg = text.partition(" ")
        name, arg = translate_ollama(name.lower(), arg.strip())
        command = COMMANDS.get(name)
        if command is None:
            guess = did_you_mean(name, COMMANDS, n=2)
            chat.say(f"Unknown command {sanitize(name)}.{' ' + guess if guess else ''} /help lists them.", "error")
            return True
        return command.handler(chat, arg) is not LEAVE
    chat.session.ask(strip_block_quotes(line))
    return True


def strip_block_quotes(text: str) -> str:
    """A message typed between two \"\"\" lines (as in `ollama run`) is sent without the quotes."""
    stripped = text.strip()
    if stripped.startswith('"""') and stripped.endswith('"""') and len(stripped) >= 6:
        return stripped[3:-3].strip("\n")
    return text.strip("\n") if text.strip() else text


_OLLAMA_SET = {
    "verbose": ("/stats", "on"),
    "quiet": ("/stats", "off"),
    "noformat": ("/format", "off"),
    "nothink": ("/think", "off"),
}


def translate_ollama(name: str, arg: str) -> tuple[str, str]:
    """`ollama run`'s spellings as ours: `/set parameter X V` -> `/set X V`, `/set system T` -> `/system T`,
    `/set verbose` -> `/stats on`, `/set format json` -> `/format json`, `/set think` -> `/think on`,
    `/show info` -> `/show`, `/?` -> `/help`."""
    if name == "/?":
        return "/help", arg
    if name == "/show" and arg in ("info", "parameters", "modelfile", "template", "license"):
        return "/show", ""
    if name == "/show" and arg == "system":
        return "/system", ""
    if name != "/set":
        return name, arg
    word, _, rest = arg.partition(" ")
    rest = rest.strip()
    if word == "parameter":
        return "/set", rest
    if word in ("system", "format"):
        return f"/{word}", rest
    if word == "think":
        return "/think", rest or "on"
    if word in _OLLAMA_SET and not rest:
        return _OLLAMA_SET[word]
    if word == "verbose" and rest in ("on", "off"):
        return "/stats", rest
    return name, arg


# -- handlers -------------------------------------------------------------------------------------------------


def _help(chat: Chat, arg: str) -> None:
    from rich.table import Table

    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    for command in COMMANDS.values():
        table.add_row(Text(f"{command.name} {command.args}".strip()), Text(command.help))  # text, not markup
    chat.console.print(table)
    chat.say(
        f"Leave with {', '.join(EXIT_WORDS)}, /bye or Ctrl+D. Alt+Enter or Ctrl+J: new line. "
        '"""…""": a multi-line message. Ctrl+C stops a reply. '
        "Ollama's /set parameter, /set system, /set verbose, /set format and /set think work too.",
        "hint",
    )


def _leave(chat: Chat, arg: str) -> object:
    return LEAVE


def _clear(chat: Chat, arg: str) -> None:
    chat.session.clear()
    kept = " The one before is kept: /resume brings it back." if chat.session.recorder.saving else ""
    chat.say(f"A new conversation starts (the system prompt and the persona's examples stay).{kept}")


def _system(chat: Chat, arg: str) -> None:
    if arg:
        chat.session.set(system=arg)
        chat.say("System prompt replaced for this session.")
    else:
        chat.say(sanitize(chat.session.settings.system) or "(no system prompt)", "plain")


def _persona(chat: Chat, arg: str) -> None:
    session = chat.session
    if not arg:
        p = session.settings.persona
        chat.say(f"{p.name}: {sanitize(p.description)} [{sanitize(p.source)}]")
        return
    try:
        persona = load_persona(arg, session.user_persona_dir)
    except ChatError as e:
        session.notify.error(e)
        return
    session.switch_persona(persona)
    chat.say(f"Persona: {persona.name} — {sanitize(persona.description)}. A fresh conversation starts.")


def _personas(chat: Chat, arg: str) -> None:
    current = chat.session.settings.persona.name
    infos = list_personas(chat.session.user_persona_dir)
    width = max(12, *(cell_width(info.name) for info in infos))
    for info in infos:
        where = "" if info.source == BUILTIN else f"  [{sanitize(info.source)}]"
        mark = "*" if info.name == current else " "
        chat.say(f"{mark} {pad(info.name, width)} {sanitize(info.description)}{where}", "plain")


def _model(chat: Chat, arg: str) -> None:
    if arg:
        chat.session.switch_model(arg)
    else:
        chat.say(f"Model: {sanitize(chat.session.settings.model)}")


def _models(chat: Chat, arg: str) -> None:
    try:
        names = chat.session.models(refresh=True)
    except BackendError as e:
        chat.session.notify.error(e)
        return
    for name in names:
        chat.say(("* " if name == chat.session.settings.model else "  ") + sanitize(name), "plain")
    if not names:
        chat.say("The server has no models yet: `ollama pull llama3.2`.", "hint")


def _set(chat: Chat, arg: str) -> None:
    name, _, value = arg.partition(" ")
    if not name or not value.strip():
        chat.say("Usage: /set PARAM VALUE, e.g. /set temperature 0.2 (PARAM is any of: " + ", ".join(OPTIONS) + ")", "error")
        return
    try:
        typed = parse_option_text(name, value)
    except OptionError as e:
        chat.say(f"/set: {sanitize(str(e))}", "error")
        return
    chat.session.set_option(name, typed)
    chat.say(f"{name} = {typed!r}")


def _unset(chat: Chat, arg: str) -> None:
    options = chat.session.settings.options
    if arg not in options:
        chat.say(f"/unset: {sanitize(arg) or 'PARAM'} is not set. Set: {', '.join(options) or 'nothing'}", "error")
        return
    chat.session.unset_option(arg)
    chat.say(f"{arg} unset (the model's default applies).")


def _show(chat: Chat, arg: str) -> None:
    session = chat.session
    s = session.settings
    plan = session.plan()
    sent = plan.fit.sent
    rows = [
        ("host", s.host),
        ("model", f"{sanitize(s.model)} (from {_SOURCES[session.layers.source_of('model')]})"),
        ("persona", f"{s.persona.name} [{sanitize(s.persona.source)}]"),
        ("options", sanitize(json.dumps(dict(s.options), ensure_ascii=False)) if s.options else "(model defaults)"),
        ("format", "off" if not s.format else s.format if s.format == "json" else sanitize(json.dumps(s.format, ensure_ascii=False))),
        ("think", _think_text(s.think)),
        ("stream", "on" if s.stream else "off"),
        ("stats", "on" if s.verbose else "off"),
        ("history", _history_text(len(session.conversation.exchanges), sent, s.max_messages)),
        ("context", _context_text(session, plan)),
        ("system", sanitize(s.system.splitlines()[0] + (" …" if "\n" in s.system else "")) if s.system else "(none)"),
    ]
    from rich.table import Table

    table = Table.grid(padding=(0, 1))  # a long value wraps under itself, not under the names
    table.add_column(no_wrap=True, min_width=8)
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(Text(key), Text(value))  # text, not markup: "[built-in]" is a word here
    chat.console.print(table)


_SOURCES = {"defaults": "the default", "config": "the config file", "env": "the environment", "persona": "the persona",
            "resumed": "the resumed conversation", "flags": "the command line", "session": "/model"}


def _history_text(total: int, sent: int, cap: int) -> str:
    count = f"{total} exchange{'' if total == 1 else 's'}"
    if sent < total:
        last = "the last one is" if sent == 1 else "none are" if sent == 0 else f"the last {sent} are"
        return f"{count}; {last} sent with each question (cap {cap} messages)"
    return f"{count}, all sent with each question (cap {cap} messages)"


def _context_text(session: ChatSession, plan: Plan) -> str:
    window = plan.window
    src = session.layers.source_of("options", "num_ctx")
    why = {"num_ctx": f"num_ctx, set by {'/set' if src == 'session' else _SOURCES[src]}",
           "loaded": "the window Ollama loaded the model with",
           "default": "Ollama's default; the model is not loaded yet"}[window.source]
    most = f"; the model supports up to {window.model_max:,}" if window.model_max else ""
    cal = session.context.calibration(session.settings.model)
    counted = (f"token counts estimated, corrected by what {sanitize(session.settings.model)} counted in {cal.samples}"
               f" repl{'y' if cal.samples == 1 else 'ies'}") if cal.samples else "token counts estimated (no replies to learn from yet)"
    return (f"{window.tokens:,} tokens ({why}{most}). The next question goes with about {plan.fit.tokens:,} tokens of"
            f" conversation; {counted}.")


def _think_text(value: bool | str | None) -> str:
    return {None: "model default", True: "on", False: "off"}.get(value, str(value))  # type: ignore[arg-type]


def _pull(chat: Chat, arg: str) -> None:
    from ollama_chat.ui.progress import PullView

    name = arg or chat.session.settings.model
    if chat.session.pull(name, PullView(chat.console)) and not arg:
        chat.session.check_model()


def _compact(chat: Chat, arg: str) -> None:
    chat.session.compact()


def _retry(chat: Chat, arg: str) -> None:
    chat.session.retry()


def _undo(chat: Chat, arg: str) -> None:
    undone = chat.session.undo()
    if undone is None:
        chat.say("Nothing to undo.")
        return
    chat.console.print(Text("Dropped the last exchange (", style="notice") + preview(undone.question.content, 40) + Text(").", style="notice"))


def _format(chat: Chat, arg: str) -> None:
    if arg not in ("json", "off"):
        chat.say("Usage: /format json|off", "error")
        return
    chat.session.set(format="json" if arg == "json" else None)
    chat.say(f"format: {arg}")


def _stats(chat: Chat, arg: str) -> None:
    if arg not in ("on", "off"):
        chat.say("Usage: /stats on|off", "error")
        return
    chat.session.set(verbose=arg == "on")
    chat.say(f"stats: {arg}")


_THINK = {"on": True, "off": False, **{level: level for level in THINK_LEVELS}}


def _think(chat: Chat, arg: str) -> None:
    if arg not in _THINK:
        chat.say(f"Usage: /think {'|'.join(_THINK)} (now: {_think_text(chat.session.settings.think)})", "error")
        return
    chat.say(f"think: {arg}")
    chat.session.set_think(_THINK[arg])


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("/help", "", "this list", _help),
        Command("/clear", "", "start a new conversation (keeps the persona; the old one stays in /resume)", _clear),
        Command("/system", "[TEXT]", "show or replace the system prompt", _system),
        Command("/persona", "[NAME]", "show or switch the persona (starts afresh; your model and /set options stay)", _persona),
        Command("/personas", "", "list personas", _personas),
        Command("/model", "[NAME]", "show or switch the model", _model),
        Command("/models", "", "list the server's models", _models),
        Command("/pull", "[NAME]", "download a model (default: the current one), with its progress", _pull),
        Command("/set", "PARAM VALUE", "set an Ollama option (temperature, top_p, num_ctx, stop, ...)", _set),
        Command("/unset", "PARAM", "back to the model's default", _unset),
        Command("/show", "", "the effective settings", _show),
        Command("/history", "[N]", "the exchanges so far; N: one of them in full", conversations.history),
        Command("/title", "[TEXT]", "show or name this conversation's title (in `ollama-chat history`)", conversations.title),
        Command("/resume", "[N|ID]", "go on with an earlier conversation (without N: list the recent ones)", conversations.resume),
        Command("/compact", "", "summarise the exchanges that no longer fit the context window, and send that instead", _compact),
        Command("/retry", "", "ask the last question again", _retry),
        Command("/undo", "", "drop the last exchange", _undo),
        Command("/format", "json|off", "ask for JSON answers", _format),
        Command("/think", "on|off|low|medium|high", "ask the model to think first, or not", _think),
        Command("/stats", "on|off", "tokens/s and timings after each reply", _stats),
        Command("/save", "FILE", "save the conversation (Markdown, or JSON for .json)", files.save),
        Command("/save!", "FILE", "save, overwriting FILE", files.save_overwrite),
        Command("/load", "FILE", "resume a conversation saved as JSON", files.load),
        Command("/copy", "", "copy the last reply to the clipboard (OSC 52, works over SSH)", files.copy),
        Command("/bye", "", "leave (also /exit, /quit, quit, exit, 종료, Ctrl+D)", _leave),
        Command("/exit", "", "leave", _leave),
        Command("/quit", "", "leave", _leave),
    )
}
