"""Ctrl+G, Ctrl+X Ctrl+E and /edit in a real pseudo-terminal, with a scripted $EDITOR, against the fake server."""

from __future__ import annotations

import shlex
import sys

import pexpect
import pytest

from helpers import BIN, PATIENCE, spawn_in_pty, user_env
from test_editor import editor_log, fake_editor

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")

PROMPT = "monk> "
CTRL_G, CTRL_X_CTRL_E = "\x07", "\x18\x05"


@pytest.fixture
def start(tmp_path, fake_ollama):
    script = fake_editor(tmp_path)
    children = []

    def start(*editor_args: str, editor: str | None = None, command: tuple[str, list[str]] | None = None):
        value = editor if editor is not None else shlex.join([str(script), *editor_args])
        env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1", EDITOR=value)
        env.pop("VISUAL", None)
        program, args = command or (str(BIN), ["-p", "monk"])
        child = spawn_in_pty(program, args, env)
        children.append(child)
        child.expect_exact(PROMPT)
        return child

    yield start
    for child in children:
        child.close(force=True)


def wait_until(condition, timeout: float = PATIENCE) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)  # polling a condition, not a fixed wait
    return True


def questions(fake):
    return [r["messages"][-1]["content"] for r in fake.chat_requests]


@pytest.mark.parametrize("keys", [CTRL_G, CTRL_X_CTRL_E], ids=["ctrl-g", "ctrl-x-ctrl-e"])
def test_the_editor_finishes_the_line_and_it_is_sent(start, fake_ollama, tmp_path, keys):
    chat = start("append", " 마저 씁니다")
    chat.send("반쯤 쓴 말")
    chat.expect_exact("반쯤 쓴 말")
    chat.send(keys)
    chat.expect_exact("echo: 반쯤 쓴 말 마저 씁니다")
    chat.expect_exact(PROMPT)
    assert questions(fake_ollama) == ["반쯤 쓴 말 마저 씁니다"]
    [seen] = editor_log(tmp_path)
    assert seen["found"] == "반쯤 쓴 말\n" and seen["stdin_tty"] and seen["mode"] == 0o600


def test_a_line_emptied_in_the_editor_stays_unsent(start, fake_ollama, tmp_path):
    chat = start("write", "")
    chat.send("그대로 둘 글")
    chat.expect_exact("그대로 둘 글")
    chat.send(CTRL_G)
    assert wait_until(lambda: editor_log(tmp_path))  # the editor ran (and emptied the file)
    chat.expect_exact("그대로 둘 글")  # the prompt is drawn again, with the line as it was
    chat.send("\r")
    chat.expect_exact("echo: 그대로 둘 글")
    assert questions(fake_ollama) == ["그대로 둘 글"]


def test_a_missing_editor_is_named_and_the_line_kept(start, fake_ollama):
    chat = start(editor="no-such-editor --wait")
    chat.send("남길 글")
    chat.expect_exact("남길 글")
    chat.send(CTRL_G)
    chat.expect_exact("$EDITOR")
    chat.expect_exact("no-such-editor")
    chat.expect_exact(PROMPT)
    chat.expect_exact("남길 글")
    chat.send("\r")
    chat.expect_exact("echo: 남길 글")
    assert "Traceback" not in chat.before


def test_edit_replaces_the_last_exchange(start, fake_ollama, tmp_path):
    chat = start("write", "둘째 질문을 고쳤습니다\n")
    for question in ("첫 질문", "둘째 질문"):
        chat.send(question + "\r")
        chat.expect_exact(f"echo: {question}")
        chat.expect_exact(PROMPT)
    chat.send("/edit\r")
    chat.expect_exact("echo: 둘째 질문을 고쳤습니다")
    chat.expect_exact(PROMPT)
    chat.send("셋째\r")
    chat.expect_exact("echo: 셋째")
    history = [m["content"] for m in fake_ollama.last_chat["messages"][1:]]
    assert history == ["첫 질문", "echo: 첫 질문", "둘째 질문을 고쳤습니다", "echo: 둘째 질문을 고쳤습니다", "셋째"]
    assert editor_log(tmp_path)[0]["found"] == "둘째 질문\n" and editor_log(tmp_path)[0]["stdin_tty"]


def test_with_piped_stdin_the_editor_gets_the_terminal(start, fake_ollama, tmp_path):
    log = tmp_path / "error.log"
    log.write_text("오류 로그\n", encoding="utf-8")
    chat = start("append", " 고쳐 주세요", command=("/bin/bash", ["-c", f'cat "{log}" | "{BIN}" -i -p monk']))
    chat.send("어떻게")
    chat.expect_exact("어떻게")
    chat.send(CTRL_G)
    chat.expect_exact("echo: 어떻게 고쳐 주세요")
    assert editor_log(tmp_path)[0]["stdin_tty"]
    chat.expect_exact(PROMPT)
    chat.send("종료\r")
    chat.expect(pexpect.EOF)
