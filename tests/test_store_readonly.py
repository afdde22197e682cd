"""A store this user may not write (a read-only folder and file, a store shared from another account) can still
be read: `history`, `history search`, `history export` and `-c` open it read-only and say that new exchanges
will not be saved. Root writes any file whatever its mode, so as root the command runs as `nobody`, or (where
`nobody` cannot run this Python, e.g. one under /root) as root without the capabilities that bypass file
modes. Either way a probe in the same conditions first shows that the store really cannot be written."""

from __future__ import annotations

import ctypes
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from helpers import BIN, user_env
from ollama_chat.store.sqlite import Store
from ollama_chat.types import Exchange, Message

NOBODY = 65534
ROOT = os.geteuid() == 0
SEED = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from ollama_chat.store.sqlite import Store
    from ollama_chat.types import Exchange, Message

    store = Store.open(Path(sys.argv[1]))
    cid = store.new_conversation("monk", "llama3.2:latest")
    store.add_exchange(cid, Exchange(Message("user", "양자역학이 뭔가요"), "작은 세계의 물리학입니다.", "llama3.2:latest"))
    store.add_exchange(cid, Exchange(Message("user", "더 알려주세요"), "불확정성 원리가 있습니다.", "llama3.2:latest"))
    print(cid, flush=True)
    if sys.argv[2] == "wal":
        os._exit(0)  # as a killed writer leaves it: the exchanges only in the -wal file, with its -shm
    store.close()  # a clean close: no -wal, no -shm, and none can be made in a read-only folder
    """
)


def as_nobody() -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def without_file_override() -> None:
    """Root, minus CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH in the bounding set, so the program it runs is held
    to file modes like anyone else (PR_CAPBSET_DROP = 24)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@functools.cache
def nobody_runs_python() -> bool:
    try:
        return subprocess.run([sys.executable, "-c", "pass"], preexec_fn=as_nobody, capture_output=True).returncode == 0
    except OSError:  # it cannot even start it
        return False


def reader() -> dict:
    """How to run a child that cannot write the store: ourselves, or as root, see above."""
    if not ROOT:
        return {}
    return {"preexec_fn": as_nobody if nobody_runs_python() else without_file_override}


@pytest.fixture(params=["clean", "wal"])
def shared(request, fake_ollama):
    """A home whose store (one conversation, two exchanges) is readable and not writable by `reader()`; the
    store's folder and files are read-only, and with "wal" its exchanges are still in the -wal file."""
    base = Path(tempfile.mkdtemp(prefix="ollama-chat-ro-"))
    base.chmod(0o755)  # nobody must reach it
    home = base / "home"
    store_dir = home / ".local" / "share" / "ollama-chat"
    store_dir.mkdir(parents=True)
    for folder in (home, home / ".local", home / ".local" / "share"):
        folder.chmod(0o755)
    path = store_dir / "conversations.db"
    seeded = subprocess.run([sys.executable, "-c", SEED, str(path), request.param], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parent.parent)
    cid = seeded.stdout.strip()
    files = sorted(store_dir.iterdir())  # the store, perhaps its -wal and -shm, and the marker of its last check
    assert (len([f for f in files if "-" in f.name]) == 2) == (request.param == "wal"), files
    for item in [*files, store_dir]:
        if ROOT and nobody_runs_python():
            os.chown(item, NOBODY, NOBODY)
        item.chmod(0o500 if item.is_dir() else 0o400)
    probe = subprocess.run([sys.executable, "-c", f"open({str(path)!r}, 'r+b')"], capture_output=True, text=True,
                           **reader())
    assert probe.returncode != 0 and "PermissionError" in probe.stderr, "the store is writable: not a read-only test"
    try:
        yield home, path, cid
    finally:
        store_dir.chmod(0o700)
        shutil.rmtree(base, ignore_errors=True)


def run(home: Path, fake_ollama, *args: str) -> subprocess.CompletedProcess:
    env = user_env(home, fake_ollama.host_port)
    result = subprocess.run([str(BIN), *args], env=env, capture_output=True, timeout=30, stdin=subprocess.DEVNULL,
                            cwd=home, **reader())
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    return result


def test_history_lists_searches_and_exports_a_read_only_store(shared, fake_ollama):
    home, path, cid = shared
    listed = run(home, fake_ollama, "history")
    assert listed.returncode == 0 and listed.stdout.decode().startswith(cid)
    note = listed.stderr.decode()
    assert str(path) in note and "opened read-only" in note and "new exchanges will not be saved" in note
    found = run(home, fake_ollama, "history", "search", "불확정성")
    assert found.returncode == 0 and found.stdout.decode().startswith(cid) and "불확정성 원리" in found.stdout.decode()
    exported = run(home, fake_ollama, "history", "export", cid, "--format", "json")
    assert exported.returncode == 0
    assert [e["reply"] for e in json.loads(exported.stdout)["exchanges"]] == ["작은 세계의 물리학입니다.",
                                                                              "불확정성 원리가 있습니다."]
    removed = run(home, fake_ollama, "history", "rm", cid, "--yes")
    assert removed.returncode == 1 and "read-only" in removed.stderr.decode()


def test_continue_reads_a_read_only_store_and_says_nothing_new_is_saved(shared, fake_ollama):
    home, path, cid = shared
    before = path.read_bytes()
    result = run(home, fake_ollama, "-c", "그리고요?")
    assert result.returncode == 0 and result.stdout.decode() == "echo: 그리고요?\n"
    warning = result.stderr.decode()
    assert "opened read-only" in warning and "new exchanges will not be saved" in warning
    sent = [m["content"] for m in fake_ollama.last_chat["messages"] if m["role"] != "system"]
    assert sent == ["양자역학이 뭔가요", "작은 세계의 물리학입니다.", "더 알려주세요", "불확정성 원리가 있습니다.", "그리고요?"]
    assert path.read_bytes() == before


def test_a_read_only_store_refuses_writes_with_a_clear_error(tmp_path):
    path = tmp_path / "data" / "conversations.db"
    with Store.open(path) as store:
        store.add_exchange(store.new_conversation("p", "m"), Exchange(Message("user", "q"), "a", "m"))
    with Store.open(path, create=False, reading=True) as store:  # writable: opened as usual
        assert store.read_only == ""
    if ROOT:
        pytest.skip("root writes any file; the commands above run without that power instead")
    path.chmod(0o400)
    try:
        with Store.open(path, create=False, reading=True) as store:
            assert store.read_only and store.list()[0].exchanges == 1
            with pytest.raises(Exception, match="read-only"):
                store.add_exchange(store.list()[0].id, Exchange(Message("user", "q"), "a", "m"))
    finally:
        path.chmod(0o600)
