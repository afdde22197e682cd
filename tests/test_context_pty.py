"""In a real terminal: a missing model is offered, pulled with progress and used; a long chat in the installed
REPL stays inside the context window."""

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


def test_a_long_chat_in_the_installed_repl_stays_inside_the_window(tmp_path, fake_ollama):
    """End to end, with --num-ctx 1024 and with nothing set (Ollama's 4,096): no request exceeds the window."""
    from fake_ollama.replies import message_tokens

    for args, window, turns in ((["--num-ctx", "1024"], 1024, 6), ([], 4096, 10)):
        before = len(fake_ollama.chat_requests)
        env = user_env(tmp_path / str(window), fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
        child = spawn_in_pty(str(BIN), ["--max-messages", "200", *args], env)
        child.expect_exact("assistant> ")
        for i in range(turns):
            child.send(f"질문 {i}: " + "아주 자세하게 설명해 주세요. " * 40 + "\r")
            child.expect_exact(f"echo: 질문 {i}:")
            child.expect_exact("assistant> ")
        child.sendeof()
        child.expect(pexpect.EOF)
        child.close()
        requests = fake_ollama.chat_requests[before:]
        assert len(requests) == turns and fake_ollama.cut_prompts == []
        assert all(sum(message_tokens(m) for m in r["messages"]) <= window for r in requests)
        assert len(requests[-1]["messages"]) < 2 * turns  # older exchanges were left out, not cut by the server
