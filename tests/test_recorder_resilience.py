"""The store as more than one window and a failing disk meet it: two chats on one conversation each undo only
their own exchanges; a store that is locked or full keeps what it could not take and saves it once it works
again, saying exactly what is and is not saved; a long /load is written in one transaction."""

from __future__ import annotations

import re
import sqlite3

import pytest

from ollama_chat.store.sqlite import Store
from ollama_chat.store.transcript import to_json
from ollama_chat.types import Exchange, Message
from ollama_chat.ui.commands import handle_line
from ollama_chat.ui.status import toolbar
from test_recorder import make_chat


@pytest.fixture
def db(tmp_path):
    return tmp_path / "data" / "conversations.db"


def said(chat) -> str:
    """What the chat showed, as one line of words (escapes and wrapping taken out)."""
    return " ".join(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", chat.console.file.getvalue()).split())


def rows(db):
    """(question, reply) of every stored exchange, in the order they were written."""
    with sqlite3.connect(db) as c:
        return c.execute("SELECT question, reply FROM exchanges ORDER BY id").fetchall()


def questions(db):
    return [q for q, _ in rows(db)]


# -- two windows on one conversation ---------------------------------------------------------------------------


@pytest.fixture
def two(fake_ollama, tmp_path, db):
    """Window A starts a conversation; window B goes on with it (`/resume 1`, as `-c` does)."""
    with Store.open(db) as store_a, Store.open(db) as store_b:
        a = make_chat(fake_ollama, tmp_path, store_a)
        b = make_chat(fake_ollama, tmp_path, store_b)
        handle_line(a, "하나")
        handle_line(b, "/resume 1")
        yield a, b


def test_undo_in_one_window_never_deletes_the_other_windows_exchange(two, db):
    a, b = two
    handle_line(a, "A의 둘")
    handle_line(b, "B의 둘")
    assert questions(db) == ["하나", "A의 둘", "B의 둘"]  # both, in the order they were written
    handle_line(a, "/undo")
    assert questions(db) == ["하나", "B의 둘"]  # A's own, although B's is newer
    handle_line(b, "/undo")
    assert questions(db) == ["하나"]


def test_a_window_is_told_once_that_another_added_exchanges(two, db):
    a, b = two
    handle_line(a, "A의 둘")
    handle_line(b, "B의 둘")
    handle_line(a, "A의 셋")
    handle_line(b, "B의 셋")
    assert said(b).count("Another ollama-chat has added") == 1
    assert "Another ollama-chat has added 1 exchange to this conversation" in said(b)
    assert "Another ollama-chat has added 1 exchange to this conversation" in said(a)  # B's second, seen by A
    # each window sends the model its own view: B never sent A's exchanges
    assert [e.question.content for e in b.session.conversation.exchanges] == ["하나", "B의 둘", "B의 셋"]


def test_retry_and_edit_replace_their_own_exchange_only(two, db, fake_ollama):
    a, b = two
    handle_line(a, "A의 둘")
    handle_line(b, "B의 둘")
    fake_ollama.reply("다시 쓴 답")
    handle_line(a, "/retry")
    assert rows(db) == [("하나", "echo: 하나"), ("B의 둘", "echo: B의 둘"), ("A의 둘", "다시 쓴 답")]
    b.session.edit_last("B의 고친 둘")  # /edit, without the editor
    assert questions(db) == ["하나", "A의 둘", "B의 고친 둘"]


def test_undoing_a_resumed_exchange_deletes_exactly_its_row(two, db):
    a, b = two
    handle_line(a, "A의 둘")  # after B resumed: B does not have it
    handle_line(b, "/undo")  # B's last is 하나, loaded when it resumed
    assert questions(db) == ["A의 둘"]


def test_undoing_what_another_window_removed_already_says_so(two, db):
    a, b = two
    handle_line(a, "/undo")  # A removes 하나, which B holds too
    assert "no longer in the store" not in said(a)
    handle_line(b, "/undo")
    assert "It was no longer in the store: another window had removed it already." in said(b)


# -- a store that fails, then works again ----------------------------------------------------------------------


@pytest.fixture
def impatient(fake_ollama, tmp_path, db):
    """A chat whose store gives up on a lock after 50 ms."""
    Store.open(db).close()
    with Store.open(db, busy_timeout=0.05) as store:
        yield make_chat(fake_ollama, tmp_path, store)


def test_a_lock_held_by_another_process_delays_saving_and_nothing_is_lost(impatient, db):
    chat = impatient
    handle_line(chat, "하나")
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the store longer than the busy timeout
    try:
        handle_line(chat, "둘")
        assert "is locked" in said(chat)
        assert "Exchange 2 is not saved yet: it is saved with the next exchange once the store works again" in said(chat)
        assert "Exchange 1 is saved." in said(chat)
        assert toolbar(chat.session).endswith(" · not saved ")
        handle_line(chat, "셋")
        assert said(chat).count("Warning:") == 1  # said once while it lasts
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert questions(db) == ["하나"]
    handle_line(chat, "넷")
    assert questions(db) == ["하나", "둘", "셋", "넷"]  # the waiting ones first, in order
    assert "The conversation store works again: exchanges 2–4 are saved now." in said(chat)
    assert not toolbar(chat.session).endswith(" · not saved ")


def test_a_full_disk_that_is_freed_again_saves_what_waited(fake_ollama, tmp_path, db):
    with Store.open(db) as store:
        chat = make_chat(fake_ollama, tmp_path, store)
        handle_line(chat, "하나")
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages}")  # a real SQLITE_FULL from here on
        fake_ollama.reply("긴 답 " * 2000)
        handle_line(chat, "둘")
        assert "the disk holding" in said(chat) and "is full" in said(chat)
        assert "Exchange 2 is not saved yet" in said(chat)
        handle_line(chat, "/undo")  # taken off the screen while the disk is full: never stored
        fake_ollama.reply("또 긴 답 " * 2000)
        handle_line(chat, "셋")
        assert questions(db) == ["하나"]
        store._db.execute("PRAGMA max_page_count = 1073741823")  # space again
        handle_line(chat, "넷")
        assert questions(db) == ["하나", "셋", "넷"]


def test_leaving_while_the_store_still_fails_says_what_was_not_saved(impatient, db):
    chat = impatient
    handle_line(chat, "하나")
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        handle_line(chat, "둘")
        handle_line(chat, "셋")
        chat.session.recorder.last_chance(chat.session.conversation, chat.session.settings)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "Exchanges 2–3 were not saved:" in said(chat) and "is locked" in said(chat)


def test_an_undo_the_store_could_not_take_is_done_when_it_works_again(impatient, db):
    chat = impatient
    handle_line(chat, "하나")
    handle_line(chat, "둘")
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        handle_line(chat, "/undo")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert questions(db) == ["하나", "둘"]
    handle_line(chat, "셋")
    assert questions(db) == ["하나", "셋"]


# -- a long /load is one transaction ---------------------------------------------------------------------------


def long_transcript(path, count):
    exchanges = [Exchange(Message("user", f"질문 {i}"), f"답 {i} 양자역학" if i == 7 else f"답 {i}", "llama3.2")
                 for i in range(count)]
    path.write_text(to_json(exchanges, model="llama3.2", persona="monk", system=""), encoding="utf-8")


def test_a_loaded_transcript_is_stored_whole_or_not_at_all(fake_ollama, tmp_path, db):
    long_transcript(tmp_path / "long.json", 3000)
    with Store.open(db) as store:
        chat = make_chat(fake_ollama, tmp_path, store)
        handle_line(chat, f"/load {tmp_path / 'long.json'}")
        # a failure at the 2,500th exchange (a real SQLite error, raised inside the import's transaction)
        store._db.execute("CREATE TEMP TRIGGER fail_late BEFORE INSERT ON exchanges WHEN new.question = '질문 2499'"
                          " BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
        handle_line(chat, "이어서")
        assert rows(db) == []  # not 2,499 of them: nothing, not even the conversation
        with sqlite3.connect(db) as c:
            assert c.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0
        assert "Exchanges 1–3001 are not saved yet" in said(chat)
        store._db.execute("DROP TRIGGER fail_late")
        handle_line(chat, "또")
    stored = questions(db)
    assert stored == [f"질문 {i}" for i in range(3000)] + ["이어서", "또"]
    with Store.open(db) as store:  # the import is found by search before and after its index catches up
        assert [h.line for h in store.search("양자역학")] == ["답 7 양자역학"]
        while store.index_some():
            pass
        assert [h.line for h in store.search("양자역학")] == ["답 7 양자역학"]
        store._db.execute("INSERT INTO exchanges_fts(exchanges_fts) VALUES ('integrity-check')")


@pytest.mark.parametrize("released", [True, False])
def test_a_one_shot_waits_for_a_lock_then_says_plainly_whether_its_answer_was_saved(cli, fake_ollama, tmp_path,
                                                                                     monkeypatch, released):
    """A one-shot has no next exchange to save a waiting one with: it tries again while another program holds
    the lock (up to its patience), then exits 1 saying the answer was not saved, never promising a next time."""
    import threading

    from ollama_chat.chat import recorder as recorder_module
    from ollama_chat.store import database as store_database

    assert cli("하나")[0] == 0
    db = tmp_path / "data" / "ollama-chat" / "conversations.db"  # where the cli fixture's one-shot keeps it
    monkeypatch.setattr(store_database, "BUSY_TIMEOUT", 0.05)
    monkeypatch.setattr(recorder_module, "ONE_SHOT_PATIENCE", 3600 if released else 0.3)
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")  # held by another program
    tried = threading.Event()
    real_record = recorder_module.Recorder.record

    def record(self, conversation, settings):
        saved = real_record(self, conversation, settings)
        tried.set()  # a first try has failed on the lock
        return saved

    monkeypatch.setattr(recorder_module.Recorder, "record", record)

    def let_go():
        tried.wait(60)
        other.execute("ROLLBACK")

    letting_go = threading.Thread(target=let_go, daemon=True)
    if released:
        letting_go.start()
    try:
        code, out, err = cli("둘")
    finally:
        tried.set()
        if released:
            letting_go.join()  # never close the connection under the thread's ROLLBACK
        else:
            other.execute("ROLLBACK")
        other.close()
    assert "saved with the next exchange" not in err
    if released:
        assert code == 0 and questions(db) == ["하나", "둘"] and "Warning" not in err
    else:
        assert code == 1 and questions(db) == ["하나"], err
        assert "The answer was not saved:" in err and "is locked: another program" in err
