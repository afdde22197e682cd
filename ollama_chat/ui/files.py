"""The commands that move a conversation in and out: /save, /save!, /load, /copy."""

from __future__ import annotations

import base64
from pathlib import Path

from ollama_chat.errors import ChatError
from ollama_chat.paths import user_path, write_private
from ollama_chat.resume import Resumed, read_transcript
from ollama_chat.transcript import to_json, to_markdown
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.text import sanitize



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
    exchanges = session.conversation.exchanges
    if path.suffix.lower() == ".json":
        examples = [(e.user, e.assistant) for e in s.persona.examples]
        text = to_json(exchanges, model=s.model, persona=s.persona.name, system=s.system, options=dict(s.options), examples=examples,
                       summary=session.conversation.summary, summarized=session.conversation.summarized)
    else:
        text = to_markdown(exchanges, model=s.model, persona=s.persona.name, system=s.system)
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
        transcript = read_transcript(path, shown)
    except FileNotFoundError:
        hint = f" To switch models, use /model {sanitize(arg)}." if arg in _known_models(chat) else ""
        chat.say(f"Cannot read {shown}: no such file.{hint}", "error")
        return
    except ChatError as e:
        chat.say(e.message, "error")
        return
    session.resume(Resumed(transcript))
    count = len(transcript.exchanges)
    s = session.settings
    sent = session.plan().fit.sent
    capped = f"; the newest {sent} are sent (the history cap)" if sent < count else ""
    chat.say(f"Loaded {count} exchange(s) from {shown} (persona {s.persona.name}, model {sanitize(s.model)}){capped}.")
    if transcript.persona and transcript.persona != s.persona.name:
        chat.say(f"Its persona '{sanitize(transcript.persona)}' is not available here; keeping {s.persona.name}.", "hint")


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
