"""The consent desk in a real terminal, against the fake server acting as a tool-calling model: a call is shown
before it runs and answered with one key (y, a, n, Enter, e with a scripted $EDITOR, Ctrl+C), keys typed ahead
during the reply do not answer it, Ctrl+C stops a slow MCP tool, and an MCP server's tool runs through the chat
end to end. What the user sees is asserted on the screen, what the model was told on the wire."""

from __future__ import annotations

import json
import sys

import pexpect
import pytest

from fake_ollama import DEFAULT_MODEL, tool_call
from helpers import BIN, PATIENCE, spawn_in_pty, user_env, wait_for_typeahead
from mcp_helpers import SERVER, wait_for

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")

PROMPT = "assistant> "
NOTE = "회의는 목요일 오후 3시.\n"
OTHER = "다른 파일의 내용\n"
QUESTION = "메모에 뭐라고 적혀 있어?"
ASK = "Run it?"

EDITOR = '''#!{python}
"""A scripted editor: each run writes the next text of the queue file beside it into FILE."""
import json, os, sys
queue = os.path.join(os.path.dirname(sys.argv[0]), "queue.json")
texts = json.load(open(queue, encoding="utf-8"))
open(sys.argv[-1], "w", encoding="utf-8").write(texts.pop(0))
json.dump(texts, open(queue, "w", encoding="utf-8"))
'''


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "메모.txt").write_text(NOTE, encoding="utf-8")
    (folder / "other.txt").write_text(OTHER, encoding="utf-8")
    return folder


@pytest.fixture
def start(tmp_path, project, fake_ollama):
    fake_ollama.add_model(DEFAULT_MODEL, ("completion", "tools"))
    children = []

    def start(*args: str, **extra: str):
        env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1", **extra)
        env.pop("VISUAL", None)
        child = spawn_in_pty(str(BIN), list(args), env, cwd=str(project), columns=160)
        children.append(child)
        child.expect_exact(PROMPT)
        return child

    yield start
    for child in children:
        child.close(force=True)


def tool_messages(fake) -> list[dict]:
    return [m for m in fake.chat_requests[-1]["messages"] if m.get("role") == "tool"]


def test_y_runs_the_call_once_and_the_model_gets_its_result(start, fake_ollama):
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"})])
    chat = start("--tools", "read")
    chat.send(QUESTION + "\r")
    chat.expect_exact("Tool call: read_file (built-in)")
    chat.expect_exact('"path": "메모.txt"')
    chat.expect_exact(ASK)
    chat.send("y")
    chat.expect_exact("yes, once")
    chat.expect_exact('✓ read_file {"path":"메모.txt"} · ok · ')
    chat.expect_exact("Tool results — read_file:")
    chat.expect_exact(PROMPT)
    [result] = tool_messages(fake_ollama)
    assert "회의는 목요일 오후 3시." in result["content"] and result["tool_name"] == "read_file"
    chat.send("/tools last\r")
    chat.expect_exact("회의는 목요일 오후 3시.")  # the whole result, as the tool gave it
    chat.expect_exact(PROMPT)


def test_a_runs_it_and_does_not_ask_again_in_this_chat(start, fake_ollama):
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"})])
    chat = start("--tools", "read")
    chat.send(QUESTION + "\r")
    chat.expect_exact(ASK)
    chat.send("ㅁ")  # a with the Korean layout on
    chat.expect_exact("yes, and always for this tool in this chat")
    chat.expect_exact(PROMPT)
    chat.send("한 번 더\r")
    chat.expect_exact("Allowed without asking")
    index = chat.expect_exact([ASK, "Tool results — read_file:"])
    assert index == 1, "asked again after 'a'"
    chat.expect_exact(PROMPT)
    assert len(fake_ollama.chat_requests) == 4 and "회의는" in tool_messages(fake_ollama)[0]["content"]


@pytest.mark.parametrize("key", ["n", "\r"], ids=["n", "enter"])
def test_n_and_enter_refuse_and_the_model_is_told(start, fake_ollama, key):
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"})])
    chat = start("--tools", "read")
    chat.send(QUESTION + "\r")
    chat.expect_exact(ASK)
    chat.send(key)
    chat.expect_exact("no: not run")
    chat.expect_exact("⊘ read_file")
    chat.expect_exact("refused")
    chat.expect_exact(PROMPT)
    [result] = tool_messages(fake_ollama)
    assert "The user refused this call; it was not run." in result["content"]
    assert "회의는" not in result["content"]


def test_e_edits_the_arguments_bad_json_is_said_and_asked_again(start, fake_ollama, tmp_path):
    editor = tmp_path / "editor"
    editor.write_text(EDITOR.format(python=sys.executable), encoding="utf-8")
    editor.chmod(0o700)
    (tmp_path / "queue.json").write_text(json.dumps(['{"path": "other.txt"', '{"path": "other.txt"}\n']))
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"})])
    chat = start("--tools", "read", EDITOR=str(editor))
    chat.send(QUESTION + "\r")
    chat.expect_exact(ASK)
    chat.send("e")
    chat.expect_exact("The edited arguments were not used: not valid JSON")
    chat.expect_exact(ASK)
    chat.send("e")
    chat.expect_exact("Edited arguments:")
    chat.expect_exact('"path": "other.txt"')
    chat.expect_exact(ASK)  # the edited call is confirmed before it runs
    chat.send("y")
    chat.expect_exact('✓ read_file {"path":"other.txt"} · ok')
    chat.expect_exact(PROMPT)
    [result] = tool_messages(fake_ollama)
    assert "다른 파일의 내용" in result["content"] and "회의는" not in result["content"]


def test_ctrl_c_at_the_question_refuses_and_stops_the_loop(start, fake_ollama):
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"})])
    chat = start("--tools", "read")
    chat.send(QUESTION + "\r")
    chat.expect_exact(ASK)
    chat.send("\x03")
    chat.expect_exact("no (Ctrl+C): stopped")
    chat.expect_exact("⊘ read_file")
    chat.expect_exact(PROMPT)
    assert len(fake_ollama.chat_requests) == 1  # nothing more was asked of the model
    chat.send("그냥 질문\r")  # the chat goes on
    chat.expect_exact(ASK)
    chat.send("n")
    chat.expect_exact(PROMPT)


def test_keys_typed_during_the_reply_do_not_answer_the_question(start, fake_ollama):
    gate = fake_ollama.reply("잠시만요", tool_calls=[tool_call("read_file", {"path": "메모.txt"})], hold_after=1)
    chat = start("--tools", "read")
    chat.send(QUESTION + "\r")
    assert gate.wait_held()
    chat.expect_exact("잠시")
    chat.send("y")  # typed ahead, before the question is shown
    assert wait_for_typeahead(chat, 1)
    gate.release()
    chat.expect_exact(ASK)
    chat.send("n")
    chat.expect_exact("no: not run")
    chat.expect_exact(PROMPT)
    assert "The user refused this call" in tool_messages(fake_ollama)[0]["content"]


def test_an_mcp_tool_through_the_chat_and_ctrl_c_stops_a_slow_one(start, fake_ollama, tmp_path):
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "mcp.json").write_text(json.dumps({"mcpServers": {"srv": {"command": sys.executable,
                                                                        "args": [SERVER, "stdio"]}}}))
    fake_ollama.script_tools([("srv__echo", {"text": "메아리 \x1b[31m"})])
    chat = start("--mcp", "srv")
    chat.send("불러 줘\r")
    chat.expect_exact("Tool call: srv__echo (MCP server srv · the server says it only reads (its claim, not checked))")
    chat.expect_exact('"text": "메아리 \\u001b[31m"')  # the escape shown as text, never sent to the terminal
    chat.expect_exact(ASK)
    chat.send("y")
    chat.expect_exact("✓ srv__echo")
    chat.expect_exact("Tool results — srv__echo: Result of srv__echo")
    chat.expect_exact(PROMPT)
    assert "메아리" in tool_messages(fake_ollama)[0]["content"]
    chat.send("/mcp\r")
    chat.expect_exact("srv · stdio · running · in use")
    chat.expect_exact("srv__hang")
    chat.expect_exact(PROMPT)

    fake_ollama.script_tools([("srv__hang", {})])
    requests = len(fake_ollama.chat_requests)
    chat.send("기다려\r")
    chat.expect_exact(ASK)
    chat.send("y")
    chat.expect_exact("running (Ctrl+C stops it)")
    wait_for(tmp_path / ".local" / "state" / "ollama-chat" / "mcp" / "srv.log", "hang started", timeout=PATIENCE)
    chat.send("\x03")
    chat.expect_exact("■ srv__hang {} · stopped")
    chat.expect_exact(PROMPT)
    assert len(fake_ollama.chat_requests) == requests + 1  # the loop stopped: the model was not asked again
    chat.send("/bye\r")
    chat.expect(pexpect.EOF)


def test_an_mcp_server_does_not_start_before_the_prompt(start, tmp_path):
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "mcp.json").write_text(json.dumps({"mcpServers": {"srv": {"command": sys.executable,
                                                                        "args": [SERVER, "stdio"]}}}))
    chat = start("--mcp", "srv")  # at the prompt
    chat.send("/mcp\r")
    chat.expect_exact("srv · stdio · not started · in use")
    chat.expect_exact(PROMPT)
    assert not (tmp_path / ".local" / "state" / "ollama-chat" / "mcp" / "srv.log").exists()
