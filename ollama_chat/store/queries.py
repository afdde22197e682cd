"""Reading the store: the latest conversation, an ID from its prefix, one conversation whole or its header,
the newest ones, the old ones, a search, and what another window added. Nothing here writes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ollama_chat.i18n import _
from ollama_chat.store import search as store_search
from ollama_chat.store.database import Part
from ollama_chat.store.errors import NoSuchConversation
from ollama_chat.store.rows import decoded, question_of, stats_of, steps_of
from ollama_chat.store.steps import MAX_STORED, StepsError
from ollama_chat.types import Exchange, Message

TITLE_LENGTH = 60


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
    unread_steps: tuple[str, ...] = ()  # why an exchange's tool steps were left out ("exchange 3: they are not JSON")


@dataclass(frozen=True)
class SearchHit:
    meta: ConversationMeta
    line: str  # the line of the first matching exchange that holds the text, shortened around it


_COLUMNS = (
    "c.id, c.created, c.updated, c.persona, c.model,"
    " coalesce(c.title, (SELECT question FROM exchanges WHERE conversation_id = c.id ORDER BY id LIMIT 1), ''),"
    " (SELECT count(*) FROM exchanges WHERE conversation_id = c.id)"
)
_META = f"SELECT {_COLUMNS} FROM conversations c"


def _meta(row: Sequence[Any]) -> ConversationMeta:
    return ConversationMeta(row[0], row[1], row[2], row[3], row[4], store_search.shorten(row[5], TITLE_LENGTH), row[6])


class Queries(Part):
    """Every method raises only StoreError (NoSuchConversation for an ID that names none)."""

    def latest(self) -> str | None:
        """The conversation with the newest exchange (what `--continue` resumes), or None."""
        with self.database.guard():
            row = self._db.execute("SELECT id FROM conversations ORDER BY updated DESC, rowid DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def resolve(self, prefix: str) -> str:
        """The one conversation ID starting with `prefix`; StoreError naming the candidates otherwise."""
        key = prefix.strip().lower()
        if not key or any(ch not in "0123456789abcdef" for ch in key):
            raise NoSuchConversation(_("'{prefix}' is not a conversation ID (IDs are hex digits)").format(prefix=prefix))
        with self.database.guard():
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
        with self.database.guard():
            row = self._db.execute(f"{_META} WHERE c.id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise self._missing(conversation_id)
        return _meta(row)

    def load(self, conversation_id: str) -> StoredConversation:
        with self.database.guard():
            row = self._db.execute(
                f"SELECT c.system, c.examples, c.options, c.summary, c.summarized, c.server, {_COLUMNS} FROM conversations c"
                " WHERE c.id = ?",
                (conversation_id,),
            ).fetchone()
            if row is None:
                raise self._missing(conversation_id)
            rows = self._db.execute("SELECT question, reply, model, stats, interrupted, sent, images, attached, id,"
                                    " substr(steps, 1, ?) FROM exchanges WHERE conversation_id = ? ORDER BY id",
                                    (MAX_STORED + 1, conversation_id)).fetchall()
        unread: list[str] = []
        exchanges = tuple(Exchange(question_of(q, sent, images, attached), r, m, stats_of(s), bool(i),
                                   _steps(n, steps, unread), stored_id=row)
                          for n, (q, r, m, s, i, sent, images, attached, row, steps) in enumerate(rows, 1))
        pairs = decoded(row[1])
        examples = tuple((str(p[0]), str(p[1])) for p in pairs if isinstance(p, list) and len(p) == 2) if isinstance(
            pairs, list) else ()
        server = decoded(row[5])
        options = decoded(row[2])  # checked where it is used (resume.from_store): a row may predate the ranges
        return StoredConversation(_meta(row[6:]), row[0], examples, options if isinstance(options, dict) else {},
                                  exchanges, row[3], min(row[4], len(exchanges)),
                                  server if isinstance(server, dict) else None, tuple(unread))

    def list(self, limit: int = 20) -> list[ConversationMeta]:
        """The newest conversations first."""
        with self.database.guard():
            rows = self._db.execute(f"{_META} ORDER BY c.updated DESC, c.rowid DESC LIMIT ?", (limit,)).fetchall()
        return [_meta(r) for r in rows]

    def older_than(self, days: float, *, now: float | None = None) -> list[ConversationMeta]:
        """Conversations whose last exchange is more than `days` old (what `rm --older-than` removes)."""
        cutoff = (time.time() if now is None else now) - days * 86400
        with self.database.guard():
            rows = self._db.execute(f"{_META} WHERE c.updated < ? ORDER BY c.updated DESC", (cutoff,)).fetchall()
        return [_meta(r) for r in rows]

    def search(self, text: str, limit: int = 20) -> list[SearchHit]:
        """Conversations with an exchange holding `text` (case-insensitive, inside words too), the one with the
        newest match first, each with that match's line. Matches are read newest first and reading stops at
        `limit` conversations (-1: all), so a common word costs no more than a rare one. Trigrams need 3
        characters; shorter text, and a SQLite without FTS5 trigrams, is searched with LIKE."""
        text = text.strip()
        if not text:
            return []
        found: dict[str, str] = {}  # conversation ID -> its newest matching line, in the order found
        with self.database.guard():
            for _row_id, conversation_id, question, reply in store_search.matches(self._db, text, self.database.fts):
                if conversation_id not in found:
                    found[conversation_id] = store_search.matching_line(question + "\n" + reply, text)
                    if len(found) == limit:
                        break
            ids = list(found)
            metas = {}
            for start in range(0, len(ids), 500):  # under SQLite's limit on parameters
                chunk = ids[start : start + 500]
                rows = self._db.execute(f"{_META} WHERE c.id IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
                metas.update((row[0], _meta(row)) for row in rows)
        return [SearchHit(metas[i], line) for i, line in found.items() if i in metas]

    def added_after(self, conversation_id: str, row: int) -> int:
        """How many exchanges of the conversation come after row `row` (another window's, seen from this one)."""
        with self.database.guard():
            return self._db.execute("SELECT count(*) FROM exchanges WHERE conversation_id = ? AND id > ?",
                                    (conversation_id, row)).fetchone()[0]

    def _missing(self, conversation_id: str) -> NoSuchConversation:
        return NoSuchConversation(_("no conversation {id} in {path}").format(id=conversation_id, path=self.database.path))


def _steps(number: int, stored: Any, unread: list[str]) -> tuple[Message, ...]:
    """A row's tool steps; none, and a reason in `unread`, when they are not as this version writes them (the
    file changed by hand, or by a bug): the question and the reply are worth more than what led to the reply,
    and steps half read are never sent."""
    try:
        return steps_of(stored)
    except StepsError as e:
        unread.append(_("exchange {number}: {reason}").format(number=number, reason=e))
        return ()
