"""Against a real Ollama, when OLLAMA_CHAT_TEST_HOST is set (e.g. 127.0.0.1:11434); skipped otherwise.

OLLAMA_CHAT_TEST_MODEL picks the model (default llama3.2:latest); it must already be pulled.
"""

from __future__ import annotations

import os

import pytest

from helpers import run_cli, user_env
from ollama_chat.hosts import parse_host
from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.types import ChatRequest, Message

HOST = os.environ.get("OLLAMA_CHAT_TEST_HOST")
MODEL = os.environ.get("OLLAMA_CHAT_TEST_MODEL", "llama3.2:latest")

pytestmark = pytest.mark.skipif(not HOST, reason="set OLLAMA_CHAT_TEST_HOST to test against a real Ollama")


def test_real_stream_has_text_and_stats():
    client = OllamaBackend(parse_host(HOST), timeout=600)
    request = ChatRequest(MODEL, (Message("user", "Say hello in Korean, one word."),), {"num_predict": 16, "seed": 1})
    chunks = list(client.chat(request))
    assert "".join(c.content for c in chunks).strip()
    assert chunks[-1].done and chunks[-1].stats.eval_count > 0


def test_real_one_shot_through_the_command(tmp_path):
    result = run_cli(["-m", MODEL, "--option", "num_predict=16", "1+1은?"], user_env(tmp_path, HOST), stdin=None, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_real_unknown_model_message(tmp_path):
    result = run_cli(["-m", "no-such-model-ollama-chat", "q"], user_env(tmp_path, HOST), stdin=None, timeout=60)
    assert result.returncode == 1 and b"ollama-chat models pull no-such-model-ollama-chat" in result.stderr
