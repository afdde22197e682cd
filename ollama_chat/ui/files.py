"""The commands that move a conversation in and out: /save, /save!, /load, /copy (a reply or one of its code blocks)."""

from __future__ import annotations

import base64
from pathlib import Path

from ollama_chat.errors import ChatError
from ollama_chat.i18n import _, ngettext
from ollama_chat.paths import user_path, write_private
from ollama_chat.chat.resume import Resumed, read_transcript
from ollama_chat.store.transcript import to_json, to_markdown
from ollama_chat.ui.chat import Chat
from ollama_chat.text import one_line, sanitize



def _path(chat: Chat, arg: str, usage: str) -> Path | None:
    """The file a command names, or None after saying why there is none."""
    if not arg:
        chat.say(usage, "error")
        return None
    try:
        return user_path(arg)
    except ValueError as e:
        chat.say(_("{error} Nothing was done.").format(error=one_line(str(e))), "error")
        return None


def save(chat: Chat, arg: str, *, overwrite: bool = False) -> None:
    path = _path(chat, arg, _("Usage: /save FILE (Markdown, or JSON when FILE ends in .json); /save! FILE overwrites"))
    if path is None:
        return
    shown = one_line(str(path))
    if path.is_dir():
        chat.say(_("{path} is a folder; give a file name, e.g. /save {example}").format(
            path=shown, example=one_line(str(path / "chat.md"))), "error")
        return
    session = chat.session
    s = session.settings
    exchanges = session.conversation.exchanges
    if path.suffix.lower() == ".json":
        examples = [(e.user, e.assistant) for e in s.persona.examples]
        text = to_json(exchanges, model=s.model, persona=s.persona.name, system=s.system, options=dict(s.options), examples=examples,
                       summary=session.conversation.summary, summarized=session.conversation.summarized,
                       server=s.server)
    else:
        text = to_markdown(exchanges, model=s.model, persona=s.persona.name, system=s.system)
    try:
        write_private(path, text, overwrite=overwrite)
    except FileExistsError:
        chat.say(_("{path} exists; /save! {name} overwrites it.").format(path=shown, name=one_line(arg)), "error")
        return
    except OSError as e:
        chat.say(_("Cannot write {path}: {reason}. Nothing was saved (an old file there is unchanged); try another path.").format(
            path=shown, reason=e.strerror), "error")
        return
    chat.say(_("Saved {n} exchange(s) to {path}.").format(n=len(session.conversation.exchanges), path=shown))


def save_overwrite(chat: Chat, arg: str) -> None:
    save(chat, arg, overwrite=True)


def load(chat: Chat, arg: str) -> None:
    path = _path(chat, arg, _("Usage: /load FILE.json (a transcript saved with /save FILE.json)"))
    if path is None:
        return
    session = chat.session
    shown = one_line(str(path))
    try:
        transcript = read_transcript(path, shown)
    except FileNotFoundError:
        text = _("Cannot read {path}: no such file.").format(path=shown)
        if arg in _known_models(chat):
            text += " " + _("To switch models, use /model {name}.").format(name=one_line(arg))
        chat.say(text, "error")
        return
    except ChatError as e:
        chat.say(one_line(e.message), "error")
        return
    continuation = session.resume(Resumed(transcript))
    count = len(transcript.exchanges)
    s = session.settings
    sent = session.plan().fit.sent
    if sent < count:
        text = _("Loaded {n} exchange(s) from {path} (persona {persona}, model {model}); the newest {sent} are sent"
                 " (the history cap).")
    else:
        text = _("Loaded {n} exchange(s) from {path} (persona {persona}, model {model}).")
    chat.say(text.format(n=count, path=shown, persona=s.persona.name, model=one_line(s.model), sent=sent))
    for notice in continuation.notices:
        chat.say(notice, "warning")
    if transcript.persona and transcript.persona != s.persona.name:
        chat.say(_("Its persona '{persona}' is not available here; keeping {current}.").format(
            persona=one_line(transcript.persona), current=s.persona.name), "hint")


def _known_models(chat: Chat) -> list[str]:
    try:
        return chat.session.models()
    except ChatError:
        return []


def copy(chat: Chat, arg: str) -> None:
    """/copy: the last reply. /copy code [N]: its last (or Nth) code block, numbered as the screen numbers them."""
    words = arg.split()
    if words and (words[0].lower() != "code" or len(words) > 2):
        chat.say(_("/copy takes nothing (the last reply) or code [N] (one of its code blocks), not {arg}.").format(
            arg=one_line(arg)), "error")
        return
    reply = chat.session.last_reply
    if not reply:
        chat.say(_("No reply to copy yet."), "hint")
        return
    if not words:
        text = sanitize(reply)  # as the screen showed it: a raw ESC[201~ would end a shell's bracketed paste
        _send_to_clipboard(chat, text)
        chat.say(
            _("Sent the last reply ({n} characters) to the terminal's clipboard (OSC 52). "
              "Nothing pasted? Your terminal may not allow OSC 52 (in tmux: set -g set-clipboard on).").format(n=len(text)),
            "notice",
        )
        return
    # Parsed as the screen showed it (sanitised): the same blocks, numbers and characters the user saw. The
    # parser is imported here, not at start-up: the prompt shows before markdown-it is loaded.
    from ollama_chat.ui.blocks import code_blocks

    blocks = code_blocks(sanitize(reply))
    n = len(blocks)
    if not blocks:
        chat.say(_("The last reply has no code blocks."), "hint")
        return
    has = ngettext("The last reply has {n} code block.", "The last reply has {n} code blocks.", n).format(n=n)
    number = words[1] if len(words) > 1 else str(n)
    if not number.isdecimal():
        chat.say(_("{arg} is not a code block number.").format(arg=one_line(number)) + " " + has, "error")
        return
    index = int(number)
    if not 1 <= index <= n:
        chat.say(_("There is no code block {index}.").format(index=index) + " " + has, "error")
        return
    language, code = blocks[index - 1]
    if not code:
        chat.say(_("Code block {index} is empty; nothing was copied.").format(index=index), "hint")
        return
    _send_to_clipboard(chat, code)
    lines = code.count("\n") + 1
    if language:
        sent = ngettext("Sent code block {index} of {n} ({language}, {lines} line) to the terminal's clipboard (OSC 52).",
                        "Sent code block {index} of {n} ({language}, {lines} lines) to the terminal's clipboard (OSC 52).",
                        lines)
    else:
        sent = ngettext("Sent code block {index} of {n} ({lines} line) to the terminal's clipboard (OSC 52).",
                        "Sent code block {index} of {n} ({lines} lines) to the terminal's clipboard (OSC 52).", lines)
    chat.say(sent.format(index=index, n=n, language=language, lines=lines) + " " +
             _("Nothing pasted? Your terminal may not allow OSC 52 (in tmux: set -g set-clipboard on)."), "notice")


def _send_to_clipboard(chat: Chat, text: str) -> None:
    """`text` is sanitised: no control character of the model's reaches the clipboard, where a paste into a
    shell would run it. Plain OSC 52: terminals that allow it set the clipboard, and tmux (set-clipboard on)
    passes it on itself."""
    payload = base64.b64encode(text.encode("utf-8", "replace")).decode("ascii")
    chat.console.file.write(f"\033]52;c;{payload}\a")
    chat.console.file.flush()
