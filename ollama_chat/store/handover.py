"""Handing long text to SQLite without leaving copies of it behind.

A `str` bound as a parameter costs a long reply three copies that outlive the write: Python caches the str's UTF-8
form on the str itself (for as long as the conversation keeps the reply), and SQLite keeps its own copy of a bound
value inside the cached statement until that statement is next used. A text longer than LONG_TEXT is therefore
given to SQLite by a function, `handed(key)`, which encodes it when SQLite asks: the bytes go as soon as SQLite has
copied them, and SQLite lets go of a function's result when the statement ends. (Measured on a 4 MB reply: a piped
one-shot's peak 58 → 50 MiB, with the search index filled after the row, see search.index_entry.)
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Sequence
from typing import Any

LONG_TEXT = 65536  # characters; shorter text is bound as usual (a function call costs more than the copy saves)
FUNCTION = "handed"


class Handover:
    """The long texts of one write, waiting for SQLite to ask for them, on one connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._waiting: dict[int, str] = {}
        self._keys = itertools.count()
        self._registered = False

    def keyed(self, rows: Sequence[tuple[Any, ...]], columns: Sequence[int]) -> list[tuple[Any, ...]] | None:
        """`rows` with each long text of `columns` replaced by its key for `handed`; None when no text is long
        (then the rows are written as they are). Text that is not valid Unicode (a lone surrogate) stays bound as
        a str, so SQLite refuses it as it always did."""
        keyed: list[tuple[Any, ...]] | None = None
        for n, row in enumerate(rows):
            for column in columns:
                value = row[column]
                if isinstance(value, str) and len(value) > LONG_TEXT and _encodes(value):
                    if keyed is None:
                        keyed = list(rows)
                    key = next(self._keys)
                    self._waiting[key] = value
                    keyed[n] = (*keyed[n][:column], key, *keyed[n][column + 1 :])
        if keyed is not None and not self._registered:
            self._db.create_function(FUNCTION, 1, self._hand, deterministic=False)
            self._registered = True
        return keyed

    def done(self) -> None:
        """Forget what SQLite did not ask for (the write failed before it did)."""
        self._waiting.clear()

    def _hand(self, value: Any) -> Any:
        """A key's text as UTF-8 bytes (the SQL casts them back to TEXT); any other value as it is."""
        if isinstance(value, int):
            return self._waiting.pop(value).encode()
        return value


def _encodes(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
