"""The installed `ollama-chat` in a real pseudo-terminal, used as a person would, against the fake server."""

from __future__ import annotations

import os
import signal

import pexpect
import pytest

from helpers import BIN, ignoring, spawn_in_pty, stored, user_env, wait_for_typeahead

PROMPT = "monk> "


@pytest.fixture
def chat(tmp_path, fake_ollama):
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = spawn_in_pty(str(BIN), ["-p", "monk"], env)
    child.expect_exact("75세 불교 스님")  # the banner names the persona
    child.expect_exact(PROMPT)
    yield child
    child.close(force=True)


def type_line(child, text):
    for ch in text:  # a person types; an IME commits one syllable at a time
        child.send(ch)
    child.send("\r")


def roles(body):
    return [m["role"] for m in body["messages"]]


def test_two_korean_turns_ctrl_c_set_and_종료(chat, fake_ollama):
    type_line(chat, "내 이름은 철수야")
    chat.expect_exact("echo: 내 이름은 철수야")
    chat.expect_exact(PROMPT)

    type_line(chat, "내 이름이 뭐였지?")
    chat.expect_exact("echo: 내 이름이 뭐였지?")
    chat.expect_exact(PROMPT)
    second = fake_ollama.chat_requests[1]
    assert [m["content"] for m in second["messages"][1:]] == ["내 이름은 철수야", "echo: 내 이름은 철수야", "내 이름이 뭐였지?"]

    # a long reply, stopped with Ctrl+C: the REPL stays, the connection is dropped
    gate = fake_ollama.reply([f"줄 {i}번입니다.\n\n" for i in range(400)], hold_after=1)
    type_line(chat, "길게 말해 줘")
    chat.expect_exact("줄 0번입니다.")  # the first piece is shown, the rest waits at the gate: surely mid-reply
    chat.sendintr()
    chat.expect_exact("interrupted")  # the gate is never released: the reply cannot have ended by itself
    assert fake_ollama.wait_for_disconnect()
    chat.expect_exact(PROMPT)

    type_line(chat, "/set temperature 0.1")
    chat.expect_exact("temperature = 0.1")
    chat.expect_exact(PROMPT)
    type_line(chat, "방금 뭐라고 했지?")
    chat.expect_exact("echo: 방금 뭐라고 했지?")
    chat.expect_exact(PROMPT)
    last = fake_ollama.last_chat
    assert last["options"]["temperature"] == 0.1
    assert roles(last) == ["system", "user", "assistant", "user", "assistant", "user", "assistant", "user"]
    partial = last["messages"][-2]["content"]
    assert partial.startswith("줄 0번입니다.") and "줄 1번" not in partial  # what was shown, not the whole reply
    assert not gate.complete

    type_line(chat, "종료")
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0


def test_ctrl_c_on_prompt_then_ctrl_d(chat, fake_ollama):
    chat.send("지울 글")
    chat.sendintr()
    chat.expect_exact("To leave")
    chat.expect_exact(PROMPT)
    chat.sendeof()
    chat.expect(pexpect.EOF)
    chat.close()
    assert chat.exitstatus == 0 and fake_ollama.chat_requests == []


def test_piped_first_message_then_terminal(tmp_path, fake_ollama):
    """`cat error.log | ollama-chat -i`: the pipe is the first message, then the chat goes on on the terminal."""
    log = tmp_path / "error.log"
    log.write_text("Traceback: 오류가 났습니다\n", encoding="utf-8")
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = spawn_in_pty("/bin/bash", ["-c", f'cat "{log}" | "{BIN}" -i -p coder'], env)
    child.expect_exact("echo: Traceback: 오류가 났습니다")
    child.expect_exact("coder> ")
    type_line(child, "어떻게 고치나요?")
    child.expect_exact("echo: 어떻게 고치나요?")
    assert fake_ollama.last_chat["messages"][1]["content"] == "Traceback: 오류가 났습니다"
    child.expect_exact("coder> ")
    type_line(child, "exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_keys_typed_during_a_reply_are_not_echoed_into_it(chat, fake_ollama):
    gate = fake_ollama.reply([f"{i}번 " for i in range(60)], hold_after=1)
    type_line(chat, "천천히")
    chat.expect_exact("0번")  # the first piece is shown, the rest waits at the gate
    chat.send("미리")  # typed ahead while the reply is held mid-stream
    assert wait_for_typeahead(chat, len("미리".encode()))  # taken in by the terminal before the reply ends
    gate.release()
    chat.expect_exact(PROMPT)
    during = chat.before
    assert "미리" not in during  # the terminal did not echo it into the reply
    chat.expect_exact("미리")  # the next prompt shows it, ready to send
    chat.send("\r")
    chat.expect_exact("echo: 미리")
    assert fake_ollama.last_chat["messages"][-1]["content"] == "미리"


def test_a_line_typed_ahead_with_enter_is_sent_on_its_own(chat, fake_ollama):
    gate = fake_ollama.reply([f"{i}번 " for i in range(60)], hold_after=1)
    type_line(chat, "천천히")
    chat.expect_exact("0번")  # the first piece is shown, the rest waits at the gate
    type_line(chat, "둘째 질문")  # typed ahead, Enter included, while the reply is held mid-stream
    chat.send("셋째")  # and the start of the next one
    assert wait_for_typeahead(chat, len("둘째 질문\r셋째".encode()))  # taken in by the terminal before the reply ends
    gate.release()
    chat.expect_exact("echo: 둘째 질문")
    chat.expect_exact(PROMPT)
    chat.expect_exact("셋째")  # waiting in the prompt, not sent
    questions = [r["messages"][-1]["content"] for r in fake_ollama.chat_requests]
    assert questions == ["천천히", "둘째 질문"]
    chat.send("\r")
    chat.expect_exact("echo: 셋째")


def test_a_question_typed_before_the_first_prompt_is_sent_on_enter(tmp_path, fake_ollama):
    gate = fake_ollama.hold_next("/api/show")  # the start-up check waits: the prompt is not up yet
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = spawn_in_pty(str(BIN), ["-p", "monk"], env)
    child.expect_exact("75세 불교 스님")
    assert gate.wait_held()
    type_line(child, "빨리 입력한 질문")
    assert wait_for_typeahead(child, len("빨리 입력한 질문\r".encode()))  # in the terminal before the prompt is
    gate.release()
    child.expect_exact("echo: 빨리 입력한 질문")
    child.expect_exact(PROMPT)
    assert [r["messages"][-1]["content"] for r in fake_ollama.chat_requests] == ["빨리 입력한 질문"]
    child.close(force=True)


PIECES = [f"조각{i} " for i in range(50)]
PARTIAL = "".join(PIECES[:5])  # what the fake sends before it holds the rest


@pytest.mark.parametrize("signame, code", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_signal_mid_reply_marks_it_keeps_it_and_restores_the_terminal(chat, fake_ollama, tmp_path, signame, code):
    gate = fake_ollama.reply(PIECES, hold_after=5)
    type_line(chat, "길게")
    assert gate.wait_held()
    chat.expect_exact("조각4")
    chat.kill(getattr(signal, signame))
    chat.expect_exact("[interrupted]")
    chat.expect(pexpect.EOF)
    tail = chat.before
    chat.close()
    assert chat.exitstatus == code
    assert "\x1b[?25h" in tail  # the cursor is shown again
    assert "Traceback" not in tail
    assert stored(tmp_path) == [("길게", PARTIAL, 1)]  # kept as Ctrl+C keeps it


@pytest.mark.parametrize("signame, code", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_one_shot_on_a_terminal_a_signal_marks_the_reply_and_keeps_it(tmp_path, fake_ollama, signame, code):
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color")
    gate = fake_ollama.reply(PIECES, hold_after=5)
    child = spawn_in_pty(str(BIN), ["질문"], env)
    assert gate.wait_held()
    child.expect_exact("조각4")
    child.kill(getattr(signal, signame))
    child.expect_exact("[interrupted]")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == code and fake_ollama.wait_for_disconnect()
    assert stored(tmp_path) == [("질문", PARTIAL, 1)]


def hang_up(child) -> int:
    """Close the terminal as its window's close button or a dropped SSH connection does: the master side goes
    away, the kernel sends SIGHUP, and every later write to the terminal fails (EIO). The exit status."""
    child.ptyproc.fileobj.close()
    _, status = os.waitpid(child.pid, 0)
    child.ptyproc.terminated = True  # reaped here: pexpect must not wait for it again
    return os.waitstatus_to_exitcode(status)


def test_closing_the_terminal_mid_reply_keeps_the_partial_reply(chat, fake_ollama, tmp_path):
    gate = fake_ollama.reply(PIECES, hold_after=5)
    type_line(chat, "길게")
    assert gate.wait_held()
    chat.expect_exact("조각4")
    assert hang_up(chat) == 129
    assert fake_ollama.wait_for_disconnect()
    assert stored(tmp_path) == [("길게", PARTIAL, 1)]


def test_closing_the_terminal_mid_one_shot_keeps_the_partial_reply(tmp_path, fake_ollama):
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color")
    gate = fake_ollama.reply(PIECES, hold_after=5)
    child = spawn_in_pty(str(BIN), ["질문"], env)
    assert gate.wait_held()
    child.expect_exact("조각4")
    assert hang_up(child) == 129
    assert stored(tmp_path) == [("질문", PARTIAL, 1)]


def test_a_model_that_pauses_after_a_burst_has_its_last_pieces_shown(chat, fake_ollama):
    """Pieces that arrive within one refresh interval of a draw are drawn by a timer, not at the next piece."""
    gate = fake_ollama.reply([f"조각{i} " for i in range(30)], hold_after=6)
    type_line(chat, "말해 줘")
    assert gate.wait_held()
    chat.expect_exact("조각5")  # the last piece before the pause, on screen while the model is silent
    gate.release()
    chat.expect_exact(PROMPT)


def test_ctrl_c_mid_reply_keeps_what_was_typed_ahead(chat, fake_ollama):
    gate = fake_ollama.reply([f"조각{i} " for i in range(30)], hold_after=2)
    type_line(chat, "길게")
    assert gate.wait_held()
    chat.expect_exact("조각0")
    chat.send("다음 질문")  # typed ahead, no Enter yet
    assert wait_for_typeahead(chat, len("다음 질문".encode()))
    chat.sendintr()
    chat.expect_exact("[interrupted]")
    chat.expect_exact(PROMPT)
    chat.expect_exact("다음 질문")  # the terminal did not throw it away with the Ctrl+C
    chat.send("\r")
    chat.expect_exact("echo: 다음 질문")


def test_ctrl_c_stops_a_reply_though_the_repl_was_started_with_sigint_ignored(tmp_path, fake_ollama):
    """Started as a background job of a script, or by a launcher that ignores SIGINT itself, the REPL takes
    Ctrl+C back: at the prompt it is a key anyway, and mid-reply it must stop the reply too."""
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = spawn_in_pty(str(BIN), ["-p", "monk"], env, preexec_fn=ignoring("SIGINT"))
    try:
        child.expect_exact(PROMPT)
        gate = fake_ollama.reply([f"조각{i} " for i in range(30)], hold_after=2)
        type_line(child, "길게")
        assert gate.wait_held()
        child.expect_exact("조각0")
        child.sendintr()
        child.expect_exact("[interrupted]")  # the gate is never released: only Ctrl+C can have ended it
        child.expect_exact(PROMPT)
        assert fake_ollama.wait_for_disconnect() and not gate.complete
    finally:
        child.close(force=True)
