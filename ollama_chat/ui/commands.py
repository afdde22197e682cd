"""What a line typed at the prompt does: leave, run a slash command from the table, or ask the model.

Ollama's own REPL habits (`/set parameter num_ctx 4096`, `/set system …`, `/set verbose`, `/show info`)
are accepted as aliases of our commands, and an unknown command gets a "did you mean".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text

from ollama_chat.backends.base import BackendError
from ollama_chat.errors import ChatError
from ollama_chat.i18n import N_, _, ngettext
from ollama_chat.options import OPTIONS, OptionError, parse_option_text
from ollama_chat.chat.personas import BUILTIN, THINK_LEVELS, list_personas, load_persona, shown_source
from ollama_chat.suggest import did_you_mean
from ollama_chat.ui import attach, conversations, files, show
from ollama_chat.ui.chat import Chat
from ollama_chat.text import one_line, sanitize
from ollama_chat.ui.conversations import preview
from ollama_chat.ui.editor import EditorError
from ollama_chat.ui.korean_keys import from_korean_keys, is_hangul
from ollama_chat.ui.show import think_text
from ollama_chat.text import cell_width, pad

EXIT_WORDS = ("quit", "exit", "종료", "나가기", "끝")

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
        typed, _sep, arg = text.partition(" ")
        name = typed.lower()
        if name not in COMMANDS and any(is_hangul(c) for c in name):
            name = from_korean_keys(name).lower()  # typed with the Korean layout on: /ㅗ디ㅔ is /help
        name, arg = translate_ollama(name, arg.strip())
        command = COMMANDS.get(name)
        if command is None:
            guess = did_you_mean(name, COMMANDS, n=2)
            shown = typed.lower() if any(is_hangul(c) for c in typed) else name
            chat.say(_("Unknown command {name}.{guess} /help lists them.").format(
                name=one_line(shown), guess=" " + guess if guess else ""), "error")
            return True
        return command.handler(chat, arg) is not LEAVE
    attach.ask(chat, strip_block_quotes(line))
    return True


# The two-set (두벌식) Korean layout: the jamo each QWERTY key types (shifted keys as capitals).
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
    word, _sep, rest = arg.partition(" ")
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
        table.add_row(Text(f"{command.name} {command.args}".strip()), Text(_(command.help)))  # text, not markup
    chat.console.print(table)
    chat.say(
        _("Leave with {words}, /bye or Ctrl+D. Alt+Enter or Ctrl+J: new line. "
          '"""…""": a multi-line message. Ctrl+G: write the message in your editor. Ctrl+C stops a reply. '
          "Ollama's /set parameter, /set system, /set verbose, /set format and /set think work too.").format(
            words=", ".join(EXIT_WORDS)),
        "hint",
    )


def _leave(chat: Chat, arg: str) -> object:
    return LEAVE


def _clear(chat: Chat, arg: str) -> None:
    waiting = len(chat.session.tray)
    chat.session.clear()
    if waiting:
        chat.say(ngettext("The {n} waiting attachment was dropped too.", "The {n} waiting attachments were dropped too.",
                          waiting).format(n=waiting), "hint")
    if chat.session.recorder.saving:
        chat.say(_("A new conversation starts (the system prompt and the persona's examples stay)."
                   " The one before is kept: /resume brings it back."))
    else:
        chat.say(_("A new conversation starts (the system prompt and the persona's examples stay)."))


def _system(chat: Chat, arg: str) -> None:
    if arg:
        chat.session.set(system=arg)
        chat.say(_("System prompt replaced for this session."))
    else:
        chat.say(sanitize(chat.session.settings.system) or _("(no system prompt)"), "plain")


def _persona(chat: Chat, arg: str) -> None:
    session = chat.session
    if not arg:
        p = session.settings.persona
        chat.say(f"{p.name}: {one_line(p.description)} [{one_line(shown_source(p.source))}]")
        return
    try:
        persona = load_persona(arg, session.user_persona_dir)
    except ChatError as e:
        session.notify.error(e)
        return
    session.switch_persona(persona)
    chat.say(_("Persona: {name} — {description}. A fresh conversation starts.").format(
        name=persona.name, description=one_line(persona.description)))


def _personas(chat: Chat, arg: str) -> None:
    current = chat.session.settings.persona.name
    infos = list_personas(chat.session.user_persona_dir)
    width = max(12, *(cell_width(info.name) for info in infos))
    for info in infos:
        where = "" if info.source == BUILTIN else f"  [{one_line(info.source)}]"
        mark = "*" if info.name == current else " "
        chat.say(f"{mark} {pad(info.name, width)} {one_line(info.description)}{where}", "plain")


def _model(chat: Chat, arg: str) -> None:
    if arg:
        chat.session.switch_model(arg)
    else:
        chat.say(_("Model: {model}").format(model=one_line(chat.session.settings.model)))


def _models(chat: Chat, arg: str) -> None:
    try:
        names = chat.session.models(refresh=True)
    except BackendError as e:
        chat.session.notify.error(e)
        return
    for name in names:
        chat.say(("* " if name == chat.session.settings.model else "  ") + one_line(name), "plain")
    if not names:
        chat.say(_("The server has no models yet: `ollama pull llama3.2`."), "hint")


def _set(chat: Chat, arg: str) -> None:
    name, _sep, value = arg.partition(" ")
    if not name or not value.strip():
        chat.say(_("Usage: /set PARAM VALUE, e.g. /set temperature 0.2 (PARAM is any of: {options})").format(
            options=", ".join(OPTIONS)), "error")
        return
    try:
        typed = parse_option_text(name, value)
    except OptionError as e:
        chat.say(f"/set: {one_line(str(e))}", "error")
        return
    chat.session.set_option(name, typed)
    chat.say(f"{name} = {typed!r}")


def _unset(chat: Chat, arg: str) -> None:
    options = chat.session.settings.options
    if arg not in options:
        chat.say(_("/unset: {name} is not set. Set: {options}").format(
            name=one_line(arg) or "PARAM", options=", ".join(options) or _("nothing")), "error")
        return
    chat.session.unset_option(arg)
    chat.say(_("{name} unset (the model's default applies).").format(name=arg))


def _pull(chat: Chat, arg: str) -> None:
    from ollama_chat.ui.progress import PullView

    name = arg or chat.session.settings.model
    if chat.session.pull(name, PullView(chat.console)) and not arg:
        chat.session.check_model()


def _compact(chat: Chat, arg: str) -> None:
    chat.session.compact()


def _retry(chat: Chat, arg: str) -> None:
    chat.session.retry()


def _edit(chat: Chat, arg: str) -> None:
    words = chat.session.last_words
    if words is None:
        chat.say(_("Nothing to edit: ask something first (after /undo, ↑ brings the question back)."), "hint")
        return
    if chat.editor is None:
        chat.say(_("/edit needs a terminal to run the editor on."), "error")
        return
    try:
        edited = chat.editor.edit(words)
    except EditorError as e:
        chat.session.notify.error(e)
        return
    if edited is None:
        chat.say(_("Unchanged; nothing sent."), "hint")
        return
    edited = strip_block_quotes(edited)
    before, _sep, after = _("In place of the last exchange, asking: {question}").partition("{question}")
    chat.console.print(Text(before, style="notice") + preview(edited, 60) + Text(after, style="notice"))
    chat.session.edit_last(edited)


def _undo(chat: Chat, arg: str) -> None:
    undone = chat.session.undo()
    if undone is None:
        chat.say(_("Nothing to undo."))
        return
    before, _sep, after = _("Dropped the last exchange ({question}).").partition("{question}")
    chat.console.print(Text(before, style="notice") + preview(undone.question.words, 40) + Text(after, style="notice"))


def _format(chat: Chat, arg: str) -> None:
    if arg not in ("json", "off"):
        chat.say(_("Usage: /format json|off"), "error")
        return
    chat.session.set(format="json" if arg == "json" else None)
    chat.say(f"format: {arg}")


def _stats(chat: Chat, arg: str) -> None:
    if arg not in ("on", "off"):
        chat.say(_("Usage: /stats on|off"), "error")
        return
    chat.session.set(verbose=arg == "on")
    chat.say(f"stats: {arg}")


_THINK = {"on": True, "off": False, **{level: level for level in THINK_LEVELS}}


def _think(chat: Chat, arg: str) -> None:
    if arg not in _THINK:
        chat.say(_("Usage: /think {choices} (now: {now})").format(
            choices="|".join(_THINK), now=think_text(chat.session.settings.think)), "error")
        return
    chat.say(f"think: {arg}")
    chat.session.set_think(_THINK[arg])


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("/help", "", N_("this list"), _help),
        Command("/clear", "", N_("start a new conversation (keeps the persona; the old one stays in /resume)"), _clear),
        Command("/system", "[TEXT]", N_("show or replace the system prompt"), _system),
        Command("/persona", "[NAME]", N_("show or switch the persona (starts afresh; your model and /set options stay)"), _persona),
        Command("/personas", "", N_("list personas"), _personas),
        Command("/model", "[NAME]", N_("show or switch the model"), _model),
        Command("/models", "", N_("list the server's models"), _models),
        Command("/pull", "[NAME]", N_("download a model (default: the current one), with its progress"), _pull),
        Command("/set", "PARAM VALUE", N_("set a model option (temperature, top_p, num_ctx, stop, ...)"), _set),
        Command("/unset", "PARAM", N_("back to the model's default"), _unset),
        Command("/show", "", N_("the effective settings"), show.show),
        Command("/history", "[N]", N_("the exchanges so far; N: one of them in full"), conversations.history),
        Command("/title", "[TEXT]", N_("show or name this conversation's title (in `ollama-chat history`)"), conversations.title),
        Command("/resume", "[N|ID]", N_("go on with an earlier conversation (without N: list the recent ones)"), conversations.resume),
        Command("/compact", "", N_("summarise the exchanges that no longer fit the context window, and send that instead"), _compact),
        Command("/retry", "", N_("ask the last question again"), _retry),
        Command("/edit", "", N_("edit the last question in your editor ($VISUAL/$EDITOR) and ask it instead"), _edit),
        Command("/undo", "", N_("drop the last exchange"), _undo),
        Command("/format", "json|off", N_("ask for JSON answers"), _format),
        Command("/think", "on|off|low|medium|high", N_("ask the model to think first, or not"), _think),
        Command("/stats", "on|off", N_("tokens/s and timings after each reply"), _stats),
        Command("/read", "PATH…", N_("attach text files to your next message (a folder or glob: its text files; @path in a"
                                     " message works too)"), attach.read),
        Command("/image", "PATH…", N_("attach images to your next message, for a model that can see"), attach.image),
        Command("/save", "FILE", N_("save the conversation (Markdown, or JSON for .json)"), files.save),
        Command("/save!", "FILE", N_("save, overwriting FILE"), files.save_overwrite),
        Command("/load", "FILE", N_("resume a conversation saved as JSON"), files.load),
        Command("/copy", "[code [N]]", N_("copy the last reply to the clipboard (OSC 52, works over SSH); code: its last"
                                          " code block, code N: the one numbered N"), files.copy),
        Command("/bye", "", N_("leave (also /exit, /quit, quit, exit, 종료, 나가기, 끝, Ctrl+D)"), _leave),
        Command("/exit", "", N_("leave"), _leave),
        Command("/quit", "", N_("leave"), _leave),
    )
}
