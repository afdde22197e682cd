"""The conversation store, the one entry point for its callers: `Store.open(path)` gives one object that writes
(writer.py) and reads (queries.py) over one connection (database.py); schema.py holds the migrations. The values
and errors that cross its border are importable from here too, so a caller needs this module alone."""

from __future__ import annotations

from pathlib import Path

from ollama_chat.store.database import Database
from ollama_chat.store.errors import ConversationGone, NoSuchConversation, StoreError
from ollama_chat.store.queries import ConversationMeta, Queries, SearchHit, StoredConversation
from ollama_chat.store.writer import Writer

__all__ = ["ConversationGone", "ConversationMeta", "NoSuchConversation", "SearchHit", "Store", "StoreError",
           "StoredConversation"]


class Store(Writer, Queries):
    """One open conversations.db: the writer's and the queries' methods on the connection they share. Every
    method commits before it returns and raises only StoreError. A caller that only reads may ask for `Queries`."""

    @classmethod
    def open(cls, path: Path, *, busy_timeout: float | None = None, create: bool = True, reading: bool = False) -> Store:
        """See `Database.open`: checked before anything is written; read-only (saying why) when `reading` and
        this process may not write it."""
        return cls(Database.open(path, busy_timeout=busy_timeout, create=create, reading=reading))

    @property
    def path(self) -> Path:
        return self.database.path

    @property
    def read_only(self) -> str:
        """Why this process cannot write the store ("Permission denied"); "" when it can."""
        return self.database.read_only

    @property
    def fts(self) -> bool:
        """Whether search uses the FTS index (False: LIKE, a full scan)."""
        return self.database.fts

    @fts.setter
    def fts(self, value: bool) -> None:  # a benchmark compares the LIKE fallback on the same file
        self.database.fts = value

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
