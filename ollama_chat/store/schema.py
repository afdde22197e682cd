"""The conversation store's schema: the migrations, an ordered list where each takes the schema from version
N-1 to N, run once each, in order, inside one write transaction."""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
from collections.abc import Callable, Iterator

from ollama_chat.hosts import has_credentials


@functools.cache
def trigram_available() -> bool:
    """Whether this Python's SQLite has FTS5 with the trigram tokenizer (3.34+), which finds a word inside
    a Korean sentence; without it search falls back to LIKE."""
    try:
        with contextlib.closing(sqlite3.connect(":memory:")) as db:
            db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        return True
    except sqlite3.Error:
        return False


def _m001_conversations(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE conversations (
            id TEXT PRIMARY KEY, created REAL NOT NULL,
            updated REAL NOT NULL,  -- time of the last exchange: list and resume order by it
            persona TEXT NOT NULL,
            model TEXT NOT NULL,    -- the model of the last exchange (the one a resume continues with)
            options TEXT NOT NULL, system TEXT NOT NULL,
            examples TEXT NOT NULL, -- JSON list of [question, answer]
            title TEXT              -- NULL: the first question stands in until /title names it
        )"""
    )
    db.execute("CREATE INDEX conversations_updated ON conversations(updated)")
    db.execute(
        """CREATE TABLE exchanges (
            id INTEGER PRIMARY KEY, -- increasing: the order of exchanges in a conversation
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            time REAL NOT NULL, model TEXT NOT NULL, question TEXT NOT NULL, reply TEXT NOT NULL,
            stats TEXT,             -- JSON of types.Stats; NULL when the server sent none
            interrupted INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE INDEX exchanges_conversation ON exchanges(conversation_id)")


def _m002_search(db: sqlite3.Connection) -> None:
    """The full-text index, where this SQLite has it (`Database._ensure_search` adds it later where it did not)."""
    if trigram_available():
        create_search(db)


def create_search(db: sqlite3.Connection) -> None:
    db.execute("CREATE VIRTUAL TABLE exchanges_fts USING fts5(question, reply, content='exchanges',"
               " content_rowid='id', tokenize='trigram')")
    _index_triggers(db)
    db.execute("INSERT INTO exchanges_fts(exchanges_fts) VALUES ('rebuild')")
    db.execute("DELETE FROM unindexed")  # the rebuild indexed every row


def _index_triggers(db: sqlite3.Connection) -> None:
    """Each exchange joins the index as it is written and leaves it as it is deleted, except the rows of a big
    import listed in `unindexed` (store_search indexes them later)."""
    db.execute("CREATE TABLE IF NOT EXISTS unindexed (first INTEGER NOT NULL, last INTEGER NOT NULL)")
    db.execute("DROP TRIGGER IF EXISTS exchanges_ai")
    db.execute("DROP TRIGGER IF EXISTS exchanges_ad")
    db.execute("CREATE TRIGGER exchanges_ai AFTER INSERT ON exchanges WHEN NOT EXISTS (SELECT 1 FROM unindexed"
               " WHERE new.id BETWEEN first AND last) BEGIN INSERT INTO exchanges_fts(rowid, question, reply)"
               " VALUES (new.id, new.question, new.reply); END")
    db.execute("CREATE TRIGGER exchanges_ad AFTER DELETE ON exchanges WHEN NOT EXISTS (SELECT 1 FROM unindexed"
               " WHERE old.id BETWEEN first AND last) BEGIN INSERT INTO exchanges_fts(exchanges_fts, rowid, question,"
               " reply) VALUES ('delete', old.id, old.question, old.reply); END")


def _m003_summary(db: sqlite3.Connection) -> None:
    """/compact's summary, sent in place of the first `summarized` exchanges."""
    db.execute("ALTER TABLE conversations ADD COLUMN summary TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE conversations ADD COLUMN summarized INTEGER NOT NULL DEFAULT 0")


def _m004_attachments(db: sqlite3.Connection) -> None:
    """Files and images brought into a question. `question` keeps the words the user typed (what lists, shows
    and searches read); `sent` the text the model received when it differs (the files' fenced blocks before
    the words); `images` the base64 images; `attached` the names, sizes and kinds, as JSON."""
    db.execute("ALTER TABLE exchanges ADD COLUMN sent TEXT")
    db.execute("ALTER TABLE exchanges ADD COLUMN images TEXT")
    db.execute("ALTER TABLE exchanges ADD COLUMN attached TEXT")


def _m005_server(db: sqlite3.Connection) -> None:
    """The server a conversation was held on (JSON; see _m007 for what is kept)."""
    db.execute("ALTER TABLE conversations ADD COLUMN server TEXT")


def _m006_index_later(db: sqlite3.Connection) -> None:
    """A big import is indexed for search after it is stored (a chunk at a time): `unindexed` lists its rows,
    and the triggers leave them to that."""
    db.execute("CREATE TABLE IF NOT EXISTS unindexed (first INTEGER NOT NULL, last INTEGER NOT NULL)")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'exchanges_fts'").fetchone() is not None:
        _index_triggers(db)



def _m007_server_name_only(db: sqlite3.Connection) -> None:
    """A conversation keeps only its server's configured name, or its plain host (shown, never used): version 5
    kept the API and key variable too, and a resume sent that key wherever the row (or a file imported into
    it) said."""
    rows = db.execute("SELECT id, server FROM conversations WHERE server IS NOT NULL").fetchall()
    for conversation_id, server in rows:
        db.execute("UPDATE conversations SET server = ? WHERE id = ?", (kept_server(server), conversation_id))


def kept_server(text: str) -> str | None:
    """A stored `server` JSON as version 6 keeps it: {"name": …} or {"host": …} (no user or password), or NULL."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    for key in ("name", "host"):
        kept = value.get(key)
        if isinstance(kept, str) and kept and not (key == "host" and has_credentials(kept)):
            return json.dumps({key: kept}, ensure_ascii=False)
    return None


def _m008_steps(db: sqlite3.Connection) -> None:
    """An exchange's tool steps (the assistant's calls and the tools' results, before its reply) as JSON in the
    form store/steps.py reads and writes; NULL when it made none, as every exchange before this version."""
    db.execute("ALTER TABLE exchanges ADD COLUMN steps TEXT")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_m001_conversations, _m002_search, _m003_summary,
                                                                _m004_attachments, _m005_server, _m006_index_later,
                                                                _m007_server_name_only, _m008_steps)
SCHEMA_VERSION = len(MIGRATIONS)



@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken at once (BEGIN IMMEDIATE) so a concurrent writer waits on the busy timeout
    instead of failing on a stale snapshot; committed on leaving, rolled back on an error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def migrate(db: sqlite3.Connection) -> None:
    """Run the missing migrations in one transaction; the version is read again under the write lock, so two
    processes opening a new file at once migrate it once."""
    with transaction(db):
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS[version:], version + 1):
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")
