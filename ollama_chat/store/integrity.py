"""When to read the whole store to check it (`PRAGMA quick_check`): once a day, and whenever something went wrong.

A check reads every page (11 ms for a 15 MB store), which every one-shot question and every REPL start used to
pay. A marker file beside the store, `conversations.db.checked` (0600), says which file passed a check, how big
it was and when: its device and inode, so a file moved aside, replaced or restored from a backup is checked
again at its first open; its size, because ollama-chat never makes the file smaller (it never vacuums), so a
smaller one was cut short or copied over in place (an older backup, whose inode may be the same), and is
checked at once; and the time, so a file changed in place in any other way is checked within a day. A SQLite
error other than a lock deletes the marker (the next open checks), as does a failed check. A marker that cannot
be written (a read-only folder) only means checking every time, as before.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from ollama_chat.paths import write_private

CHECK_EVERY = 24 * 3600  # seconds a passed check is trusted for


def marker(path: Path) -> Path:
    return path.with_name(path.name + ".checked")


def due(path: Path, now: float | None = None) -> bool:
    """Whether the store at `path` should be checked before it is used: no marker, a marker of another file, an
    unreadable or garbled one, a file smaller than the one checked, or a check older than CHECK_EVERY (or in the
    future: a clock set back)."""
    now = time.time() if now is None else now
    try:
        dev, ino, size, when = (int(field) for field in marker(path).read_text(encoding="ascii").split())
        info = os.stat(path)
    except (OSError, ValueError):  # ValueError: not four fields, not whole numbers, not ASCII
        return True
    return (dev, ino) != (info.st_dev, info.st_ino) or info.st_size < size or not 0 <= now - when < CHECK_EVERY


def passed(path: Path, now: float | None = None) -> None:
    """Note that the store at `path` passed a check just now; best effort."""
    now = time.time() if now is None else now
    with contextlib.suppress(OSError):
        info = os.stat(path)
        # whole seconds, down: never ahead of now
        write_private(marker(path), f"{info.st_dev} {info.st_ino} {info.st_size} {int(now)}\n")


def forget(path: Path) -> None:
    """Something went wrong with the store at `path`: check it at the next open."""
    with contextlib.suppress(OSError):
        marker(path).unlink()
