"""The commands that move a conversation in and out: /save, /save!, /load, /copy."""

from __future__ import annotations

import base64
from pathlib import Path

from ollama_chat.errors import ChatError
from ollama_chat.paths import read_file, user_path, write_private
from ollama_chat.personas import is_path, load_persona
from ollama_chat.transcript import TranscriptError, from_json, to_json, to_markdown
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.text import sanitize


MAX_TRANSCRIPT = 256 * 1024 * 1024


def _path(chat: Chat, arg: str, usage: str) -> Path | None:
    """The file a command names, or None after saying why there is none."""
    if not arg:
        chat.say(usage, "error")
        return None
    try:
        return user_path(arg)
    except ValueError as e:
        chat.say(f"{sanitize(str(e))} Nothing was done.", "error")
        return None


def save(chat: Chat, arg: str, *, overwrite: bool = False) -> None:
    path = _path(chat, arg, "Usage: /save FILE (Markdown, or JSON when FILE ends in .json); /save! FILE overwrites")
    if path is None:
        return
    shown = sanitize(str(path))
    if path.is_dir():
        chat.say(f"{shown} is a folder; give a file name, e.g. /save {sanitize(str(path / 'chat.md'))}", "error")
        return
    session = chat.session
    s = session.settings
    write = to_json if path.suffix.lower() == ".json" else to_markdown
    text = write(session.conversation.exchanges, model=s.model, persona=s.persona.name, system=s.system)
    try:
        write_private(path, text, overwrite=overwrite)
    except FileExistsError:
        chat.say(f"{shown} exists; /save! {sanitize(arg)} overwrites it.", "error")
        return
    except OSError as e:
        chat.say(f"Cannot write {shown}: {e.strerror}. Nothing was saved (an old file there is unchanged); try another path.", "error")
        return
    chat.say(f"Saved {len(session.conversation.exchanges)} exchange(s) to {shown}.")


def save_overwrite(chat: Chat, arg: str) -> None:
    save(chat, arg, overwrite=True)


def load(chat: Chat, arg: str) -> None:
    path = _path(chat, arg, "Usage: /load FILE.json (a transcript saved with /save FILE.json)")
    if path is None:
        return
    session = chat.session
    shown = sanitize(str(path))
    try:
        transcript = from_json(read_file(path, MAX_TRANSCRIPT).decode("utf-8"))
    except FileNotFoundError:
        hint = f" To switch models, use /model {sanitize(arg)}." if arg in _known_models(chat) else ""
        chat.say(f"Cannot read {shown}: no such file.{hint}", "error")
        return
    except OSError as e:
        chat.say(f"Cannot read {shown}: {e.strerror}.", "error")
        return
    except UnicodeDecodeError as e:
        chat.say(f"Cannot load {shown}: it is not UTF-8 text (bad byte at offset {e.start}).", "error")
        return
    except TranscriptError as e:
        chat.say(f"Cannot load {shown}: {e}.", "error")
        return
    saved_persona = transcript.persona
    if saved_persona is not None and saved_persona != session.settings.persona.name:
        try:
            if is_path(saved_persona):  # a transcript names a persona; it never points at a file
                raise ChatError("not a persona name")
            session.switch_persona(load_persona(saved_persona, session.user_persona_dir))
        except ChatError:
            chat.say(f"Its persona '{sanitize(saved_persona)}' is not available here; keeping {session.settings.persona.name}.", "hint")
    if transcript.system is not None and transcript.system != session.settings.system:
        session.set(system=transcript.system)
    session.load(transcript)
    count = len(transcript.exchanges)
    sent = len(session.conversation.window(session.settings.max_messages))
    capped = f"; the newest {sent} are sent (the history cap)" if sent < count else ""
    chat.say(f"Loaded {count} exchange(s) from {shown} (persona {session.settings.persona.name}){capped}.")
    if transcript.model and transcript.model != session.settings.model:
        chat.say(f"It was saved with model {sanitize(transcript.model)}; /model {sanitize(transcript.model)} switches to it.", "hint")


def _known_models(chat: Chat) -> list[str]:
    try:
        return chat.session.models()
    except ChatError:
        return []


def copy(chat: Chat, arg: str) -> None:
    reply = chat.session.last_reply
    if not reply:
        chat.say("No reply to copy yet.", "hint")
        return
    # Plain OSC 52: terminals that allow it set the clipboard, and tmux (set-clipboard on) passes it on itself.
    payload = base64.b64encode(reply.encode("utf-8", "replace")).decode("ascii")
    chat.console.file.write(f"\033]52;c;{payload}\a")
    chat.console.file.flush()
    chat.say(
        f"Sent the last reply ({len(reply)} characters) to the terminal's clipboard (OSC 52). "
        "Nothing pasted? Your terminal may not allow OSC 52 (in tmux: set -g set-clipboard on).",
        "notice",
    )
