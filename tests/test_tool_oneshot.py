"""Tools in a one-shot question: without a terminal a call that needs approval is refused (said on stderr, the
model told why) unless --yes-tools allows it; with a terminal the question goes to stderr and the key is read
from it; the numbered sources of a web search follow the answer on stdout; and a question without tools does
not import the tools at all."""

from __future__ import annotations

import subprocess
import sys

import pexpect
import pytest

from fake_ollama import DEFAULT_MODEL
from helpers import BIN, PATIENCE, default_signals, spawn_in_pty, user_env

NOTE = "회의는 목요일 오후 3시.\n"


@pytest.fixture
def project(tmp_path, fake_ollama):
    fake_ollama.add_model(DEFAULT_MODEL, ("completion", "tools"))
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "메모.txt").write_text(NOTE, encoding="utf-8")
    return folder


def no_tty(args: list[str], env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    """The command as cron or CI runs it: a pipe in and out, and no controlling terminal (/dev/tty fails)."""
    return subprocess.run([str(BIN), *args], input=b"", env=env, cwd=cwd, capture_output=True, timeout=PATIENCE,
                          start_new_session=True, preexec_fn=default_signals)


def tool_messages(fake) -> list[dict]:
    return [m for m in fake.chat_requests[-1]["messages"] if m.get("role") == "tool"]


def test_without_a_terminal_a_call_that_needs_approval_is_refused_and_said(project, tmp_path, fake_ollama):
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"})])
    env = user_env(tmp_path, fake_ollama.host_port)
    result = no_tty(["--tools", "read", "메모에 뭐라고 적혀 있어?"], env, project)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "Tool call: read_file (built-in)" in err
    assert "Not run: read_file needs your approval and there is no terminal to ask on." in err
    assert "--yes-tools read_file" in err and "⊘ read_file" in err
    [told] = tool_messages(fake_ollama)
    assert "no terminal to ask on" in told["content"] and "회의는" not in told["content"]
    assert "Tool results — read_file:" in result.stdout.decode()


def test_yes_tools_runs_it_without_asking(project, tmp_path, fake_ollama):
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"})])
    env = user_env(tmp_path, fake_ollama.host_port)
    result = no_tty(["--tools", "read", "--yes-tools", "read_file", "메모에 뭐라고 적혀 있어?"], env, project)
    err, out = result.stderr.decode(), result.stdout.decode()
    assert result.returncode == 0, err
    assert "Allowed without asking" in err and "✓ read_file" in err and "Not run" not in err
    assert "회의는 목요일 오후 3시." in tool_messages(fake_ollama)[0]["content"]
    assert "Tool results — read_file:" in out and "Tool call" not in out  # stdout is the answer's alone


def test_the_config_allow_list_pre_approves_and_korean_is_spoken(project, tmp_path, fake_ollama):
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('tools = ["read"]\nyes_tools = ["read_file"]\nlanguage = "ko"\n')
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"}), ("list_directory", {"path": "."})])
    result = no_tty(["메모에 뭐라고 적혀 있어?"], user_env(tmp_path, fake_ollama.host_port), project)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "도구 호출: read_file" in err and "✓ read_file" in err
    assert "실행하지 않았습니다: list_directory" in err  # not on the allow-list: refused without a terminal
    first, second = tool_messages(fake_ollama)
    assert "회의는" in first["content"] and "no terminal" in second["content"]


def test_with_a_terminal_the_question_is_on_stderr_and_the_key_from_the_terminal(project, tmp_path, fake_ollama):
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"})])
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color")
    out = tmp_path / "answer.txt"
    child = spawn_in_pty("/bin/sh", ["-c", f'"{BIN}" --tools read "메모?" > "{out}" < /dev/null'], env, cwd=str(project))
    child.expect_exact("Tool call: read_file")
    child.expect_exact("Run it?")
    child.send("y")
    child.expect_exact("✓ read_file")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Tool results — read_file:" in out.read_text() and "Run it?" not in out.read_text()
    assert "회의는" in tool_messages(fake_ollama)[0]["content"]


def test_ctrl_c_at_a_one_shot_question_stops(project, tmp_path, fake_ollama):
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"})])
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color")
    child = spawn_in_pty(str(BIN), ["--tools", "read", "메모?"], env, cwd=str(project))
    child.expect_exact("Run it?")
    child.send("\x03")
    child.expect_exact("no (Ctrl+C): stopped")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 and len(fake_ollama.chat_requests) == 1


def test_the_sources_of_a_web_search_follow_the_answer_on_stdout(project, tmp_path, fake_ollama):
    fake_ollama.web_signed_in = True
    fake_ollama.script_tools([("web_search", {"query": "서울 날씨"})], answer="맑습니다 [1].")
    env = user_env(tmp_path, fake_ollama.host_port)
    result = no_tty(["--tools", "web", "--yes-tools", "web_search", "서울 날씨?"], env, project)
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    answer, _, sources = out.partition("Sources:")
    assert "맑습니다 [1]." in answer
    lines = [line.strip() for line in sources.strip().splitlines()]
    assert lines[0].startswith("1. ") and "https://" in lines[0] and len(lines) >= 2


def test_a_question_without_tools_imports_no_tool_module(tmp_path, fake_ollama):
    env = user_env(tmp_path, fake_ollama.host_port)
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "ollama_chat", "안녕"], env=env,
                            capture_output=True, text=True, timeout=PATIENCE)
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "echo: 안녕" in result.stdout and "ollama_chat.cli.app" in imported
    tools = {m for m in imported if m.startswith(("ollama_chat.tools", "ollama_chat.chat.tool", "ollama_chat.ui.tool"))}
    assert tools <= {"ollama_chat.tools", "ollama_chat.tools.base"}  # the small types every message carries, no more


def test_a_result_is_fitted_by_the_tool_to_the_questions_own_window(project, tmp_path, fake_ollama):
    """A 2,048-token window leaves a file's lines a quarter of it: the file tool keeps whole lines and says where
    to read on, as in the REPL, rather than the round cutting a too-big result mid-line."""
    (project / "log.txt").write_text("".join(f"line {n}: the build step finished without errors\n"
                                             for n in range(1, 601)), encoding="utf-8")
    fake_ollama.script_tools([("read_file", {"path": "log.txt"})])
    env = user_env(tmp_path, fake_ollama.host_port)
    result = no_tty(["--tools", "read", "--yes-tools", "read_file", "--num-ctx", "2048", "로그를 요약해 줘"], env,
                    project)
    assert result.returncode == 0, result.stderr.decode()
    [told] = tool_messages(fake_ollama)
    assert "Ask again with start_line=" in told["content"]
    assert "line 600:" not in told["content"]
