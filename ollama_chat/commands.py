"""What a line typed at the prompt does: leave, run a slash command from the table, or ask the model."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ollama_chat.conversation import TranscriptError, history_from_transcript, to_markdown, to_transcript, trim_history
from ollama_chat.errors import ChatError, OllamaError
from ollama_chat.options import OPTIONS, OptionError, parse_option_text
from ollama_chat.personas import BUILTIN, list_personas, load_persona
from ollama_chat.render import sanitize
from ollama_chat.session import ChatSession

EXIT_WORDS = ("quit", "exit", "종료")

LEAVE = object()  # returned by a handler to end the REPL


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    help: str
    handler: Callable[[ChatSession, str], object]


def is_exit_word(line: str) -> bool:
    return line.strip().casefold() in EXIT_WORDS


def handle_line(session: ChatSession, line: str) -> bool:
    """Act on one submitted input. False means: leave the REPL."""
    text = line.strip()
    if not text:
        return True
    if is_exit_word(text):
        return False
    if text.startswith("/") and not text.startswith("//"):
        name, _, arg = text.partition(" ")
        command = COMMANDS.get(name.lower())
        if command is None:
            session.say(f"Unknown command {sanitize(name)} — /help lists them", "error")
            return True
        return command.handler(session, arg.strip()) is not LEAVE
    session.ask(strip_block_quotes(line))
    return True


def strip_block_quotes(text: str) -> str:
    """A message typed between two \"\"\" lines (as in `ollama run`) is sent without the quotes."""
    stripped = text.strip()
    if stripped.startswith('"""') and stripped.endswith('"""') and len(stripped) >= 6:
        return stripped[3:-3].strip("\n")
    return text.strip("\n") if text.strip() else text


# -- handlers --------------------------------------------------------------------------------------


def _help(session: ChatSession, arg: str) -> None:
    from rich.table import Table

    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    for command in COMMANDS.values():
        table.add_row(f"{command.name} {command.args}".strip(), command.help)
    session.console.print(table)
    session.say(f"Leave with {', '.join(EXIT_WORDS)}, /bye or Ctrl+D. Alt+Enter or Ctrl+J: new line. "
                '"""…""": a multi-line message. Ctrl+C stops a reply.', "hint")


def _leave(session: ChatSession, arg: str) -> object:
    return LEAVE


def _clear(session: ChatSession, arg: str) -> None:
    session.conversation.clear()
    session.say("History cleared (the system prompt and the persona's examples stay).")


def _system(session: ChatSession, arg: str) -> None:
    if arg:
        session.set_system(arg)
        session.say("System prompt replaced for this session.")
    else:
        session.say(sanitize(session.settings.system) or "(no system prompt)", "plain")


def _persona(session: ChatSession, arg: str) -> None:
    if not arg:
        p = session.settings.persona
        session.say(f"{p.name}: {sanitize(p.description)} [{p.source}]")
        return
    try:
        persona = load_persona(arg, session.user_persona_dir)
    except ChatError as e:
        session.show_error(e)
        return
    session.switch_persona(persona)
    session.say(f"Persona: {persona.name} — {sanitize(persona.description)}. A fresh conversation starts.")


def _personas(session: ChatSession, arg: str) -> None:
    current = session.settings.persona.name
    for info in list_personas(session.user_persona_dir):
        where = "" if info.source == BUILTIN else f"  [{info.source}]"
        mark = "*" if info.name == current else " "
        session.say(f"{mark} {info.name:<12} {sanitize(info.description)}{where}", "plain")


def _model(session: ChatSession, arg: str) -> None:
    if arg:
        session.switch_model(arg)
    else:
        session.say(f"Model: {session.settings.model}")


def _models(session: ChatSession, arg: str) -> None:
    try:
        names = session.models(refresh=True)
    except OllamaError as e:
        session.show_error(e)
        return
    for name in names:
        session.say(("* " if name == session.settings.model else "  ") + sanitize(name), "plain")
    if not names:
        session.say("The server has no models yet: `ollama pull llama3.2`.", "hint")


def _set(session: ChatSession, arg: str) -> None:
    name, _, value = arg.partition(" ")
    if not name or not value.strip():
        session.say("Usage: /set PARAM VALUE, e.g. /set temperature 0.2 (PARAM is any of: " + ", ".join(OPTIONS) + ")", "error")
        return
    try:
        typed = parse_option_text(name, value)
    except OptionError as e:
        session.say(f"/set: {e}", "error")
        return
    session.update(options={**session.settings.options, name: typed})
    session.say(f"{name} = {typed!r}")


def _unset(session: ChatSession, arg: str) -> None:
    if arg not in session.settings.options:
        session.say(f"/unset: {sanitize(arg) or 'PARAM'} is not set. Set: {', '.join(session.settings.options) or 'nothing'}", "error")
        return
    session.update(options={k: v for k, v in session.settings.options.items() if k != arg})
    session.say(f"{arg} unset (the model's default applies).")


def _show(session: ChatSession, arg: str) -> None:
    s = session.settings
    rows = [
        ("host", s.host),
        ("model", s.model),
        ("persona", f"{s.persona.name} [{s.persona.source}]"),
        ("options", json.dumps(dict(s.options), ensure_ascii=False) if s.options else "(model defaults)"),
        ("format", json.dumps(s.format, ensure_ascii=False) if s.format else "off"),
        ("think", {None: "model default", True: "on", False: "off"}.get(s.think, s.think)),  # type: ignore[arg-type]
        ("stream", "on" if s.stream else "off"),
        ("stats", "on" if session.output.show_stats else "off"),
        ("history", f"{session.conversation.turns} of {s.max_messages // 2} exchanges kept ({s.max_messages} messages)"),
        ("system", sanitize(s.system.splitlines()[0] + (" …" if "\n" in s.system else "")) if s.system else "(none)"),
    ]
    for key, value in rows:
        session.say(f"{key:<8} {value}", "plain")


def _history(session: ChatSession, arg: str) -> None:
    history = session.conversation.history
    if not history:
        session.say("No exchanges kept yet.", "hint")
        return
    for i in range(0, len(history), 2):
        q, a = history[i]["content"], history[i + 1]["content"]
        session.say(f"{i // 2 + 1}. you: {_preview(q)}", "plain")
        session.say(f"   {session.settings.model}: {_preview(a)}", "hint")


def _preview(text: str, width: int = 70) -> str:
    flat = " ".join(sanitize(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _retry(session: ChatSession, arg: str) -> None:
    session.retry()


def _undo(session: ChatSession, arg: str) -> None:
    undone = session.conversation.undo()
    session.say(f"Dropped the last exchange ({_preview(undone[0], 40)})." if undone else "Nothing to undo.")


def _format(session: ChatSession, arg: str) -> None:
    if arg not in ("json", "off"):
        session.say("Usage: /format json|off", "error")
        return
    session.update(format="json" if arg == "json" else None)
    session.say(f"format: {arg}")


def _stats(session: ChatSession, arg: str) -> None:
    if arg not in ("on", "off"):
        session.say("Usage: /stats on|off", "error")
        return
    session.output.show_stats = arg == "on"
    session.say(f"stats: {arg}")


def _save(session: ChatSession, arg: str, *, overwrite: bool = False) -> None:
    if not arg:
        session.say("Usage: /save FILE (Markdown, or JSON when FILE ends in .json); /save! FILE overwrites", "error")
        return
    path = Path(arg).expanduser()
    if path.is_dir():
        session.say(f"{path} is a folder; give a file name, e.g. /save {path / 'chat.md'}", "error")
        return
    s = session.settings
    if path.suffix.lower() == ".json":
        text = json.dumps(to_transcript(session.conversation, model=s.model, persona=s.persona.name), ensure_ascii=False, indent=2)
    else:
        text = to_markdown(session.conversation, model=s.model, persona=s.persona.name)
    try:
        with open(path, "w" if overwrite else "x", encoding="utf-8") as f:
            f.write(text + "\n")
    except FileExistsError:
        session.say(f"{path} exists; /save! {arg} overwrites it.", "error")
        return
    except OSError as e:
        session.say(f"Cannot write {path}: {e.strerror}. Nothing was saved; try another path.", "error")
        return
    session.say(f"Saved {session.conversation.turns} exchange(s) to {path}.")


def _save_overwrite(session: ChatSession, arg: str) -> None:
    _save(session, arg, overwrite=True)


def _load(session: ChatSession, arg: str) -> None:
    if not arg:
        session.say("Usage: /load FILE.json (a transcript saved with /save FILE.json)", "error")
        return
    path = Path(arg).expanduser()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        system, history = history_from_transcript(data)
    except OSError as e:
        session.say(f"Cannot read {path}: {e.strerror}.", "error")
        return
    except TranscriptError as e:
        session.say(f"Cannot load {path}: {e}.", "error")
        return
    except ValueError:
        session.say(f"Cannot load {path}: it is not JSON. /load takes a transcript saved with /save FILE.json.", "error")
        return
    saved_persona, saved_model = data.get("persona"), data.get("model")
    if isinstance(saved_persona, str) and saved_persona != session.settings.persona.name:
        try:
            session.switch_persona(load_persona(saved_persona, session.user_persona_dir))
        except ChatError:
            session.say(f"Its persona '{sanitize(saved_persona)}' is not available here; keeping {session.settings.persona.name}.", "hint")
    if system is not None:
        session.set_system(system)
    session.conversation.history = trim_history(history, session.settings.max_messages)
    kept = session.conversation.turns
    dropped = f"; the oldest {len(history) // 2 - kept} were dropped to fit the history cap" if kept < len(history) // 2 else ""
    session.say(f"Loaded {kept} exchange(s) from {path} (persona {session.settings.persona.name}){dropped}.")
    if isinstance(saved_model, str) and saved_model != session.settings.model:
        session.say(f"It was saved with model {sanitize(saved_model)}; /model {sanitize(saved_model)} switches to it.", "hint")


def _copy(session: ChatSession, arg: str) -> None:
    if not session.last_answer:
        session.say("No reply to copy yet.", "hint")
        return
    # Plain OSC 52: terminals that allow it set the clipboard, and tmux (set-clipboard on) passes it on itself.
    payload = base64.b64encode(session.last_answer.encode("utf-8")).decode("ascii")
    session.console.file.write(f"\033]52;c;{payload}\a")
    session.console.file.flush()
    session.say(
        f"Sent the last reply ({len(session.last_answer)} characters) to the terminal's clipboard (OSC 52). "
        "Nothing pasted? Your terminal may not allow OSC 52 (in tmux: set -g set-clipboard on).",
        "notice",
    )


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("/help", "", "this list", _help),
        Command("/clear", "", "forget the conversation (keeps the persona)", _clear),
        Command("/system", "[TEXT]", "show or replace the system prompt", _system),
        Command("/persona", "[NAME]", "show or switch the persona (starts afresh; your /set options stay)", _persona),
        Command("/personas", "", "list personas", _personas),
        Command("/model", "[NAME]", "show or switch the model", _model),
        Command("/models", "", "list the server's models", _models),
        Command("/set", "PARAM VALUE", "set an Ollama option (temperature, top_p, num_ctx, stop, ...)", _set),
        Command("/unset", "PARAM", "back to the model's default", _unset),
        Command("/show", "", "the effective settings", _show),
        Command("/history", "", "the exchanges kept", _history),
        Command("/retry", "", "ask the last question again", _retry),
        Command("/undo", "", "drop the last exchange", _undo),
        Command("/format", "json|off", "ask for JSON answers", _format),
        Command("/stats", "on|off", "tokens/s and timings after each reply", _stats),
        Command("/save", "FILE", "save the conversation (Markdown, or JSON for .json)", _save),
        Command("/save!", "FILE", "save, overwriting FILE", _save_overwrite),
        Command("/load", "FILE", "resume a conversation saved as JSON", _load),
        Command("/copy", "", "copy the last reply to the clipboard (OSC 52, works over SSH)", _copy),
        Command("/bye", "", "leave (also /exit, /quit, quit, exit, 종료, Ctrl+D)", _leave),
        Command("/exit", "", "leave", _leave),
        Command("/quit", "", "leave", _leave),
    )
}
