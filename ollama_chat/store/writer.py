"""Changing the store: conversations made, exchanges added and removed, settings, summary and title recorded,
conversations deleted, and a big import's search index caught up. One commit per call (or per `batch`), so
killing the process loses at most the exchange in flight."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ollama_chat.i18n import _
from ollama_chat.store import search as store_search
from ollama_chat.store.database import Database, Part
from ollama_chat.store.errors import ConversationGone
from ollama_chat.store.handover import FUNCTION as HANDED
from ollama_chat.store.handover import Handover
from ollama_chat.store.rows import encoded, exchange_row
from ollama_chat.types import Exchange

INDEX_CHUNK = 2000  # rows of a big import indexed for search after each later write (~0.1 s)
_INSERT = ("INSERT INTO exchanges (conversation_id, time, model, question, reply, stats, interrupted, sent, images,"
           " attached, steps) VALUES (?, ?, ?, {text}, {text}, ?, ?, {text}, {text}, ?, {text})")
INSERT = _INSERT.format(text="?")
INSERT_HANDED = _INSERT.format(text=f"CAST({HANDED}(?) AS TEXT)")  # a long text's key, the others as they are
TEXT_COLUMNS = (3, 4, 7, 8, 10)  # where exchange_row puts the texts that can be long: question, reply, sent, images, steps


def new_conversation_id() -> str:
    """12 hex digits: 48 random bits, so a clash is as good as impossible (and then an error, not a merge).
    os.urandom rather than `secrets`, which costs the REPL's start-up ~8 ms of imports for the same bytes."""
    return os.urandom(6).hex()


class Writer(Part):
    """Every method commits before it returns (inside `batch`, with the batch) and raises only StoreError; on a
    read-only store each one is a StoreError saying so."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self._handover = Handover(self._db)

    def new_conversation(self, persona: str, model: str, options: Mapping[str, Any] | None = None, system: str = "",
                         examples: Sequence[tuple[str, str]] = (), *, when: float | None = None,
                         server: Mapping[str, str] | None = None) -> str:
        """A new, empty conversation's ID (12 hex digits). Create it at the first exchange, not at start-up,
        or the list fills with empty conversations."""
        now = time.time() if when is None else when
        new_id = new_conversation_id()
        with self.database.write():
            self._db.execute("INSERT INTO conversations (id, created, updated, persona, model, options, system,"
                             " examples, server) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (new_id, now, now, persona, model,
                             encoded(dict(options or {})), system, encoded([list(p) for p in examples]),
                             encoded(dict(server)) if server else None))
        return new_id

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Several writes in one transaction: all of them are stored, or (an error, a kill) none."""
        with self.database.write():
            yield

    def add_exchange(self, conversation_id: str, exchange: Exchange, *, when: float | None = None) -> int:
        """Store one exchange (an interrupted one too) and commit at once; its row ID. Thinking is never stored."""
        return self.add_exchanges(conversation_id, [exchange], when=when)[0]

    def add_exchanges(self, conversation_id: str, exchanges: Sequence[Exchange], *, when: float | None = None) -> list[int]:
        """Store exchanges in order, in one transaction; their row IDs. A big import's rows are indexed for search
        afterwards (store_search): the conversation is whole at once, its search index follows."""
        now = time.time() if when is None else when
        with self.database.write():
            if not self._db.execute("UPDATE conversations SET updated = max(updated, ?), model = ? WHERE id = ?",
                                    (now, exchanges[-1].model, conversation_id)).rowcount:
                raise ConversationGone(_("conversation {id} is no longer in {path} (deleted elsewhere?)").format(
                    id=conversation_id, path=self.database.path))
            before = self._db.execute("SELECT coalesce(max(id), 0) FROM exchanges").fetchone()[0]
            rows = [exchange_row(conversation_id, now, e) for e in exchanges]
            keyed = self._handover.keyed(rows, TEXT_COLUMNS)
            # a long text is indexed after its row is written, not by the trigger inside the same statement, so that
            # SQLite's copies of it are gone before the index's own are made
            index_now = self.database.fts and keyed is not None and len(exchanges) < store_search.INDEX_LATER
            if self.database.fts and (len(exchanges) >= store_search.INDEX_LATER or index_now):
                entry = store_search.index_later(self._db, before + 1, before + len(exchanges))
            try:
                self._db.executemany(INSERT_HANDED if keyed else INSERT, keyed or rows)
            finally:
                self._handover.done()
            if index_now:
                store_search.index_entry(self._db, entry)
            # the write lock is ours: nobody else added rows in between, so the new ones are all after `before`
            ids = [r for (r,) in self._db.execute("SELECT id FROM exchanges WHERE conversation_id = ? AND id > ?"
                                                  " ORDER BY id", (conversation_id, before))]
        assert len(ids) == len(exchanges), (len(ids), len(exchanges))
        return ids

    def remove_exchange(self, conversation_id: str, row: int) -> bool:
        """`/undo`: that exchange and no other, so another window's exchanges in the same conversation stay. False
        when it was no longer there (another window removed it)."""
        with self.database.write():
            return self._db.execute("DELETE FROM exchanges WHERE id = ? AND conversation_id = ?",
                                    (row, conversation_id)).rowcount > 0

    def index_some(self, limit: int = INDEX_CHUNK) -> int:
        """Index up to `limit` rows of a big import for search, in one commit; how many still wait."""
        if not self.database.fts or self.database.read_only:
            return 0
        with self.database.guard():
            if not store_search.waiting(self._db):
                return 0
        with self.database.write():
            return store_search.index_some(self._db, limit)

    def update_settings(self, conversation_id: str, *, persona: str | None = None, model: str | None = None,
                        options: Mapping[str, Any] | None = None, system: str | None = None,
                        examples: Sequence[tuple[str, str]] | None = None,
                        server: Mapping[str, str] | None = None) -> None:
        """Record a change of persona, model, options, pinned prefix or server mid-conversation (None: unchanged)."""
        values = {"persona": persona, "model": model, "system": system,
                  "options": None if options is None else encoded(dict(options)),
                  "examples": None if examples is None else encoded([list(p) for p in examples]),
                  "server": None if server is None else encoded(dict(server))}
        changes = {k: v for k, v in values.items() if v is not None}
        if changes:
            with self.database.write():
                sets = ", ".join(f"{name} = ?" for name in changes)
                self._db.execute(f"UPDATE conversations SET {sets} WHERE id = ?", (*changes.values(), conversation_id))

    def set_summary(self, conversation_id: str, summary: str, summarized: int) -> None:
        """/compact: the summary now sent in place of the first `summarized` exchanges."""
        with self.database.write():
            self._db.execute("UPDATE conversations SET summary = ?, summarized = ? WHERE id = ?",
                             (summary, summarized, conversation_id))

    def set_title(self, conversation_id: str, title: str) -> None:
        """Name the conversation (`/title TEXT`); an empty title goes back to the first question."""
        with self.database.write():
            self._db.execute("UPDATE conversations SET title = ? WHERE id = ?", (" ".join(title.split()) or None,
                                                                                 conversation_id))

    def delete(self, *conversation_ids: str) -> None:
        """Remove conversations and their exchanges, all in one transaction."""
        with self.database.write():
            self._db.executemany("DELETE FROM conversations WHERE id = ?", [(i,) for i in conversation_ids])
