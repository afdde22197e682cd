"""The store split by job (issue 19): `Store` is its writer and its queries over one connection, the queries
never write, and no module of the store is big (~300 lines) nor any function long (~60)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from ollama_chat.store.queries import Queries
from ollama_chat.store.sqlite import Store, StoreError
from ollama_chat.store.writer import Writer
from ollama_chat.types import Exchange, Message

STORE = Path(__file__).resolve().parent.parent / "ollama_chat" / "store"


def public(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def test_every_query_runs_on_a_connection_that_may_not_write(tmp_path):
    """Each public method of Queries, on a connection in SQLite's query_only mode: all answer; a write fails."""
    with Store.open(tmp_path / "conversations.db") as store:
        first = store.new_conversation("p", "m", when=1.0)
        store.add_exchanges(first, [Exchange(Message("user", "도서관 질문"), "답", "m")], when=2.0)
        second = store.new_conversation("p", "m", when=3.0)  # newer, with no exchange yet
        store.database.connection.execute("PRAGMA query_only = ON")
        queries = Queries(store.database)
        calls = {
            "latest": lambda: queries.latest(),
            "resolve": lambda: queries.resolve(first[:8]),
            "load_meta": lambda: queries.load_meta(first).exchanges,
            "load": lambda: len(queries.load(first).exchanges),
            "list": lambda: len(queries.list()),
            "older_than": lambda: len(queries.older_than(1, now=86_400 + 2.5)),
            "search": lambda: [hit.meta.id for hit in queries.search("도서관")],
            "added_after": lambda: queries.added_after(first, 0),
        }
        assert set(calls) == public(Queries)  # a new query is added here too, and so checked
        answers = {name: call() for name, call in calls.items()}
        assert answers == {"latest": second, "resolve": first, "load_meta": 1, "load": 1, "list": 2, "older_than": 1,
                           "search": [first], "added_after": 1}
        with pytest.raises(StoreError, match="cannot be written"):
            Writer(store.database).set_title(first, "제목")


def test_the_store_is_its_writer_and_its_queries_with_no_name_in_both():
    assert public(Writer) & public(Queries) == set()
    assert public(Writer) | public(Queries) <= public(Store)


def test_no_store_module_over_300_lines_nor_function_over_60():
    big = {p.name: n for p in STORE.glob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}
    long = {f"{p.name}: {node.name}" for p in STORE.glob("*.py")
            for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 60}
    assert (big, long) == ({}, set())
