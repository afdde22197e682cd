"""A missing model in a real terminal: the REPL offers to pull it, shows the progress, and chats on."""

from __future__ import annotations

import pexpect

from helpers import BIN, spawn_in_pty, user_env


def test_a_missing_model_is_offered_pulled_with_progress_and_used(tmp_path, fake_ollama):
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = spawn_in_pty(str(BIN), ["-m", "mistral"], env)
    child.expect_exact("mistral is not installed on the server. Pull it now? [Y/n]")
    child.send("\r")  # Enter: yes
    child.expect_exact("pulling manifest")
    child.expect_exact("1.0/1.0 kB")  # the layer's bar: bytes done of the total
    child.expect_exact("mistral is ready.")
    child.expect_exact("assistant> ")
    assert "mistral:latest" in fake_ollama.models
    child.send("안녕\r")
    child.expect_exact("echo: 안녕")
    child.expect_exact("assistant> ")
    assert fake_ollama.last_chat["model"] == "mistral"
    child.send("/pull qwen3:8b\r")
    child.expect_exact("qwen3:8b is ready.")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and "qwen3:8b:latest" not in fake_ollama.models and "qwen3:8b" in fake_ollama.models


def test_declining_the_pull_keeps_the_chat_going(tmp_path, fake_ollama):
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = spawn_in_pty(str(BIN), ["-m", "mistral"], env)
    child.expect_exact("Pull it now? [Y/n]")
    child.send("n\r")
    child.expect_exact("Not pulled. /pull fetches it later")
    child.expect_exact("assistant> ")
    assert "mistral:latest" not in fake_ollama.models and not any(r.path == "/api/pull" for r in fake_ollama.requests)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
