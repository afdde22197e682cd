"""When to read the whole store to check it (`PRAGMA quick_check`): once a day, and whenever something went wrong.

A check reads every page (11 ms for a 15 MB store), which every one-shot question and every REPL start used to
pay. A marker file beside the store, `conversations.db.checked` (0600), says which file passed a check and
when: its device and inode, so a file moved aside, replaced or restored from a backup is checked again at its
first open, and the time, so a file changed in place by something else is checked within a day. A SQLite error
other than a lock deletes the marker (the next open checks), as does a failed check. A marker that cannot be
written (a read-only folder) only means checking every time, as before.
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


def _identity(path: Path) -> str:
    info = os.stat(path)
    return f"{info.st_dev} {info.st_ino}"


def due(path: Path, now: float | None = None) -> bool:
    """Whether the store at `path` should be checked before it is used: no marker, a marker of another file, an
    unreadable or garbled one, or a check older than CHECK_EVERY (or in the future: a clock set back)."""
    now = time.time() if now is None else now
    try:
        dev, ino, when = marker(path).read_text(encoding="ascii").split()
        checked_at = float(when)
        return f"{dev} {ino}" != _identity(path) or not 0 <= now - checked_at < CHECK_EVERY
    except (OSError, ValueError):  # ValueError: not three fields, not a number, not ASCII
        return True


def passed(path: Path, now: float | None = None) -> None:
    """Note that the store at `path` passed a check just now; best effort."""
    now = time.time() if now is None else now
    with contextlib.suppress(OSError):
        write_private(marker(path), f"{_identity(path)} {int(now)}\n")  # whole seconds, down: never ahead of now


def forget(path: Path) -> None:
    """Something went wrong with the store at `path`: check it at the next open."""
    with contextlib.suppress(OSError):
        marker(path).unlink()
