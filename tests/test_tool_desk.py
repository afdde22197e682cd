"""The consent desk's parts, directly: the words it shows (nothing raw from a model or a server reaches the
terminal), the answers it gives the tool round (edit, unchanged, bad JSON, no terminal, Ctrl+C), one key read
from a real pseudo-terminal with what was typed before the question thrown away, and the tool round's side of it
(a refusal at Ctrl+C is recorded and shown, the reason for a refusal reaches the model)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from ollama_chat.chat.events import Decision, ToolOutcome
from ollama_chat.chat.tool_round import Approvals, ToolRound
from ollama_chat.chat.turn import TurnResult
from ollama_chat.tools.base import ToolResult
from ollama_chat.types import ChatRequest, ToolCall, ToolSpec
from ollama_chat.ui.tool_desk import NO_TERMINAL, KeyReader, ToolDesk, parse_arguments
from ollama_chat.ui.tool_lines import call_lines, outcome_line

HOSTILE = {"path": "a\x1b[2J\u202eb", "note": "x\x9b31m"}
MCP = ToolSpec("srv__write", "writes", source="srv", read_only_hint=True, network=True)
BUILTIN = ToolSpec("read_file", "reads")


class Screen:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, text: str, style: str = "notice") -> None:
        self.lines.append(text)

    def prompt(self, text: str) -> None:
        self.lines.append(text)


def keys(*answers: str):
    queue = list(answers)

    def read(ask):
        ask()
        answer = queue.pop(0)
        if answer == "ctrl-c":
            raise KeyboardInterrupt
        return answer

    return read


def test_a_call_is_shown_sanitised_with_an_mcp_read_only_claim_as_a_claim():
    lines = call_lines(ToolCall("1", "srv__write", HOSTILE), MCP, approved=False)
    text = "\n".join(t for t, _style in lines)
    assert "Tool call: srv__write (MCP server srv · reaches the network · the server says it only reads (its claim," \
           " not checked))" in text
    assert "\x1b" not in text and "\u202e" not in text and "\x9b" not in text
    assert "\\u001b[2J" in text and "\\u202e" in text  # shown as text
    approved = call_lines(ToolCall("1", "read_file", {"path": "a"}), BUILTIN, approved=True)
    assert approved[0][0] == "Tool call: read_file (built-in)" and "Allowed without asking" in approved[-1][0]


def test_long_arguments_are_cut_with_a_count():
    lines = call_lines(ToolCall("1", "read_file", {f"k{i}": i for i in range(100)}), BUILTIN, approved=False)
    assert len(lines) < 50 and "more lines (e shows them all)" in lines[-1][0]


def test_the_line_after_a_call_says_how_it_ended_and_what_it_cost():
    call = ToolCall("1", "read_file", {"path": "메모.txt"})
    done = ToolOutcome(call, BUILTIN, "done", "framed", size=12345, tokens=678, arguments=call.arguments)
    assert outcome_line(done)[0] == '✓ read_file {"path":"메모.txt"} · ok · 12,345 characters, ~678 tokens'
    refused = ToolOutcome(call, BUILTIN, "refused", "no", arguments=call.arguments)
    assert outcome_line(refused)[0] == '⊘ read_file {"path":"메모.txt"} · refused'
    long = ToolOutcome(ToolCall("1", "x\u202e", {"q": "y" * 500}), None, "unknown")
    text = outcome_line(long)[0]
    assert len(text) < 120 and "\u202e" not in text and "no such tool" in text


def test_edited_arguments_must_be_a_json_object():
    assert parse_arguments('{"path": "b"}') == {"path": "b"}
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_arguments('{"path": ')
    with pytest.raises(ValueError, match="JSON object"):
        parse_arguments("[1]")


def test_edit_bad_json_then_good_json_then_yes_runs_the_edited_arguments():
    saved = iter(['{"path": ', None, '{"path": "other.txt"}'])
    screen = Screen()
    desk = ToolDesk(screen, keys("edit", "edit", "edit", "once"), edit=lambda text: next(saved))
    decision = desk.ask(ToolCall("1", "read_file", {"path": "a"}), BUILTIN)
    assert decision == Decision("once", {"path": "other.txt"})
    shown = "\n".join(screen.lines)
    assert "The edited arguments were not used: not valid JSON" in shown
    assert "The arguments are unchanged." in shown and '"path": "other.txt"' in shown
    assert shown.count("Run it?") == 4


def test_no_editor_makes_e_a_no_and_no_terminal_refuses_with_a_reason_for_the_model():
    assert ToolDesk(Screen(), keys("edit")).ask(ToolCall("1", "read_file", {}), BUILTIN) == Decision("refuse")
    screen = Screen()
    decision = ToolDesk(screen, None).ask(ToolCall("1", "read_file", {}), BUILTIN)
    assert decision == Decision("refuse", why=NO_TERMINAL)
    assert "--yes-tools read_file" in screen.lines[-1]


def test_ctrl_c_at_the_question_is_said_and_stops():
    screen = Screen()
    with pytest.raises(KeyboardInterrupt):
        ToolDesk(screen, keys("ctrl-c")).ask(ToolCall("1", "read_file", {}), BUILTIN)
    assert screen.lines[-1] == "no (Ctrl+C): stopped"


def waiting(fd: int, count: int) -> bool:
    import fcntl
    import struct
    import termios
    import time

    deadline = time.monotonic() + 30
    while struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0] < count:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)  # polling a condition, not a fixed wait
    return True


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
@pytest.mark.parametrize("typed, then, answer", [
    (b"y", "n", "refuse"),  # the y typed before the question is thrown away
    (b"\r", "ㅛ", "once"),  # Korean layout
    (b"a", "\x1b[Ae", "edit"),  # an arrow key is no answer
    (b"", "x\r", "refuse"),  # other keys wait; Enter is No
    (b"", "A", "always"),
])
def test_one_key_from_the_terminal_after_what_was_typed_ahead_is_thrown_away(typed, then, answer):
    import tty

    master, slave = os.openpty()
    try:
        tty.setcbreak(slave)  # as the chat keeps its terminal between prompts (no line editing, no echo)
        os.write(master, typed)
        assert waiting(slave, len(typed))  # in the terminal's queue (a kernel worker moves it there)
        assert KeyReader(slave)(lambda: os.write(master, then.encode())) == answer
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_ctrl_c_is_read_as_a_key_and_the_terminal_mode_comes_back():
    import termios

    master, slave = os.openpty()
    try:
        before = termios.tcgetattr(slave)
        with pytest.raises(KeyboardInterrupt):
            KeyReader(slave)(lambda: os.write(master, b"\x03"))
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


# -- the tool round's side -------------------------------------------------------------------------------------


class RecordingDesk:
    def __init__(self, decision=None):
        self.decision = decision
        self.done_with: list[ToolOutcome] = []

    def show(self, call, spec, *, approved):
        pass

    def ask(self, call, spec):
        if self.decision is None:
            raise KeyboardInterrupt
        return self.decision

    def done(self, outcome):
        self.done_with.append(outcome)


class Tool:
    spec = BUILTIN

    def __init__(self) -> None:
        self.ran = threading.Event()

    def call(self, arguments, *, timeout):
        self.ran.set()
        return ToolResult("text " * 10)


def round_with(desk) -> tuple[ToolRound, Tool]:
    tool = Tool()
    return ToolRound({"read_file": tool}, Approvals(), desk, lambda text: len(text) // 4, lambda: 4096), tool


def test_ctrl_c_at_the_question_is_recorded_as_refused_and_shown():
    desk = RecordingDesk()
    round_, tool = round_with(desk)
    with pytest.raises(KeyboardInterrupt):
        round_(ChatRequest(model="m", messages=()), TurnResult("", tool_calls=(ToolCall("1", "read_file", {}),)))
    assert [o.status for o in round_.outcomes] == ["refused"] and desk.done_with == round_.outcomes
    assert not tool.ran.is_set()


def test_a_refusal_s_reason_reaches_the_model_and_the_whole_result_is_kept():
    round_, tool = round_with(RecordingDesk(Decision("refuse", why=NO_TERMINAL)))
    added = round_(ChatRequest(model="m", messages=()), TurnResult("", tool_calls=(ToolCall("1", "read_file", {}),)))
    assert added[-1].content == NO_TERMINAL and not tool.ran.is_set()
    round_, tool = round_with(RecordingDesk(Decision("once")))
    round_(ChatRequest(model="m", messages=()), TurnResult("", tool_calls=(ToolCall("1", "read_file", {}),)))
    assert round_.outcomes[0].result == "text " * 10
