"""The store's file: opened only after checks (a file we cannot trust is never changed), read-only where this
process may not write it, and SQLite's errors worded for the user (StoreError)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ollama_chat.i18n import _
from ollama_chat.store.schema import SCHEMA_VERSION

CHECK_ON_OPEN_LIMIT = 16 * 1024 * 1024  # bytes; `quick_check` reads it all: bigger files only before a migration


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


def checked_version(path: Path, db: sqlite3.Connection, *, read_only: bool = False) -> int:
    """The schema version, after refusing a file a newer ollama-chat wrote or a damaged one."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(_("{path} was written by a newer ollama-chat (schema {version}, this one knows"
                           " {known}); upgrade ollama-chat to use it").format(path=path, version=version,
                                                                              known=SCHEMA_VERSION))
    if version < SCHEMA_VERSION and read_only:
        raise StoreError(_("{path} was written by an older ollama-chat and is read-only here, so it cannot be"
                           " brought up to date; open it once where it can be written").format(path=path))
    if version < SCHEMA_VERSION or os.stat(path).st_size <= CHECK_ON_OPEN_LIMIT:
        if db.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
            raise sqlite3.DatabaseError("database disk image is malformed")
    return version


def cannot_write(error: sqlite3.Error) -> bool:
    """SQLite could not open or write the file (or WAL's -shm beside it): permissions, a read-only disk."""
    name = getattr(error, "sqlite_errorname", "")
    text = str(error).lower()
    return name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY")) or "unable to open" in text or "readonly" in text


def connect_read_only(path: Path) -> sqlite3.Connection:
    """SQLite's read-only mode; where WAL's -shm file cannot be made beside it either (a read-only folder, and
    no writer has it open), as an immutable file, which needs none. Checked as `checked_version` does."""
    from urllib.parse import quote

    uri = f"file:{quote(str(path))}?mode=ro"
    for immutable in (False, True):
        db = sqlite3.connect(uri + ("&immutable=1" if immutable else ""), uri=True, isolation_level=None,
                             check_same_thread=False)
        try:
            checked_version(path, db, read_only=True)
            return db
        except BaseException as e:
            db.close()
            if immutable or not (isinstance(e, sqlite3.OperationalError) and cannot_write(e)):
                if isinstance(e, sqlite3.Error):
                    raise store_error(path, e) from None
                raise
    raise AssertionError("unreachable")


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

