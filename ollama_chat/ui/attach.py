"""Bringing files and images into the chat: `@path` inside a message, `/read PATH…` and `/image PATH…`.

What is read waits in the session's tray and goes with the next question; each file says its size and token
cost as it arrives, and a file that cannot go (binary, too big for the window, an image for a model that
cannot see) is refused before anything is sent.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from ollama_chat.files.attachments import AttachmentError, mentioned, read_any, read_image, read_text, resolve, shown_path
from ollama_chat.i18n import _, ngettext
from ollama_chat.chat.tray import attached_note
from ollama_chat.ui.chat import Chat
from ollama_chat.text import one_line

if TYPE_CHECKING:
    from ollama_chat.files.filesets import Expansion

READ_LIMIT = 50  # files one /read takes from folders and globs
SCAN_LIMIT = 20_000  # entries one /read looks at, so `/read ~` answers at once


def ask(chat: Chat, text: str) -> None:
    """A message: its `@path` words that name files attach them (any other `@word` is plain text), then it
    is asked. A file that cannot go stops the message; nothing is sent."""
    session = chat.session
    found = mentioned(text, Path.cwd())
    for name in found.missing:
        chat.say(_("@{name} looks like a file name but there is no such file here; it goes as text.").format(
            name=one_line(name)), "hint")
    for name in found.folders:
        chat.say(_("@{name} is a folder and stays text; /read {name} attaches the text files in it.").format(
            name=one_line(name)), "hint")
    for name, path in found.files:
        try:
            added = session.tray.add(read_any(path, name))
        except AttachmentError as e:
            session.notify.error(e)
            added = False
        if not added:
            chat.say(_("Nothing was sent; ↑ brings your text back."), "hint")
            return
    session.ask(text)


def _args(chat: Chat, arg: str, usage: str) -> list[str] | None:
    try:
        names = shlex.split(arg)
    except ValueError:  # shlex's only complaint: a quote left open
        chat.say(_("A quote is not closed. Quote a name with spaces like this: /read \"my notes.txt\""), "error")
        return None
    if not names:
        chat.say(usage, "error")
        return None
    return names


def image(chat: Chat, arg: str) -> None:
    """/image PATH…: images for the next question (/image --clear: as /read --clear)."""
    if arg.strip() == "--clear":
        read(chat, arg)
        return
    names = _args(chat, arg, _("Usage: /image PATH… (PNG, JPEG, WebP or GIF; for a model that can see)"))
    for name in names or ():
        try:
            if not chat.session.tray.add(read_image(resolve(name, Path.cwd()), name)):
                return
        except AttachmentError as e:
            chat.session.notify.error(e)
            return
    if names:
        _waiting(chat)


def read(chat: Chat, arg: str) -> None:
    """/read PATH…: text files for the next question; a folder or a glob takes the text files in it, skipping
    what .gitignore would, up to READ_LIMIT. /read alone says what is waiting; /read --clear drops it."""
    if arg.strip() == "--clear":
        _clear(chat)
        return
    if not arg.strip():
        _show_waiting(chat)
        return
    names = _args(chat, arg, "")
    if names is None:
        return
    from ollama_chat.files.filesets import expand  # only when a folder or glob is read: not at start-up

    found = expand(names, Path.cwd(), limit=READ_LIMIT, max_scan=SCAN_LIMIT)
    _say_not_found(chat, found)
    named = {path for n in names if (path := _named(n)) is not None}
    binary: list[str] = []
    for path in found.files:
        shown = shown_path(path, Path.cwd())
        try:
            item = read_text(path, shown)
        except AttachmentError as e:
            if path in named:  # a file the user named is refused aloud; one found in a folder is skipped
                chat.session.notify.error(e)
            else:
                binary.append(shown)
            continue
        if not chat.session.tray.add(item):
            chat.say(_("Stopped there: the files after it were not read."), "hint")
            break
    skipped = _skipped(found, binary)
    if skipped:
        chat.say(_("Skipped: {what}.").format(what="; ".join(skipped)), "hint")
    if found.incomplete:
        chat.say(_("That is a large tree: only its first {n} entries were looked at. Name a smaller folder.").format(
            n=f"{SCAN_LIMIT:,}"), "hint")
    _waiting(chat)


def _clear(chat: Chat) -> None:
    """/read --clear (and /image --clear): the waiting attachments dropped."""
    tray = chat.session.tray
    count = len(tray)
    tray.clear()
    chat.say(ngettext("Dropped {n} waiting attachment.", "Dropped {n} waiting attachments.", count).format(n=count)
             if count else _("No attachments were waiting."), "hint")


def _show_waiting(chat: Chat) -> None:
    """/read alone: what waits for the next question, or how to attach something."""
    tray = chat.session.tray
    if not tray:
        chat.say(_("Usage: /read PATH… (files, folders or globs such as src/*.py); they go with your next"
                   " message. @path inside a message works too."), "hint")
        return
    for item in tray.files:
        chat.say(attached_note(item, tray.cost(item)), "hint")
    for picture in tray.images:
        chat.say(attached_note(picture), "hint")
    _waiting(chat)
    chat.say(_("/read --clear drops them."), "hint")


def _say_not_found(chat: Chat, found: Expansion) -> None:
    """The names that gave nothing: no such file, a pattern that matches nothing, a folder with nothing to read,
    something that is not a regular file."""
    for name in found.missing:
        if any(ch in name for ch in "*?["):
            chat.say(_("Nothing matches {pattern}.").format(pattern=one_line(name)), "error")
        else:
            chat.session.notify.error(AttachmentError(_("Cannot attach {name}: there is no such file.").format(
                name=one_line(name))))
    for name in found.empty:
        chat.say(_("{name} has no files to read (hidden and .gitignore'd ones are skipped).").format(name=one_line(name)),
                 "hint")
    for name in found.special:
        chat.session.notify.error(AttachmentError(_("Cannot attach {name}: {reason}.").format(
            name=one_line(str(name)), reason=_("it is not a regular file (a pipe, a device or a socket)"))))


def _skipped(found: Expansion, binary: list[str]) -> list[str]:
    """What a folder or glob held that was not read, one phrase a reason."""
    skipped = []
    if found.ignored:
        skipped.append(ngettext("{n} by .gitignore", "{n} by .gitignore", found.ignored).format(n=found.ignored))
    if found.hidden:
        skipped.append(ngettext("{n} hidden", "{n} hidden", found.hidden).format(n=found.hidden))
    if found.unreadable:
        skipped.append(ngettext("{n} folder that cannot be read", "{n} folders that cannot be read",
                                len(found.unreadable)).format(n=len(found.unreadable)))
    if binary:
        names_shown = ", ".join(one_line(b) for b in binary[:3]) + (", …" if len(binary) > 3 else "")
        skipped.append(ngettext("{n} binary ({names})", "{n} binary ({names})", len(binary)).format(
            n=len(binary), names=names_shown))
    if found.over_limit:
        skipped.append(ngettext("{n} more beyond the limit of {limit} files: name fewer to read them",
                                "{n} more beyond the limit of {limit} files: name fewer to read them",
                                found.over_limit).format(n=found.over_limit, limit=READ_LIMIT))
    return skipped


def _named(name: str) -> Path | None:
    """The path a /read argument names (None: `~nobody/…`, which `expand` already reported missing)."""
    try:
        return resolve(name, Path.cwd())
    except AttachmentError:
        return None


def _waiting(chat: Chat) -> None:
    tray = chat.session.tray
    if tray:
        count = len(tray)
        chat.say(ngettext("{n} attachment goes with your next message.", "{n} attachments go with your next message.",
                          count).format(n=count), "hint")
