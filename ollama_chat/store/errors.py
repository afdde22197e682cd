"""What can go wrong with the store, worded for the user: every failure is a StoreError that names the file and
says what to do, and SQLite's own errors become one here (`store_error`). Saving stops; chatting goes on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ollama_chat.i18n import _


class StoreError(Exception):
    """Worded for the user: what is wrong with which file, and (`hint`) what to do. Saving stops; chatting
    goes on."""

    def __init__(self, message: str, hint: str = "", *, busy: bool = False) -> None:
        super().__init__(message)
        self.hint = hint
        self.busy = busy  # another program holds the lock: trying again later may work


class NoSuchConversation(StoreError):
    """An ID (or prefix) that names no conversation, or more than one: the user's mistake, not the file's."""


class ConversationGone(StoreError):
    """The conversation being written was deleted elsewhere (`history rm` in another terminal)."""


def store_error(path: Path, error: sqlite3.Error) -> StoreError:
    name = getattr(error, "sqlite_errorname", "")
    text = str(error).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StoreError(_("{path} is locked: another program (another ollama-chat?) has held it for too long").format(
            path=path), busy=True)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return StoreError(_("{path} is damaged or not a conversation store; it is left as it is").format(path=path),
                          _("To start afresh, move it aside:") + f"\n  mv {path} {path}.broken")
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return StoreError(_("{path} cannot be written (read-only)").format(path=path))
    if name.startswith("SQLITE_FULL") or "full" in text:
        return StoreError(_("the disk holding {path} is full").format(path=path))
    return StoreError(_("the conversation store {path} failed ({error})").format(path=path, error=error))


def cannot_write(error: sqlite3.Error) -> bool:
    """SQLite could not open or write the file (or WAL's -shm beside it): permissions, a read-only disk."""
    name = getattr(error, "sqlite_errorname", "")
    text = str(error).lower()
    return name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY")) or "unable to open" in text or "readonly" in text
