"""`ollama-chat models` on a server with many models: /api/show asked a bounded number at a time, rows out in
the listing's order as soon as they are known, a model the server will not describe still listed, and how far
it is on a terminal."""

from __future__ import annotations

import select
import subprocess

import pexpect

from helpers import BIN, spawn_in_pty, user_env

from ollama_chat.cli.asker import WORKERS, Asker


def names(n: int) -> list[str]:
    return [f"m{i:03d}:latest" for i in range(n)]


def start(fake, tmp_path) -> subprocess.Popen:
    return subprocess.Popen([str(BIN), "models"], env=user_env(tmp_path, fake.host_port), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def read_lines(proc: subprocess.Popen, n: int, timeout: float = 30) -> list[str]:
    """The first `n` lines the program writes, read as they come (a net of `timeout` s for a program that
    holds them back)."""
    data = b""
    while data.count(b"\n") < n:
        if not select.select([proc.stdout], [], [], timeout)[0]:
            raise AssertionError(f"fewer than {n} lines came: {data!r}")
        piece = proc.stdout.read1(65536)  # type: ignore[union-attr]
        assert piece, f"the output ended after {data!r}"
        data += piece
    return data.decode().splitlines()[:n]


def test_no_more_than_the_bound_are_asked_at_once(fake_ollama, tmp_path):
    fake_ollama.remove_model("llama3.2")
    listed = names(40)
    fake_ollama.add_models(listed)
    gates = {name: fake_ollama.hold_show(name) for name in listed}
    proc = start(fake_ollama, tmp_path)
    try:
        for k, name in enumerate(listed):  # answer one at a time, each once the client has filled its bound
            assert fake_ollama.wait_for_requests(min(k + WORKERS, len(listed)), path="/api/show", timeout=30)
            assert gates[name].wait_held(30)
            gates[name].release()
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert [line.split("\t")[0] for line in out.decode().splitlines()] == listed
    assert fake_ollama.most_in_flight("/api/show") == WORKERS


def test_rows_come_out_as_they_are_known_in_the_listings_order(fake_ollama, tmp_path):
    fake_ollama.remove_model("llama3.2")
    listed = names(20)
    fake_ollama.add_models(listed)
    held = fake_ollama.hold_show(listed[9])
    fake_ollama.unshowable.add(listed[3])
    proc = start(fake_ollama, tmp_path)
    try:
        first = read_lines(proc, 9)  # printed while the tenth model's answer is still held...
        assert held.wait_held(30) and not held.released
        assert fake_ollama.disconnects == 0  # ...and still awaited: the client did not give up on it first
        assert fake_ollama.wait_for_requests(20, path="/api/show", timeout=30)  # the ones after it are answered...
        held.release()
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    rows = first + out.decode().splitlines()
    assert [row.split("\t")[0] for row in rows] == listed  # ...and still printed after it
    assert rows[3].split("\t")[1:] == ["2019393189", "3.2B", "Q4_K_M", "", "", "2026-11-24"]  # /api/show failed
    assert rows[4].split("\t")[4] == "131072"
    assert err == b""  # no progress line when stderr is not a terminal


def test_a_terminal_shows_how_far_the_asking_is(fake_ollama, tmp_path):
    listed = names(30)
    fake_ollama.add_models(listed)
    held = fake_ollama.hold_show(listed[0])
    child = spawn_in_pty(str(BIN), ["models"], user_env(tmp_path, fake_ollama.host_port), columns=100, timeout=30)
    try:
        child.expect_exact("Name")  # the header comes before any row is known
        child.expect_exact("Asking the server about its models: ")
        child.expect_exact(" of 31…")
        assert held.wait_held()
        held.release()
        child.expect_exact("m029:latest")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_the_asker_hands_out_answers_in_order_and_raises_a_bug_in_its_turn():
    import threading

    release = threading.Event()

    def ask(item: str) -> str:
        if item == "a":
            release.wait(10)
        if item == "c":
            raise KeyError(item)
        return item.upper()

    with Asker(ask, ["a", "b", "c", "d"], workers=3) as asker:
        assert asker.ready(0.01) == []  # "a" is not in yet, though "b" may be
        release.set()
        got: list[str] = []
        try:
            while not asker.finished:
                got += asker.ready(1)
        except KeyError:
            pass
        assert got == ["A", "B"]
