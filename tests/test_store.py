"""The conversation store: round trips, titles, resume by prefix, list, search (FTS and LIKE), deletion, file
modes, migrations, refusing files it cannot trust (left byte-for-byte), kill -9 durability, two writers."""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ollama_chat.store import database as store_database
from ollama_chat.store import schema as store_schema
from ollama_chat.store import writer as store_writer
from ollama_chat.paths import conversations_db as db_path
from ollama_chat.store.schema import SCHEMA_VERSION, trigram_available
from ollama_chat.store.search import matching_line, shorten
from ollama_chat.store.sqlite import Store, StoreError
from ollama_chat.store.transcript import from_json, to_json
from ollama_chat.types import Exchange, Message, Stats

REPO = Path(__file__).resolve().parent.parent
STATS = Stats("stop", 42, 1_000_000_000, 10, 5_000_000, 7, 1_100_000_000)
KOREAN_Q = "도서관에서 빌릴 만한 책을 추천해 주세요"
KOREAN_A = "『코스모스』를 권합니다.\n우주와 인간에 대한 이야기입니다."


def ex(question: str, reply: str = "reply", model: str = "llama3.2", **kw) -> Exchange:
    return Exchange(Message("user", question), reply, model, **kw)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "ollama-chat" / "conversations.db"


def without_trigrams(monkeypatch) -> None:
    """As on a Python whose SQLite has no FTS5 trigram tokenizer."""
    monkeypatch.setattr(store_database, "trigram_available", lambda: False)
    monkeypatch.setattr(store_schema, "trigram_available", lambda: False)


@pytest.fixture
def store(path: Path):
    with Store.open(path) as s:
        yield s


def test_db_path_follows_xdg():
    assert db_path({"XDG_DATA_HOME": "/x/data", "HOME": "/h"}) == Path("/x/data/ollama-chat/conversations.db")
    assert db_path({"XDG_DATA_HOME": "relative", "HOME": "/h"}) == Path("/h/.local/share/ollama-chat/conversations.db")
    assert db_path({"HOME": "/h"}) == Path("/h/.local/share/ollama-chat/conversations.db")


def test_round_trip_after_reopening_keeps_each_exchange_as_it_was(path):
    log = (
        ex(KOREAN_Q, KOREAN_A, "llama3.2:latest", stats=STATS),
        ex("one more?", "Cut off mid-sent", "qwen3:8b", interrupted=True),
        ex("and without stats", "fine", "qwen3:8b"),
    )
    with Store.open(path) as s:
        cid = s.new_conversation("librarian", "llama3.2:latest", {"temperature": 0.2, "num_ctx": 8192},
                                 "당신은 사서입니다.", [("안녕", "안녕하세요!")], when=1000.0)
        for i, e in enumerate(log):
            s.add_exchange(cid, e, when=1001.0 + i)
    with Store.open(path) as s:
        conv = s.load(cid)
    assert conv.exchanges == log
    assert conv.system == "당신은 사서입니다." and conv.examples == (("안녕", "안녕하세요!"),)
    assert conv.options == {"temperature": 0.2, "num_ctx": 8192}
    m = conv.meta
    assert (m.id, m.created, m.updated, m.persona, m.exchanges) == (cid, 1000.0, 1003.0, "librarian", 3)
    assert m.model == "qwen3:8b"  # the model of the last exchange: the one a resume continues with
    # Exported through transcript.py (which keeps no stats), it loads back as the same exchanges.
    back = from_json(to_json(conv.exchanges, model=m.model, persona=m.persona, system=conv.system)).exchanges
    assert back == tuple(dataclasses.replace(e, stats=None) for e in log)


def test_update_settings_records_a_change_mid_conversation(store):
    cid = store.new_conversation("default", "m")
    store.update_settings(cid, persona="poet", options={"seed": 1}, system="Write verse.", examples=[("q", "a")])
    conv = store.load(cid)
    assert (conv.meta.persona, conv.options, conv.system, conv.examples) == ("poet", {"seed": 1}, "Write verse.", (("q", "a"),))


def test_title_is_the_first_question_shortened_until_named(store):
    cid = store.new_conversation("default", "m")
    assert store.load(cid).meta.title == ""
    question = "Explain\n the   borrow checker " + "in great detail " * 10
    store.add_exchange(cid, ex(question))
    store.add_exchange(cid, ex("second question"))
    title = store.load(cid).meta.title
    assert title.startswith("Explain the borrow checker in great detail") and title.endswith("…")
    assert len(title) <= 60 and "\n" not in title
    store.set_title(cid, "  러스트\n빌림 검사기 ")
    assert store.list()[0].title == "러스트 빌림 검사기"
    store.add_exchange(cid, ex("third"))
    assert store.load(cid).meta.title == "러스트 빌림 검사기"
    store.set_title(cid, "")  # back to the first question
    assert store.load(cid).meta.title == title


def test_a_title_set_before_the_first_exchange_stays(store):
    cid = store.new_conversation("default", "m")
    store.set_title(cid, "named")
    store.add_exchange(cid, ex("first"))
    assert store.load(cid).meta.title == "named"


def test_latest_and_unique_prefix_resolution(store, monkeypatch):
    assert store.latest() is None
    ids = iter(["abc111111111", "abc222222222", "def333333333"])
    monkeypatch.setattr(store_writer, "new_conversation_id", lambda: next(ids))
    a = store.new_conversation("p", "m", when=10.0)
    b = store.new_conversation("p", "m", when=20.0)
    c = store.new_conversation("p", "m", when=30.0)
    store.add_exchange(a, ex("alpha question"), when=40.0)
    assert store.latest() == a
    assert store.resolve("d") == c and store.resolve("ABC1") == a and store.resolve(b) == b
    with pytest.raises(StoreError) as e:
        store.resolve("abc")
    assert "more than one" in str(e.value) and a in str(e.value) and b in str(e.value) and "alpha question" in str(e.value)
    with pytest.raises(StoreError, match="no conversation"):
        store.resolve("fff")
    with pytest.raises(StoreError, match="not a conversation ID"):
        store.resolve("abc%")


def test_list_is_newest_first_with_a_limit_and_counts(store):
    ids = []
    for i in range(5):
        cid = store.new_conversation(f"persona{i}", f"model{i}", when=100.0 + i)
        for j in range(i):
            store.add_exchange(cid, ex(f"q{i}.{j}", model=f"model{i}"), when=100.0 + i)
        ids.append(cid)
    store.add_exchange(ids[1], ex("back to the old one", model="model1"), when=200.0)
    listed = store.list(3)
    assert [m.id for m in listed] == [ids[1], ids[4], ids[3]]
    assert [(m.persona, m.model, m.exchanges, m.title) for m in listed] == [
        ("persona1", "model1", 2, "q1.0"), ("persona4", "model4", 4, "q4.0"), ("persona3", "model3", 3, "q3.0")
    ]
    assert len(store.list(100)) == 5


def _fill_for_search(s: Store) -> tuple[str, str, str]:
    a = s.new_conversation("p", "m", when=1.0)
    s.add_exchange(a, ex("안녕하세요", "반갑습니다"), when=1.0)
    s.add_exchange(a, ex(KOREAN_Q, KOREAN_A), when=2.0)
    b = s.new_conversation("p", "m", when=3.0)
    s.add_exchange(b, ex("What is the Borrow Checker?", "It checks 100% of borrows_at compile time.\nSecond line."), when=3.0)
    c = s.new_conversation("p", "m", when=4.0)
    s.add_exchange(c, ex("어제 도서관에 갔어요", "좋네요"), when=4.0)
    return a, b, c


def check_search(s: Store) -> None:
    a, b, c = _fill_for_search(s)
    hits = s.search("도서관")  # a word inside a Korean sentence, no spaces around it
    assert [h.meta.id for h in hits] == [c, a]
    assert hits[1].line == KOREAN_Q and hits[0].line == "어제 도서관에 갔어요"
    assert [h.line for h in s.search("인간에")] == ["우주와 인간에 대한 이야기입니다."]
    assert [h.meta.id for h in s.search("borrow checker")] == [b]  # case-insensitive
    assert [h.line for h in s.search("100%")] == ["It checks 100% of borrows_at compile time."]
    assert s.search("10_%") == [] and s.search("s_at")[0].meta.id == b  # LIKE wildcards are literal
    assert [h.meta.id for h in s.search("책")] == [a]  # one syllable: shorter than a trigram
    assert s.search("도서관", limit=1)[0].meta.id == c
    assert s.search("없는 말") == [] and s.search("  ") == []
    s.delete(a)
    assert [h.meta.id for h in s.search("도서관")] == [c]  # the index forgets deleted exchanges


@pytest.mark.skipif(not trigram_available(), reason="this SQLite has no FTS5 trigram tokenizer")
def test_search_with_the_fts_trigram_index(store):
    assert store.fts
    check_search(store)


def test_search_with_the_like_fallback(path, monkeypatch):
    without_trigrams(monkeypatch)
    with Store.open(path) as s:
        assert not s.fts
        check_search(s)
    monkeypatch.undo()
    if trigram_available():  # a later Python with trigrams indexes what is already there
        with Store.open(path) as s:
            assert s.fts and [h.line for h in s.search("도서관")] == ["어제 도서관에 갔어요"]


def test_an_index_this_sqlite_cannot_update_is_refused(path, monkeypatch):
    if not trigram_available():
        pytest.skip("this SQLite has no FTS5 trigram tokenizer")
    Store.open(path).close()
    without_trigrams(monkeypatch)
    with pytest.raises(StoreError, match="search index"):
        Store.open(path)


def test_matching_line_and_shorten():
    assert matching_line("first\nsecond HELLO line\n", "hello") == "second HELLO line"
    long = "x" * 200 + " needle " + "y" * 200
    line = matching_line(long, "needle")
    assert "needle" in line and line.startswith("…") and line.endswith("…") and len(line) == 122
    assert shorten("a\n b", 60) == "a b"


def test_delete_and_older_than(store):
    old = store.new_conversation("p", "m", when=0.0)
    store.add_exchange(old, ex("old"), when=1_000.0)
    mid = store.new_conversation("p", "m", when=0.0)
    store.add_exchange(mid, ex("mid"), when=50 * 86400.0)
    new = store.new_conversation("p", "m", when=99 * 86400.0)
    gone = store.new_conversation("p", "m", when=99 * 86400.0)
    store.delete(gone)
    doomed = store.older_than(30, now=100 * 86400.0)
    assert {m.id for m in doomed} == {old, mid}
    store.delete(*(m.id for m in doomed))
    assert [m.id for m in store.list()] == [new]
    with pytest.raises(StoreError, match="no conversation"):
        store.load(old)
    with pytest.raises(StoreError, match="no longer"):
        store.add_exchange(old, ex("late"))
    assert store._db.execute("SELECT count(*) FROM exchanges").fetchone()[0] == 0  # cascaded


def test_file_is_0600_in_a_0700_folder_and_tightened(path):
    Store.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)
    path.parent.chmod(0o755)
    Store.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_store_reached_through_a_symlink_is_used_and_its_target_mode_left_alone(path, tmp_path):
    shared = tmp_path / "synced" / "chats.db"  # e.g. a file the user keeps in a synced folder, readable on purpose
    shared.parent.mkdir(mode=0o755)
    shared.parent.chmod(0o755)
    Store.open(shared).close()
    shared.chmod(0o644)
    path.parent.mkdir(parents=True)
    path.symlink_to(shared)
    with Store.open(path) as s:
        s.add_exchange(s.new_conversation("p", "m"), ex("through the link"))
    assert path.is_symlink() and stat.S_IMODE(shared.stat().st_mode) == 0o644
    with Store.open(shared) as s:
        assert s.list()[0].exchanges == 1


def test_a_damaged_store_behind_a_symlink_is_left_as_it_is_mode_included(path, tmp_path):
    target = tmp_path / "elsewhere.db"
    target.write_bytes(random.Random(1).randbytes(8192))
    target.chmod(0o664)
    path.parent.mkdir(parents=True)
    path.symlink_to(target)
    with pytest.raises(StoreError) as e:
        Store.open(path)
    assert "it is left as it is" in str(e.value)  # and so it is: its bytes and its mode
    assert stat.S_IMODE(target.stat().st_mode) == 0o664 and target.read_bytes() == random.Random(1).randbytes(8192)


def test_a_symlinked_store_folder_keeps_its_target_mode(path, tmp_path):
    target = tmp_path / "shared-folder"
    target.mkdir()
    target.chmod(0o755)
    path.parent.parent.mkdir(parents=True)
    path.parent.symlink_to(target, target_is_directory=True)
    Store.open(path).close()
    assert stat.S_IMODE(target.stat().st_mode) == 0o755 and (target / path.name).exists()


def test_a_fresh_store_gets_the_latest_schema_and_wal(path):
    Store.open(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(store_schema.MIGRATIONS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    Store.open(path).close()  # reopening migrates nothing more


def test_an_older_schema_is_migrated_keeping_its_data(path, monkeypatch):
    monkeypatch.setattr(store_schema, "MIGRATIONS", store_schema.MIGRATIONS[:1])
    monkeypatch.setattr(store_database, "SCHEMA_VERSION", 1)
    without_trigrams(monkeypatch)
    with Store.open(path) as s:
        cid = "0123456789ab"  # rows as version 1 wrote them (today's methods write the later columns too)
        s._db.execute("INSERT INTO conversations (id, created, updated, persona, model, options, system, examples)"
                      " VALUES (?, 0, 0, 'p', 'm', '{}', '', '[]')", (cid,))
        s._db.execute("INSERT INTO exchanges (conversation_id, time, model, question, reply) VALUES (?, 0, 'm', ?, 'a')",
                      (cid, "기억해 주세요"))
    monkeypatch.undo()
    with Store.open(path) as s:
        assert s.load(cid).exchanges[0].question.content == "기억해 주세요"
        assert s._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_newer_schema_is_refused_and_left_as_it_was(path):
    with Store.open(path) as s:
        s.add_exchange(s.new_conversation("p", "m"), ex("q"))
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as e:
        Store.open(path)
    assert str(path) in str(e.value) and "newer ollama-chat" in str(e.value) and "upgrade" in str(e.value)
    assert path.read_bytes() == before


def test_random_bytes_are_refused_and_left_as_they_were(path):
    path.parent.mkdir(parents=True)
    path.write_bytes(random.Random(0).randbytes(8192))
    before = path.read_bytes()
    with pytest.raises(StoreError) as e:
        Store.open(path)
    assert f"mv {path} {path}.broken" in e.value.hint
    assert path.read_bytes() == before


def test_a_truncated_store_is_refused_and_left_as_it_was(path):
    with Store.open(path) as s:
        for i in range(40):
            cid = s.new_conversation("p", "m")
            s.add_exchange(cid, ex(f"question {i} " + "긴 질문 " * 200, "reply " * 300))
    size = path.stat().st_size
    assert size > 100_000
    with open(path, "r+b") as f:
        f.truncate(size // 2)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="damaged"):
        Store.open(path)
    assert path.read_bytes() == before


def test_a_folder_in_the_way_is_a_store_error(path):
    path.mkdir(parents=True)
    with pytest.raises(StoreError, match=str(path)):
        Store.open(path)


def test_a_lock_held_too_long_is_a_store_error(path):
    with Store.open(path) as s:
        cid = s.new_conversation("p", "m")
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write, for too long
        try:
            s2 = Store.open(path, busy_timeout=0.05)
            with pytest.raises(StoreError, match=r"another program \(another ollama-chat\?\) has held it for too long"):
                s2.add_exchange(cid, ex("q"))
            s2.close()
        finally:
            other.execute("ROLLBACK")
            other.close()
        s.add_exchange(cid, ex("now it can"))
        assert s.load(cid).meta.exchanges == 1


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ollama_chat.store.sqlite import Store
    from ollama_chat.types import Exchange, Message, Stats

    path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = Store.open(path)
    cid = store.new_conversation("p", "m")
    print("ready", cid, flush=True)
    sys.stdin.readline()  # "go"
    for i in range(count):
        store.add_exchange(cid, Exchange(Message("user", f"{name} 질문 {i}"), f"답 {i}", "m", Stats("stop", i)))
    print(f"{count} done", flush=True)
    sys.stdin.readline()  # the kill -9 test kills us here, about to add one more
    store.add_exchange(cid, Exchange(Message("user", "one more"), "", "m", interrupted=True))
    print("exit", flush=True)
    """
)


def spawn(path: Path, name: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), name, str(count)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )


def expect_line(child: subprocess.Popen[str], start: str) -> str:
    line = child.stdout.readline()
    assert line.startswith(start), (line, child.stderr.read() if child.poll() is not None else "")
    return line.split()[1] if start == "ready" else line


def test_kill_9_loses_nothing_that_was_committed(path):
    child = spawn(path, "kill", 3)
    try:
        cid = expect_line(child, "ready")
        child.stdin.write("go\n")
        child.stdin.flush()
        expect_line(child, "3 done")
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    with Store.open(path) as s:
        conv = s.load(cid)
    assert [e.question.content for e in conv.exchanges] == ["kill 질문 0", "kill 질문 1", "kill 질문 2"]
    assert [e.stats for e in conv.exchanges] == [Stats("stop", 0), Stats("stop", 1), Stats("stop", 2)]


IMPORTER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ollama_chat.chat.conversation import Conversation
    from ollama_chat.chat.personas import load_persona
    from ollama_chat.chat.recorder import Recorder
    from ollama_chat.chat.settings import Flags
    from ollama_chat.chat.layers import build_layers
    from ollama_chat.store.sqlite import Store
    from ollama_chat.types import Exchange, Message

    path, count = Path(sys.argv[1]), int(sys.argv[2])
    settings = build_layers(Flags(), {}, {}, load_persona("assistant", path.parent)).resolve()
    conversation = Conversation([Exchange(Message("user", f"질문 {i}"), f"답 {i} " + "긴 답변 " * 60, "m")
                                 for i in range(count)])  # as /load leaves it: nothing stored yet
    recorder = Recorder(Store.open(path), lambda text, hint: print(text, file=sys.stderr))
    print("importing", flush=True)
    recorder.record(conversation, settings)
    print("done", flush=True)
    """
)


def test_a_kill_during_an_import_leaves_all_of_it_or_none(path):
    Store.open(path).close()
    wal = path.with_name(path.name + "-wal")
    child = subprocess.Popen([sys.executable, "-c", IMPORTER, str(path), "20000"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert child.stdout.readline() == "importing\n", child.stderr.read()
        while child.poll() is None and (not wal.exists() or wal.stat().st_size < 1_000_000):
            time.sleep(0.001)  # polling for the moment the import is writing, not a fixed wait
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    with Store.open(path) as s:
        counts = [m.exchanges for m in s.list(-1)]
    assert counts in ([], [20000]), counts


def test_two_processes_write_at_once(path):
    Store.open(path).close()  # both children open an existing store (they could race a fresh one, too)
    children = [spawn(path, name, 50) for name in ("first", "second")]
    try:
        ids = [expect_line(c, "ready") for c in children]
        for c in children:
            c.stdin.write("go\n")
            c.stdin.flush()
        for c in children:
            expect_line(c, "50 done")
        for c in children:
            c.stdin.write("\n")
            c.stdin.flush()
        for c in children:
            out, err = c.communicate(timeout=60)
            assert c.returncode == 0 and out == "exit\n" and "locked" not in err, err
    finally:
        for c in children:
            if c.poll() is None:
                c.kill()
                c.communicate()
    with Store.open(path) as s:
        counts = {m.id: m.exchanges for m in s.list()}
    assert counts == {ids[0]: 51, ids[1]: 51}


def test_an_import_is_indexed_later_and_search_and_deletion_stay_right(path):
    from ollama_chat.store import search as store_search

    if not store_search.INDEX_LATER:
        pytest.skip("imports are indexed at once")
    with Store.open(path) as store:
        if not store.fts:
            pytest.skip("this SQLite has no FTS5 trigram tokenizer")
        cid = store.new_conversation("p", "m")
        batch = [Exchange(Message("user", f"q {i}"), f"reply {i}" + (" 우주와 인간" if i % 500 == 0 else ""), "m")
                 for i in range(store_search.INDEX_LATER)]
        store.add_exchanges(cid, batch)
        assert store_search.waiting(store._db) == len(batch)
        hits_before = store.search("우주와", -1)
        store.index_some(limit=300)  # part of it
        other = store.new_conversation("p", "m")
        store.add_exchange(other, Exchange(Message("user", "새 질문 우주와"), "r", "m"))  # indexed at once
        assert {h.meta.id for h in store.search("우주와", -1)} == {cid, other}
        assert [h.meta.id for h in hits_before] == [cid]
        store.delete(cid)  # half indexed, half not: the index must stay consistent
        store._db.execute("INSERT INTO exchanges_fts(exchanges_fts) VALUES ('integrity-check')")
        assert [h.meta.id for h in store.search("우주와", -1)] == [other]
        assert store.index_some() == 0
