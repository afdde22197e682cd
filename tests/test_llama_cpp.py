"""A llama.cpp server's window, learnt wherever it says it: its /props (llama-server), and its refusals of a prompt
over the window, before the stream (HTTP 400) or after the stream has started (an error data line). Against the
fake OpenAI-compatible server answering as llama.cpp's servers do (`FakeOpenAI.like_llama_cpp`)."""

from __future__ import annotations

import pytest

from fake_openai import DEFAULT_MODEL
from fake_openai.wire import prompt_tokens
from ollama_chat.backends.base import ContextOverflow
from ollama_chat.backends.openai import OpenAIBackend
from ollama_chat.backends.openai_props import props_window_from
from ollama_chat.backends.openai_wire import APIError, api_error, is_overflow, overflow_numbers
from ollama_chat.chat.settings import Flags
from ollama_chat.types import ChatRequest, Exchange, Message
from ollama_chat.ui.commands import handle_line
from ollama_chat.ui.wording import for_command_line

from test_session import make_chat, screen

QUESTION = "데이터베이스 인덱스에 대해 자세히 알려 주세요. Tell me about database indexes in detail. "


def chat_with_history(fake, tmp_path, exchanges=20):
    chat = make_chat(fake, tmp_path, flags=Flags(host=fake.url, model=DEFAULT_MODEL, max_messages=200))
    chat.session.check_model()
    chat.session.conversation.exchanges.extend(
        Exchange(Message("user", f"{i}. " + QUESTION * 3), "Indexes make lookups faster. " * 12, DEFAULT_MODEL)
        for i in range(exchanges))
    return chat


@pytest.mark.parametrize("when", ["before", "after"])
def test_llama_cpp_pythons_window_is_learnt_from_its_refusal_and_the_question_sent_again(fake_openai, tmp_path, when):
    """llama-cpp-python (--n_ctx 2048): /v1/models says nothing of the window, so 4,096 is assumed; its refusal
    names the window and the prompt's length, which are learnt: the question goes again with what fits, once,
    and no later turn is refused."""
    fake_openai.like_llama_cpp(2048, when=when, server="llama-cpp-python")
    chat = chat_with_history(fake_openai, tmp_path)
    for i in range(4):
        handle_line(chat, f"질문 {i}: " + QUESTION)
    sizes = [prompt_tokens(body["messages"]) for body in fake_openai.chat_requests]
    assert sizes[0] >= 2048 and all(size < 2048 for size in sizes[1:]) and len(sizes) == 5  # refused once
    assert fake_openai.chat_requests[1]["messages"][-1] == fake_openai.chat_requests[0]["messages"][-1]
    assert all(size > 0.6 * 2048 for size in sizes[1:])  # as much as fits, not a blind cut
    text = " ".join(screen(chat).split())
    assert f"The server said {DEFAULT_MODEL}'s context window is 2,048 tokens; sent again with" in text
    assert "incomplete" not in text and "Error" not in text
    assert len(chat.session.conversation.exchanges) == 24  # every question answered
    assert chat.session.context.window(chat.session.settings).tokens == 2048


def test_llama_servers_window_is_read_from_its_props_before_anything_is_sent(fake_openai, tmp_path):
    fake_openai.like_llama_cpp(2048, server="llama-server")
    chat = chat_with_history(fake_openai, tmp_path)
    handle_line(chat, "질문: " + QUESTION)
    assert [prompt_tokens(body["messages"]) < 2048 for body in fake_openai.chat_requests] == [True]
    assert any(r.path == "/props" for r in fake_openai.requests)


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_question_too_long_for_the_servers_window_says_how_to_start_it_with_a_bigger_one(cli, fake_openai, when):
    """One-shot: refused once, the window learnt, and then not sent again (the question alone does not fit).
    The hint is the server's flag, never --num-ctx (which cannot change this server's window)."""
    fake_openai.like_llama_cpp(2048, when=when, server="llama-cpp-python")
    code, out, err = cli("--host", fake_openai.url, "-m", DEFAULT_MODEL, "아주 긴 질문입니다. " * 300)
    text = " ".join(err.split())
    assert code == 2 and "The server said" in text and "context window is 2,048 tokens" in text
    assert "Not sent" in text and "--n_ctx" in text and "--max-model-len" in text and "--num-ctx" not in text
    assert len(fake_openai.chat_requests) == 1


def test_the_backend_raises_a_context_overflow_with_what_the_server_said(fake_openai):
    fake_openai.like_llama_cpp(100, when="after", server="llama-cpp-python")
    long = ChatRequest(DEFAULT_MODEL, (Message("user", "word " * 300),))
    stream = OpenAIBackend(fake_openai.url).chat(long)  # the stream starts: HTTP 200
    with pytest.raises(ContextOverflow) as e:
        list(stream)
    tokens = prompt_tokens([{"role": "user", "content": "word " * 300}])
    assert (e.value.window, e.value.prompt_tokens) == (100, tokens)
    assert f"Requested tokens ({tokens}) exceed context window of 100" in e.value.message
    hint = for_command_line(e.value).hint
    assert "--n_ctx" in hint and "--num-ctx" not in hint


@pytest.mark.parametrize("body, numbers", [
    ({"error": {"code": 400, "message": "request (5022 tokens) exceeds the available context size (2048 tokens), try"
                " increasing it", "type": "exceed_context_size_error", "n_prompt_tokens": 5022, "n_ctx": 2048}},
     (2048, 5022)),  # llama-server
    ({"error": {"message": "This model's maximum context length is 2048 tokens. However, you requested 5022 tokens (5022"
                " in the messages, None in the completion). Please reduce the length of the messages or completion.",
                "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}},
     (2048, 5022)),  # llama-cpp-python's 400
    ({"error": {"message": "Requested tokens (5022) exceed context window of 2048", "type": "internal_server_error",
                "param": None, "code": None}}, (2048, 5022)),  # llama-cpp-python's ValueError
    ({"object": "error", "message": "This model's maximum context length is 4096 tokens. However, you requested 5000"
      " tokens (4000 in the messages, 1000 in the completion). Please reduce the length of the messages or"
      " completion.", "type": "BadRequestError", "code": 400}, (4096, 4000)),  # vLLM
    ({"error": {"message": "This model's maximum context length is 4096 tokens. However, your request has 5000 input"
                " tokens. Please reduce the length of the input messages.", "type": "BadRequestError", "code": 400}},
     (4096, 5000)),  # newer vLLM
    ({"error": {"message": "request (99999999999999 tokens) exceeds the available context size (-1 tokens)",
                "type": "exceed_context_size_error", "n_ctx": -1}}, (None, None)),  # nonsense is not learnt
])
def test_the_window_and_the_prompts_length_are_read_from_each_servers_words(body, numbers):
    error = api_error(body, loose=True)
    assert error is not None and is_overflow(error) and overflow_numbers(error) == numbers


def test_props_say_the_window_of_a_slot():
    assert props_window_from({"default_generation_settings": {"n_ctx": 2048, "params": {}}, "total_slots": 4}) == 2048
    assert props_window_from({"n_ctx": 8192}) == 8192
    assert props_window_from({"default_generation_settings": {"n_ctx": 0}}) is None
    assert props_window_from(["n_ctx"]) is None and overflow_numbers(APIError("boom")) == (None, None)


def test_a_file_too_big_for_a_fixed_window_server_is_refused_with_that_servers_hint(fake_openai, tmp_path):
    """The refusal names the server's own flag for a bigger window (never --num-ctx), and the chat goes on."""
    fake_openai.like_llama_cpp(2048, server="llama-cpp-python")
    chat = chat_with_history(fake_openai, tmp_path, exchanges=0)
    big = tmp_path / "big.txt"
    big.write_text("Indexes make lookups faster. " * 2000, encoding="utf-8")
    handle_line(chat, f"/read {big}")
    text = " ".join(screen(chat).split())
    assert f"Not attached: {big} is about" in text and "llama.cpp --n_ctx N or -c N" in text and "num_ctx" not in text
    assert fake_openai.chat_requests == []


def test_the_package_has_no_undefined_name():
    """A name used but never defined (a merge that renamed an import) fails only when its line runs: find it
    before that."""
    import subprocess
    import sys
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "ollama_chat"
    result = subprocess.run([sys.executable, "-m", "pyflakes", str(package)], capture_output=True, text=True)
    assert [line for line in result.stdout.splitlines() if "undefined name" in line] == []


def test_a_window_a_server_said_in_a_refusal_is_known_at_the_next_run(cli, fake_openai, tmp_path):
    """llama-cpp-python lists no window and has no /props: its refusal is the only place it says it. The next
    run (`-c`, say) fits the first request to it instead of being refused again."""
    fake_openai.like_llama_cpp(2048, server="llama-cpp-python")
    long = "아주 긴 질문입니다. " * 300  # more than 2,048 can hold, less than 4,096 leaves for a prompt
    code, out, err = cli("--host", fake_openai.url, "-m", DEFAULT_MODEL, long)
    assert code == 2 and "context window is 2,048 tokens" in err and len(fake_openai.chat_requests) == 1
    code, out, err = cli("--host", fake_openai.url, "-m", DEFAULT_MODEL, long)
    assert code == 2 and "Not sent" in err and "2,048-token context window" in err
    assert len(fake_openai.chat_requests) == 1  # known before sending: not refused again
    assert oct((tmp_path / "state" / "ollama-chat" / "windows.json").stat().st_mode & 0o777) == "0o600"
