"""The store is read whole (`PRAGMA quick_check`) once a day and after something went wrong, not at every open:
a marker beside it (store/integrity.py) says which file passed, how big it was and when. What SQLite was asked
is seen through a trace callback on the store's own connection."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import time

import pytest

from ollama_chat.store import database as store_database
from ollama_chat.store import integrity
from ollama_chat.store.sqlite import Store, StoreError
from ollama_chat.types import Exchange, Message

DAY = integrity.CHECK_EVERY


@pytest.fixture
def path(tmp_path):
    return tmp_path / "data" / "ollama-chat" / "conversations.db"


@pytest.fixture
def statements(monkeypatch):
    """Every statement the store's connections run, in order."""
    seen: list[str] = []
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        connection = connect(*args, **kwargs)
        connection.set_trace_callback(seen.append)
        return connection

    monkeypatch.setattr(store_database.sqlite3, "connect", traced)
    return seen


def checks(seen: list[str]) -> int:
    return sum("quick_check" in s for s in seen)


def opened(path, seen):
    seen.clear()
    with Store.open(path) as store:
        store.list()
    return checks(seen)


def make_store(path):
    with Store.open(path) as store:
        cid = store.new_conversation("assistant", "llama3.2")
        store.add_exchange(cid, Exchange(Message("user", "안녕하세요"), "반갑습니다", "llama3.2"))


def test_a_store_checked_today_is_not_read_whole_again_and_its_marker_is_private(path, statements):
    make_store(path)
    marker = integrity.marker(path)
    assert stat.S_IMODE(marker.stat().st_mode) == 0o600
    dev, ino, size, when = marker.read_text().split()
    assert (int(dev), int(ino)) == (path.stat().st_dev, path.stat().st_ino)
    assert int(size) <= path.stat().st_size
    assert abs(float(when) - time.time()) < DAY
    assert opened(path, statements) == 0
    assert opened(path, statements) == 0


@pytest.mark.parametrize("marker_text", ["", "garbage", "1 2", "1 2 3", "1 2 3 four", "1 2 3 4.5", "1 2 3 4 5"])
def test_a_missing_or_garbled_marker_means_a_check(path, statements, marker_text):
    make_store(path)
    integrity.marker(path).write_text(marker_text)
    assert opened(path, statements) == 1
    assert opened(path, statements) == 0  # and it is written again
    integrity.marker(path).unlink()
    assert opened(path, statements) == 1


@pytest.mark.parametrize("age", [DAY + 60, -3600])  # a day old; a check "in the future": a clock set back
def test_a_check_older_than_a_day_or_from_the_future_is_done_again(path, statements, age):
    make_store(path)
    dev, ino, size, _ = integrity.marker(path).read_text().split()
    integrity.marker(path).write_text(f"{dev} {ino} {size} {time.time() - age:.0f}\n")
    assert opened(path, statements) == 1
    assert opened(path, statements) == 0


def test_a_store_replaced_by_another_file_is_checked_though_the_marker_is_fresh(path, statements):
    make_store(path)
    shutil.copy(path, path.with_name("backup.db"))
    os.replace(path.with_name("backup.db"), path)  # restored from a backup: another inode
    assert opened(path, statements) == 1


def test_an_error_has_the_next_open_check_the_whole_file_but_a_lock_does_not(path, statements):
    make_store(path)
    with Store.open(path) as store:
        with pytest.raises(StoreError):
            with store.database.guard():
                store.database.connection.execute("SELECT * FROM no_such_table")
    assert not integrity.marker(path).exists()
    assert opened(path, statements) == 1

    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as e:
            with Store.open(path, busy_timeout=0.05) as store:
                with store.database.write():
                    store.database.connection.execute("UPDATE conversations SET title = 'x'")
        assert e.value.busy
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert integrity.marker(path).exists()
    assert opened(path, statements) == 0


def big_store(path, conversations):
    with Store.open(path) as store:
        for i in range(conversations):
            cid = store.new_conversation("assistant", "m")
            store.add_exchange(cid, Exchange(Message("user", f"질문 {i} " * 200), "답 " * 300, "m"))


def test_a_store_damaged_since_its_check_is_refused_and_its_marker_dropped(path, statements):
    """Damage the check would have found is still found where SQLite reads it; from then on every open checks."""
    with Store.open(path) as store:
        for i in range(40):
            cid = store.new_conversation("assistant", "m")
            store.add_exchange(cid, Exchange(Message("user", f"질문 {i} " * 200), "답 " * 300, "m"))
    with open(path, "r+b") as f:  # in place: the same inode, and the marker is fresh
        f.truncate(path.stat().st_size // 2)
    for _ in range(2):
        statements.clear()
        with pytest.raises(StoreError, match="damaged"):
            with Store.open(path) as store:
                store.list()
                store.search("질문")
        assert not integrity.marker(path).exists()


def test_a_store_grown_by_its_own_writes_is_not_checked_again(path, statements):
    make_store(path)
    size = path.stat().st_size
    big_store(path, 20)  # the WAL is written back into the file at close: it grows
    assert path.stat().st_size > size
    assert opened(path, statements) == 0


def test_a_backup_older_than_the_check_copied_over_the_store_is_checked_at_its_next_open(path, statements,
                                                                                         tmp_path):
    """`cp backup.db conversations.db` writes into the same inode (and `rm` then `cp` may well get it again);
    a backup made before the check of the day is smaller than the file that passed it."""
    make_store(path)
    backup = tmp_path / "backup.db"
    shutil.copy(path, backup)
    big_store(path, 20)
    integrity.forget(path)
    assert opened(path, statements) == 1  # the check of the day
    inode = path.stat().st_ino
    shutil.copyfile(backup, path)
    assert path.stat().st_ino == inode
    assert opened(path, statements) == 1
    with Store.open(path) as store:
        assert [c.model for c in store.list()] == ["llama3.2"]  # the backup's one conversation
    assert opened(path, statements) == 0


def test_a_damaged_backup_copied_over_the_store_is_found_at_its_next_open(path, statements, tmp_path):
    """A backup torn or damaged where opening and listing do not read (a page of a long reply), restored by
    copying it over the store: the check finds it before anything is shown or written."""
    with Store.open(path) as store:
        cid = store.new_conversation("assistant", "llama3.2")
        store.add_exchange(cid, Exchange(Message("user", "긴 답을 주세요"), "Z" * 20_000, "llama3.2"))
    backup = bytearray(path.read_bytes())
    page = int.from_bytes(backup[16:18], "big")  # the file header's page size
    overflow = [n for n in range(len(backup) // page) if backup[n * page + 4 : (n + 1) * page] == b"Z" * (page - 4)]
    assert len(overflow) >= 3
    backup[overflow[1] * page : (overflow[1] + 1) * page] = bytes(page)
    big_store(path, 20)
    integrity.forget(path)
    assert opened(path, statements) == 1  # the check of the day
    with open(path, "r+b") as f:  # as `cp backup.db conversations.db` does: the same inode
        f.write(backup)
        f.truncate()
    statements.clear()
    with pytest.raises(StoreError, match="damaged"):
        with Store.open(path) as store:
            store.list()
    assert checks(statements) == 1 and not integrity.marker(path).exists()


def test_where_no_marker_can_be_written_every_open_checks(path, statements):
    """As in a read-only folder (a folder in the marker's place fails as that does, for root too)."""
    make_store(path)
    integrity.marker(path).unlink()
    integrity.marker(path).mkdir()
    assert opened(path, statements) == 1
    assert opened(path, statements) == 1
    assert integrity.marker(path).is_dir() and [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
