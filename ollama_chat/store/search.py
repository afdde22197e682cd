"""Finding text in the stored exchanges, and keeping the index that finds it.

FTS5's trigram index finds a word inside a Korean sentence, but it is costly to fill: ~10 s for 100,000
exchanges. A big import (`/load`, `--resume FILE`) is therefore written without it, its rows listed in
`unindexed`, and indexed afterwards a chunk at a time (`index_some`, one commit each). Search reads the index
and scans what is still listed with LIKE, so it finds everything at every moment.
"""

from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Iterator

INDEX_LATER = 1000  # a write of this many exchanges or more is indexed afterwards, in chunks
LINE_LENGTH = 120


def matching_line(text: str, needle: str, length: int = LINE_LENGTH) -> str:
    """The line of `text` holding `needle` (case-insensitively), cut to `length` characters around it."""
    folded = needle.casefold()
    for line in text.splitlines():
        at = line.casefold().find(folded)
        if at >= 0:
            start = max(0, min(at - length // 3, len(line) - length))
            piece = line[start : start + length].strip()
            return ("…" if start else "") + piece + ("…" if start + length < len(line) else "")
    return shorten(text, length)


def shorten(text: str, length: int) -> str:
    """`text` on one line, at most `length` characters."""
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1].rstrip() + "…"


def index_later(db: sqlite3.Connection, first: int, last: int) -> int:
    """Rows `first`..`last` (about to be inserted, in the caller's transaction) skip the index for now; the
    entry's key for `index_entry`."""
    return db.execute("INSERT INTO unindexed (first, last) VALUES (?, ?)", (first, last)).lastrowid or 0


def index_entry(db: sqlite3.Connection, entry: int) -> None:
    """Index the rows of one `index_later` entry now, in the caller's transaction, and drop the entry."""
    first, last = db.execute("SELECT first, last FROM unindexed WHERE rowid = ?", (entry,)).fetchone()
    db.execute("INSERT INTO exchanges_fts(rowid, question, reply) SELECT id, question, reply FROM exchanges"
               " WHERE id BETWEEN ? AND ?", (first, last))
    db.execute("DELETE FROM unindexed WHERE rowid = ?", (entry,))


def index_some(db: sqlite3.Connection, limit: int) -> int:
    """Index up to `limit` rows waiting for it, in the caller's transaction; how many still wait after."""
    done = 0
    for rowid, first, last in db.execute("SELECT rowid, first, last FROM unindexed ORDER BY first").fetchall():
        if done >= limit:
            break
        upto = min(last, first + (limit - done) - 1)
        db.execute("INSERT INTO exchanges_fts(rowid, question, reply) SELECT id, question, reply FROM exchanges"
                   " WHERE id BETWEEN ? AND ?", (first, upto))
        if upto == last:
            db.execute("DELETE FROM unindexed WHERE rowid = ?", (rowid,))
        else:
            db.execute("UPDATE unindexed SET first = ? WHERE rowid = ?", (upto + 1, rowid))
        done += upto - first + 1
    return waiting(db)


def waiting(db: sqlite3.Connection) -> int:
    """How many row ids still wait for the index (deleted rows among them count too)."""
    return db.execute("SELECT coalesce(sum(last - first + 1), 0) FROM unindexed").fetchone()[0]


def matches(db: sqlite3.Connection, text: str, fts: bool) -> Iterator[tuple[int, str, str, str]]:
    """(row id, conversation ID, question, reply) of every exchange holding `text`, newest first. Trigrams
    need 3 characters; shorter text, and a SQLite without FTS5 trigrams, is searched with LIKE."""
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if not (fts and len(text) >= 3):
        return iter(db.execute("SELECT id, conversation_id, question, reply FROM exchanges WHERE question LIKE ?1"
                               " ESCAPE '\\' OR reply LIKE ?1 ESCAPE '\\' ORDER BY id DESC", (like,)))
    indexed = db.execute("SELECT e.id, e.conversation_id, e.question, e.reply FROM exchanges_fts JOIN exchanges e"
                         " ON e.id = exchanges_fts.rowid WHERE exchanges_fts MATCH ? ORDER BY exchanges_fts.rowid DESC",
                         ('"' + text.replace('"', '""') + '"',))
    if not waiting(db):
        return iter(indexed)
    scanned = db.execute("SELECT e.id, e.conversation_id, e.question, e.reply FROM unindexed u JOIN exchanges e"
                         " ON e.id BETWEEN u.first AND u.last WHERE e.question LIKE ?1 ESCAPE '\\'"
                         " OR e.reply LIKE ?1 ESCAPE '\\' ORDER BY e.id DESC", (like,))
    return heapq.merge(indexed, scanned, key=lambda row: row[0], reverse=True)
