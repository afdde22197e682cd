"""Conversations that last, end to end in a pseudo-terminal: `kill -9` mid-reply loses only the exchange in
flight, and `ollama-chat -c` opens the REPL where the conversation stood."""

from __future__ import annotations

import signal
import stat

import pexpect

from helpers import BIN, run_cli, spawn_in_pty, stored, user_env

PROMPT = "monk> "


def type_line(child, text):
    child.send(text)
    child.send("\r")


def test_kill_9_mid_reply_keeps_every_completed_turn_and_c_resumes_it(tmp_path, fake_ollama):
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = spawn_in_pty(str(BIN), ["-p", "monk", "--temperature", "0.2"], env)
    child.expect_exact(PROMPT)
    for question in ("내 이름은 철수야", "나는 서울에 살아"):
        type_line(child, question)
        child.expect_exact(f"echo: {question}")
        child.expect_exact(PROMPT)
    gate = fake_ollama.reply(["세 번째 답의 ", "나머지"], hold_after=1)
    type_line(child, "세 번째 질문")
    child.expect_exact("세 번째 답의")
    child.kill(signal.SIGKILL)  # no clean-up, no atexit, no finally: only what was committed survives
    child.expect(pexpect.EOF)
    child.close()
    gate.release()
    assert child.signalstatus == signal.SIGKILL
    folder = tmp_path / ".local" / "share" / "ollama-chat"
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["conversations.db", "conversations.db-shm", "conversations.db-wal",  # the WAL left as killed
                     "conversations.db.checked"]  # and when the file was last checked whole
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE((folder / name).stat().st_mode) for name in files} == {0o600}

    listed = run_cli(["history"], env)
    (row,) = listed.stdout.decode().splitlines()
    assert row.split("\t")[2:5] == ["monk", "llama3.2:latest", "2"]
    shown = run_cli(["history", "show", row.split("\t")[0]], env).stdout.decode()
    assert "내 이름은 철수야" in shown and "echo: 나는 서울에 살아" in shown and "세 번째" not in shown

    child = spawn_in_pty(str(BIN), ["-c"], env)
    child.expect_exact("Resumed")  # where it stood: the last exchange, then the prompt
    child.expect_exact("echo: 나는 서울에 살아")
    child.expect_exact(PROMPT)
    type_line(child, "내가 어디 산다고 했지?")
    child.expect_exact("echo: 내가 어디 산다고 했지?")
    child.expect_exact(PROMPT)
    body = fake_ollama.last_chat
    assert [m["content"] for m in body["messages"][1:]] == [
        "내 이름은 철수야", "echo: 내 이름은 철수야", "나는 서울에 살아", "echo: 나는 서울에 살아", "내가 어디 산다고 했지?"]
    assert body["options"]["temperature"] == 0.2
    type_line(child, "종료")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert run_cli(["history"], env).stdout.decode().split("\t")[4] == "3"


def test_incognito_repl_leaves_no_file_behind(tmp_path, fake_ollama):
    home = tmp_path / "home"
    home.mkdir()
    env = user_env(home, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = spawn_in_pty(str(BIN), ["-p", "monk", "--incognito"], env)
    child.expect_exact(PROMPT)
    type_line(child, "비밀 이야기")
    child.expect_exact("echo: 비밀 이야기")
    child.expect_exact(PROMPT)
    type_line(child, "종료")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert [p for p in home.rglob("*") if p.is_file()] == []


def test_two_windows_on_one_conversation_each_undo_their_own(tmp_path, fake_ollama):
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    assert run_cli(["-p", "monk", "하나"], env).returncode == 0
    windows = [spawn_in_pty(str(BIN), ["-c"], env, columns=200) for _ in range(2)]
    try:
        for window in windows:
            window.expect_exact("echo: 하나")
            window.expect_exact(PROMPT)
        a, b = windows
        type_line(a, "A의 둘")
        a.expect_exact("echo: A의 둘")
        a.expect_exact(PROMPT)
        type_line(b, "B의 둘")
        b.expect_exact("echo: B의 둘")
        b.expect_exact("Another ollama-chat has added 1 exchange to this conversation")  # said once, in B
        b.expect_exact(PROMPT)
        type_line(a, "/undo")
        a.expect_exact("A의 둘")  # what was undone is named
        a.expect_exact(PROMPT)
        assert stored(tmp_path) == [("하나", "echo: 하나", 0), ("B의 둘", "echo: B의 둘", 0)]
        for window in windows:
            type_line(window, "종료")
            window.expect(pexpect.EOF)
    finally:
        for window in windows:
            window.close(force=True)
    listed = run_cli(["history"], env).stdout.decode().splitlines()
    assert len(listed) == 1 and listed[0].split("\t")[4] == "2"  # one conversation: 하나 and B's
