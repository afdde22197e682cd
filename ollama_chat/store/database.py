"""One open conversations.db: the connection, opened only after checks, read-only where this process may not
write the file, and the two ways in (`guard` to read, `write` for one transaction).

The file is `$XDG_DATA_HOME/ollama-chat/conversations.db` (0600 in a 0700 folder), in WAL mode with a busy
timeout so two ollama-chat processes can write at once. The schema version is `PRAGMA user_version`; opening
runs the missing migrations (schema.py) before anything else touches the file. The whole file is checked before a
migration, and otherwise once a day or after something went wrong (integrity.py), not at every open.

A file we cannot trust (not a database, damaged, written by a newer ollama-chat, or locked for too long) is
never changed or "repaired": every failure is a StoreError whose message names the file and what to do (see
errors.py), and the caller warns and chats on; the Recorder saves what waited once the store works again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from ollama_chat.i18n import _
from ollama_chat.paths import private_file
from ollama_chat.store import integrity
from ollama_chat.store.errors import StoreError, cannot_write, store_error
from ollama_chat.store.schema import SCHEMA_VERSION, create_search, migrate, transaction, trigram_available

BUSY_TIMEOUT = 5.0  # seconds another writer may hold the file before we give up on this write
# SQLite's page cache (its default is 2,000 KiB): a long reply's write filled it and a REPL kept it for as long as it
# ran. Pages read again come from the system's file cache, a few microseconds each (bench/store.py: unchanged).
CACHE_KIB = 256
CHECK_ON_OPEN_LIMIT = 16 * 1024 * 1024  # bytes; `quick_check` reads it all: bigger files only before a migration


class Database:
    """The connection every part of the store shares. Raises only StoreError."""

    def __init__(self, path: Path, connection: sqlite3.Connection, read_only: str = "") -> None:
        self.path = path
        self.connection = connection
        self.read_only = read_only  # why this process cannot write it ("Permission denied"); "" when it can
        # Whether search uses the FTS index (False: LIKE, a full scan). Set False to compare in a benchmark.
        self.fts = has_search_index(connection)

    @classmethod
    def open(cls, path: Path, *, busy_timeout: float | None = None, create: bool = True,
             reading: bool = False) -> Database:
        """Open (or create) the store at `path`, checking it before anything is written to it. With `create`
        False a missing file is a StoreError (reading: `history`, or `--continue` with saving off). With
        `reading`, a store this process may not write (its file or folder read-only) is opened read-only:
        `read_only` then says why, and every write is a StoreError."""
        if not create and not path.exists():
            raise StoreError(_("no conversations have been saved yet (there is no {path})").format(path=path))
        try:
            private_file(path)  # creates it 0600 in a 0700 folder, or tightens it; never touches its bytes
        except OSError as e:
            if reading and e.errno in (errno.EACCES, errno.EPERM, errno.EROFS) and path.exists():
                return cls._open_read_only(path, e.strerror or str(e))
            raise StoreError(_("cannot open the conversation store {path}: {reason}").format(path=path, reason=e.strerror or e)) from None
        db = None
        try:
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT if busy_timeout is None else busy_timeout,
                                 isolation_level=None, check_same_thread=False)
            version = checked_version(path, db)
            db.execute("PRAGMA foreign_keys = ON")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")  # WAL: a commit survives the process being killed
            db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            if version < SCHEMA_VERSION:
                migrate(db)
            database = cls(path, db)
            if database.fts and not trigram_available():  # its triggers would fail every write
                raise StoreError(_("{path} has a search index this Python's SQLite cannot update (no FTS5 trigram"
                                   " tokenizer); use an ollama-chat on a newer Python, or move the file aside").format(path=path))
            database._ensure_search()
            return database
        except BaseException as e:
            if db is not None:
                db.close()
            if reading and isinstance(e, sqlite3.Error) and cannot_write(e):  # a folder it may not write in
                return cls._open_read_only(path, str(e))
            if isinstance(e, sqlite3.Error):
                raise _failed(path, e) from None
            raise

    @classmethod
    def _open_read_only(cls, path: Path, reason: str) -> Database:
        database = cls(path, connect_read_only(path), read_only=reason)
        database.fts = database.fts and trigram_available()
        return database

    def _ensure_search(self) -> None:
        """A store made where SQLite lacked trigram search gets its index once a Python that has it opens it."""
        if not self.fts and trigram_available():
            with self.write():
                if not has_search_index(self.connection):
                    create_search(self.connection)
            self.fts = True

    def close(self) -> None:
        with self.guard():
            self.connection.close()

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """SQLite's errors as StoreErrors naming this file."""
        try:
            yield
        except sqlite3.Error as e:
            raise _failed(self.path, e) from None

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction, or a part of the one already open (`Writer.batch`): all of it or none."""
        if self.read_only:
            raise StoreError(_("{path} is read-only here ({reason}): nothing in it can be changed").format(
                path=self.path, reason=self.read_only))
        if self.connection.in_transaction:  # inside batch(): its transaction commits or rolls back the lot
            with self.guard():
                yield
            return
        with self.guard(), transaction(self.connection):
            yield


class Part:
    """One job done on an open database (writing, reading); a Store is all of them on one connection."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._db = database.connection


def has_search_index(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'exchanges_fts'").fetchone() is not None


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
    if version < SCHEMA_VERSION or os.stat(path).st_size <= CHECK_ON_OPEN_LIMIT and integrity.due(path):
        if db.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
            raise sqlite3.DatabaseError("database disk image is malformed")
        integrity.passed(path)
    return version


def _failed(path: Path, error: sqlite3.Error) -> StoreError:
    """SQLite's error as a StoreError; anything but a lock has the next open check the whole file."""
    failure = store_error(path, error)
    if not failure.busy:
        integrity.forget(path)
    return failure


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
                    raise _failed(path, e) from None
                raise
    raise AssertionError("unreachable")
