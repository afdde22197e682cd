"""Conversations kept in SQLite: one commit per exchange, so killing the process loses at most the one in flight.

The file is `$XDG_DATA_HOME/ollama-chat/conversations.db` (0600 in a 0700 folder), in WAL mode with a busy
timeout so two ollama-chat processes can write at once. The schema version is `PRAGMA user_version`; the
migrations are an ordered list of functions, each run once, in order, inside one write transaction.

A file we cannot trust (not a database, damaged, written by a newer ollama-chat, or locked for too long) is
never changed or "repaired": every failure is a StoreError whose message names the file and what to do (see
store_file), and the caller warns and chats on; the Recorder saves what waited once the store works again.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ollama_chat.store import search as store_search
from ollama_chat.i18n import _
from ollama_chat.paths import private_file
from ollama_chat.store.schema import SCHEMA_VERSION, create_search, migrate, transaction, trigram_available
from ollama_chat.store.opening import (ConversationGone, NoSuchConversation, StoreError, cannot_write, checked_version,
                                   connect_read_only, store_error)
from ollama_chat.store.rows import exchange_row, question_of, stats_of
from ollama_chat.store.search import matching_line
from ollama_chat.types import Exchange

BUSY_TIMEOUT = 5.0  # seconds another writer may hold the file before we give up on this write
TITLE_LENGTH = 60
INDEX_CHUNK = 2000  # rows of a big import indexed for search after each later write (~0.1 s)


# --- the values handed out --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationMeta:
    id: str
    created: float
    updated: float
    persona: str
    model: str
    title: str
    exchanges: int


@dataclass(frozen=True)
class StoredConversation:
    meta: ConversationMeta
    system: str
    examples: tuple[tuple[str, str], ...]
    options: dict[str, Any]
    exchanges: tuple[Exchange, ...]
    summary: str = ""  # /compact's summary of the first `summarized` exchanges
    summarized: int = 0
    server: dict[str, str] | None = None  # its server's configured name or plain host (shown; never a key variable)


@dataclass(frozen=True)
class SearchHit:
    meta: ConversationMeta
    line: str  # the line of the first matching exchange that holds the text, shortened around it


def shorten(text: str, length: int = TITLE_LENGTH) -> str:
    """`text` on one line, at most `length` characters."""
    return store_search.shorten(text, length)


def new_conversation_id() -> str:
    """12 hex digits: 48 random bits, so a clash is as good as impossible (and then an error, not a merge).
    os.urandom rather than `secrets`, which costs the REPL's start-up ~8 ms of imports for the same bytes."""
    return os.urandom(6).hex()


# --- the store --------------------------------------------------------------------------------------------

_COLUMNS = (
    "c.id, c.created, c.updated, c.persona, c.model,"
    " coalesce(c.title, (SELECT question FROM exchanges WHERE conversation_id = c.id ORDER BY id LIMIT 1), ''),"
    " (SELECT count(*) FROM exchanges WHERE conversation_id = c.id)"
)
_META = f"SELECT {_COLUMNS} FROM conversations c"


def _meta(row: Sequence[Any]) -> ConversationMeta:
    return ConversationMeta(row[0], row[1], row[2], row[3], row[4], shorten(row[5]), row[6])


class Store:
    """One open conversations.db. Every method commits before it returns and raises only StoreError."""

    def __init__(self, path: Path, db: sqlite3.Connection, read_only: str = "") -> None:
        self.path = path
        self._db = db
        self.read_only = read_only  # why this process cannot write it ("Permission denied"); "" when it can
        # Whether search uses the FTS index (False: LIKE, a full scan). Set False to compare in a benchmark.
        self.fts = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'exchanges_fts'").fetchone() is not None

    @classmethod
    def open(cls, path: Path, *, busy_timeout: float | None = None, create: bool = True, reading: bool = False) -> Store:
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
            if version < SCHEMA_VERSION:
                migrate(db)
            store = cls(path, db)
            if store.fts and not trigram_available():  # its triggers would fail every write
                raise StoreError(_("{path} has a search index this Python's SQLite cannot update (no FTS5 trigram"
                                   " tokenizer); use an ollama-chat on a newer Python, or move the file aside").format(path=path))
            store._ensure_search()
            return store
        except BaseException as e:
            if db is not None:
                db.close()
            if reading and isinstance(e, sqlite3.Error) and cannot_write(e):  # a folder it may not write in
                return cls._open_read_only(path, str(e))
            if isinstance(e, sqlite3.Error):
                raise store_error(path, e) from None
            raise

    @classmethod
    def _open_read_only(cls, path: Path, reason: str) -> Store:
        db = connect_read_only(path)
        store = cls(path, db, read_only=reason)
        store.fts = store.fts and trigram_available()
        return store

    def _ensure_search(self) -> None:
        """A store made where SQLite lacked trigram search gets its index once a Python that has it opens it."""
        if not self.fts and trigram_available():
            with self._write():
                if self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'exchanges_fts'").fetchone() is None:
                    create_search(self._db)
            self.fts = True

    def close(self) -> None:
        with self._guard():
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def new_conversation(self, persona: str, model: str, options: Mapping[str, Any] | None = None, system: str = "",
                         examples: Sequence[tuple[str, str]] = (), *, when: float | None = None,
                         server: Mapping[str, str] | None = None) -> str:
        """A new, empty conversation's ID (12 hex digits). Create it at the first exchange, not at start-up,
        or the list fills with empty conversations."""
        now = time.time() if when is None else when
        new_id = new_conversation_id()
        with self._write():
            self._db.execute("INSERT INTO conversations (id, created, updated, persona, model, options, system,"
                             " examples, server) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (new_id, now, now, persona, model,
                             _json(dict(options or {})), system, _json([list(p) for p in examples]),
                             _json(dict(server)) if server else None))
        return new_id

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Several writes in one transaction: all of them are stored, or (an error, a kill) none."""
        with self._write():
            yield

    def add_exchange(self, conversation_id: str, exchange: Exchange, *, when: float | None = None) -> int:
        """Store one exchange (an interrupted one too) and commit at once; its row ID. Thinking is never stored."""
        return self.add_exchanges(conversation_id, [exchange], when=when)[0]

    def add_exchanges(self, conversation_id: str, exchanges: Sequence[Exchange], *, when: float | None = None) -> list[int]:
        """Store exchanges in order, in one transaction; their row IDs. A big import's rows are indexed for search
        afterwards (store_search): the conversation is whole at once, its search index follows."""
        now = time.time() if when is None else when
        with self._write():
            if not self._db.execute("UPDATE conversations SET updated = max(updated, ?), model = ? WHERE id = ?",
                                    (now, exchanges[-1].model, conversation_id)).rowcount:
                raise ConversationGone(_("conversation {id} is no longer in {path} (deleted elsewhere?)").format(
                    id=conversation_id, path=self.path))
            before = self._db.execute("SELECT coalesce(max(id), 0) FROM exchanges").fetchone()[0]
            if self.fts and len(exchanges) >= store_search.INDEX_LATER:
                store_search.index_later(self._db, before + 1, before + len(exchanges))
            self._db.executemany("INSERT INTO exchanges (conversation_id, time, model, question, reply, stats,"
                                 " interrupted, sent, images, attached) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 [exchange_row(conversation_id, now, e) for e in exchanges])
            # the write lock is ours: nobody else added rows in between, so the new ones are all after `before`
            rows = [r for (r,) in self._db.execute("SELECT id FROM exchanges WHERE conversation_id = ? AND id > ?"
                                                   " ORDER BY id", (conversation_id, before))]
        assert len(rows) == len(exchanges), (len(rows), len(exchanges))
        return rows

    def remove_exchange(self, conversation_id: str, row: int) -> bool:
        """`/undo`: that exchange and no other, so another window's exchanges in the same conversation stay. False
        when it was no longer there (another window removed it)."""
        with self._write():
            return self._db.execute("DELETE FROM exchanges WHERE id = ? AND conversation_id = ?",
                                    (row, conversation_id)).rowcount > 0

    def added_after(self, conversation_id: str, row: int) -> int:
        """How many exchanges of the conversation come after row `row` (another window's, seen from this one)."""
        with self._guard():
            return self._db.execute("SELECT count(*) FROM exchanges WHERE conversation_id = ? AND id > ?",
                                    (conversation_id, row)).fetchone()[0]

    def index_some(self, limit: int = INDEX_CHUNK) -> int:
        """Index up to `limit` rows of a big import for search, in one commit; how many still wait."""
        if not self.fts or self.read_only:
            return 0
        with self._guard():
            if not store_search.waiting(self._db):
                return 0
        with self._write():
            return store_search.index_some(self._db, limit)

    def update_settings(self, conversation_id: str, *, persona: str | None = None, model: str | None = None,
                        options: Mapping[str, Any] | None = None, system: str | None = None,
                        examples: Sequence[tuple[str, str]] | None = None,
                        server: Mapping[str, str] | None = None) -> None:
        """Record a change of persona, model, options, pinned prefix or server mid-conversation (None: unchanged)."""
        values = {"persona": persona, "model": model, "system": system,
                  "options": None if options is None else _json(dict(options)),
                  "examples": None if examples is None else _json([list(p) for p in examples]),
                  "server": None if server is None else _json(dict(server))}
        changes = {k: v for k, v in values.items() if v is not None}
        if changes:
            with self._write():
                sets = ", ".join(f"{name} = ?" for name in changes)
                self._db.execute(f"UPDATE conversations SET {sets} WHERE id = ?", (*changes.values(), conversation_id))

    def set_summary(self, conversation_id: str, summary: str, summarized: int) -> None:
        """/compact: the summary now sent in place of the first `summarized` exchanges."""
        with self._write():
            self._db.execute("UPDATE conversations SET summary = ?, summarized = ? WHERE id = ?",
                             (summary, summarized, conversation_id))

    def set_title(self, conversation_id: str, title: str) -> None:
        """Name the conversation (`/title TEXT`); an empty title goes back to the first question."""
        with self._write():
            self._db.execute("UPDATE conversations SET title = ? WHERE id = ?", (" ".join(title.split()) or None,
                                                                                 conversation_id))

    def delete(self, *conversation_ids: str) -> None:
        """Remove conversations and their exchanges, all in one transaction."""
        with self._write():
            self._db.executemany("DELETE FROM conversations WHERE id = ?", [(i,) for i in conversation_ids])

    def older_than(self, days: float, *, now: float | None = None) -> list[ConversationMeta]:
        """Conversations whose last exchange is more than `days` old (what `rm --older-than` removes)."""
        cutoff = (time.time() if now is None else now) - days * 86400
        with self._guard():
            rows = self._db.execute(f"{_META} WHERE c.updated < ? ORDER BY c.updated DESC", (cutoff,)).fetchall()
        return [_meta(r) for r in rows]

    def latest(self) -> str | None:
        """The conversation with the newest exchange (what `--continue` resumes), or None."""
        with self._guard():
            row = self._db.execute("SELECT id FROM conversations ORDER BY updated DESC, rowid DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def resolve(self, prefix: str) -> str:
        """The one conversation ID starting with `prefix`; StoreError naming the candidates otherwise."""
        key = prefix.strip().lower()
        if not key or any(ch not in "0123456789abcdef" for ch in key):
            raise NoSuchConversation(_("'{prefix}' is not a conversation ID (IDs are hex digits)").format(prefix=prefix))
        with self._guard():
            rows = self._db.execute(f"{_META} WHERE c.id >= ? AND c.id < ? ORDER BY c.updated DESC LIMIT 10",
                                    (key, key + "g")).fetchall()
        if len(rows) == 1:
            return rows[0][0]
        if not rows:
            raise NoSuchConversation(_("no conversation with an ID starting with '{prefix}'").format(prefix=prefix))
        shown = "\n".join(f"  {m.id}  {m.title}" for m in map(_meta, rows))
        raise NoSuchConversation(_("'{prefix}' matches more than one conversation; give more of its ID:").format(prefix=prefix)
                                 + "\n" + shown)

    def load_meta(self, conversation_id: str) -> ConversationMeta:
        with self._guard():
            row = self._db.execute(f"{_META} WHERE c.id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise NoSuchConversation(_("no conversation {id} in {path}").format(id=conversation_id, path=self.path))
        return _meta(row)

    def load(self, conversation_id: str) -> StoredConversation:
        with self._guard():
            row = self._db.execute(
                f"SELECT c.system, c.examples, c.options, c.summary, c.summarized, c.server, {_COLUMNS} FROM conversations c"
                " WHERE c.id = ?",
                (conversation_id,),
            ).fetchone()
            if row is None:
                raise NoSuchConversation(_("no conversation {id} in {path}").format(id=conversation_id, path=self.path))
            rows = self._db.execute("SELECT question, reply, model, stats, interrupted, sent, images, attached, id"
                                    " FROM exchanges WHERE conversation_id = ? ORDER BY id", (conversation_id,)).fetchall()
        exchanges = tuple(Exchange(question_of(q, sent, images, attached), r, m, stats_of(s), bool(i), stored_id=row)
                          for q, r, m, s, i, sent, images, attached, row in rows)
        pairs = _decoded(row[1])
        examples = tuple((str(p[0]), str(p[1])) for p in pairs if isinstance(p, list) and len(p) == 2) if isinstance(
            pairs, list) else ()
        server = _decoded(row[5])
        options = _decoded(row[2])  # checked where it is used (resume.from_store): a row may predate the ranges
        return StoredConversation(_meta(row[6:]), row[0], examples, options if isinstance(options, dict) else {},
                                  exchanges, row[3], min(row[4], len(exchanges)),
                                  server if isinstance(server, dict) else None)

    def search(self, text: str, limit: int = 20) -> list[SearchHit]:
        """Conversations with an exchange holding `text` (case-insensitive, inside words too), the one with the
        newest match first, each with that match's line. Matches are read newest first and reading stops at
        `limit` conversations (-1: all), so a common word costs no more than a rare one. Trigrams need 3
        characters; shorter text, and a SQLite without FTS5 trigrams, is searched with LIKE."""
        text = text.strip()
        if not text:
            return []
        found: dict[str, str] = {}  # conversation ID -> its newest matching line, in the order found
        with self._guard():
            for _row_id, conversation_id, question, reply in store_search.matches(self._db, text, self.fts):
                if conversation_id not in found:
                    found[conversation_id] = matching_line(question + "\n" + reply, text)
                    if len(found) == limit:
                        break
            ids = list(found)
            metas = {}
            for start in range(0, len(ids), 500):  # under SQLite's limit on parameters
                chunk = ids[start : start + 500]
                rows = self._db.execute(f"{_META} WHERE c.id IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
                metas.update((row[0], _meta(row)) for row in rows)
        return [SearchHit(metas[i], line) for i, line in found.items() if i in metas]

    def list(self, limit: int = 20) -> list[ConversationMeta]:
        """The newest conversations first."""
        with self._guard():
            rows = self._db.execute(f"{_META} ORDER BY c.updated DESC, c.rowid DESC LIMIT ?", (limit,)).fetchall()
        return [_meta(r) for r in rows]

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as e:
            raise store_error(self.path, e) from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        if self.read_only:
            raise StoreError(_("{path} is read-only here ({reason}): nothing in it can be changed").format(
                path=self.path, reason=self.read_only))
        if self._db.in_transaction:  # inside batch(): its transaction commits or rolls back the lot
            with self._guard():
                yield
            return
        with self._guard(), transaction(self._db):
            yield


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _decoded(text: str | None) -> Any:
    """A JSON column's value; None for NULL or for text that is not JSON (a row changed by hand)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
