"""The OpenAI-compatible backend against the fake server over loopback: what goes over the wire, streaming,
reasoning as thinking, usage, the length cut, and every error a user can meet, each a BackendError with a clear
message that never shows the key."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

import pytest
from fake_openai import DEFAULT_MODEL, FakeOpenAI, error_body, sse

from ollama_chat.backends.base import (
    BackendError,
    ContextOverflow,
    IncompleteReply,
    KeyRefused,
    ModelNotFound,
    ReadTimeout,
    ServerError,
    ServerUnreachable,
    WrongServer,
)
from ollama_chat.backends.openai import OpenAIBackend
from ollama_chat.errors import EXIT_FAILURE
from ollama_chat.types import ChatRequest, Message
from ollama_chat.ui.wording import for_command_line

KEY = "sk-live-0123456789abcdefSECRET"
TLS = Path(__file__).resolve().parent / "fixtures" / "tls"
REQ = ChatRequest(model=DEFAULT_MODEL, messages=(Message("user", "안녕"),))


def collect(backend, request=REQ):
    events = list(backend.chat(request))
    assert events[-1].done and not any(e.done for e in events[:-1])
    return "".join(e.content for e in events), "".join(e.thinking for e in events), events[-1].stats


@pytest.fixture
def keyed():
    """A fake that wants KEY, and a backend that sends it (from $LAB_API_KEY)."""
    with FakeOpenAI(api_key=KEY) as fake:
        yield fake, OpenAIBackend(fake.url, api_key=KEY, key_env="LAB_API_KEY")


def failure(call, kind=BackendError):
    """The error `call()` raises (iterating a stream to its end): of `kind`, exit code 1 unless a usage error,
    and never showing the key."""
    with pytest.raises(kind) as e:
        result = call()
        if result is not None:
            list(result)
    assert KEY not in str(e.value) and KEY[-12:] not in str(e.value)
    assert e.value.message
    return e.value


# -- replies ------------------------------------------------------------------------------------------------


def test_streams_content_reasoning_and_usage(keyed):
    fake, backend = keyed
    fake.reply(["안녕", "하세요", "!"], reasoning=["음", "…"], prompt_tokens=11, completion_tokens=5)
    text, thinking, stats = collect(backend)
    assert (text, thinking) == ("안녕하세요!", "음…")
    assert (stats.prompt_eval_count, stats.eval_count, stats.done_reason) == (11, 5, "stop")
    assert stats.tokens_per_second is None and not stats.cut_by_length


def test_reasoning_under_its_other_name(fake_openai):
    fake_openai.reply("답", reasoning="생각", reasoning_field="reasoning")
    assert collect(OpenAIBackend(fake_openai.url))[:2] == ("답", "생각")


def test_the_length_cut_is_marked(fake_openai):
    fake_openai.reply("잘린 답", finish_reason="length")
    assert collect(OpenAIBackend(fake_openai.url))[2].cut_by_length


def test_the_echo_reply_and_a_host_without_v1(fake_openai):
    backend = OpenAIBackend(fake_openai.root)
    assert backend.host == fake_openai.url
    assert collect(backend)[0] == "echo: 안녕"


def test_what_goes_over_the_wire(keyed):
    fake, backend = keyed
    request = ChatRequest(model=DEFAULT_MODEL, messages=(Message("system", "스님"), Message("user", "q")),
                          options={"temperature": 0.1, "num_predict": 64, "top_k": 5, "num_ctx": 4096})
    collect(backend, request)
    assert fake.last_chat == {
        "model": DEFAULT_MODEL, "messages": [{"role": "system", "content": "스님"}, {"role": "user", "content": "q"}],
        "stream": True, "stream_options": {"include_usage": True}, "temperature": 0.1, "max_tokens": 64, "top_k": 5}
    sent = fake.requests[-1]
    assert sent.path == "/v1/chat/completions" and sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["Content-Type"] == "application/json"


def test_no_key_no_authorization_header(fake_openai):
    collect(OpenAIBackend(fake_openai.url))
    assert "Authorization" not in fake_openai.requests[-1].headers


def test_images_go_as_data_urls(fake_openai):
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(64))).decode()
    request = ChatRequest(DEFAULT_MODEL, (Message("user", "이게 뭐야?", images=(png,)),))
    assert collect(OpenAIBackend(fake_openai.url), request)[0] == "echo: 이게 뭐야?"
    (part_text, part_image) = fake_openai.last_chat["messages"][0]["content"]
    assert part_text == {"type": "text", "text": "이게 뭐야?"}
    assert part_image == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}


def test_korean_split_inside_characters_with_keep_alives_and_crlf(fake_openai):
    fake_openai.reply(["한국", "어는 ", "재밌다"], reasoning=["생각"], split_writes=True, keep_alive=True, newline="\r\n")
    assert collect(OpenAIBackend(fake_openai.url))[:2] == ("한국어는 재밌다", "생각")


def test_a_stream_without_done_but_with_a_finish_reason_is_whole(fake_openai):
    fake_openai.reply("끝", done=False, usage=False)
    text, _, stats = collect(OpenAIBackend(fake_openai.url))
    assert text == "끝" and stats.done_reason == "stop" and stats.eval_count == 0


def test_non_streaming_call(fake_openai):
    fake_openai.reply("전체 답변", reasoning="생각", prompt_tokens=3, completion_tokens=4)
    (event,) = OpenAIBackend(fake_openai.url).chat(ChatRequest(DEFAULT_MODEL, REQ.messages, stream=False))
    assert (event.content, event.thinking, event.stats.eval_count, event.stats.prompt_eval_count) == ("전체 답변", "생각", 4, 3)
    assert fake_openai.last_chat["stream"] is False and "stream_options" not in fake_openai.last_chat


def test_a_server_that_answers_a_stream_with_one_object(fake_openai):
    fake_openai.reply_status(200, {"object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "한 번에"}, "finish_reason": "stop"}]})
    assert collect(OpenAIBackend(fake_openai.url))[0] == "한 번에"


def test_a_held_reply_is_mid_stream_and_close_hangs_up(fake_openai):
    gate = fake_openai.reply(["하나", "둘", "셋"], hold_after=1)
    stream = OpenAIBackend(fake_openai.url).chat(REQ)
    events = iter(stream)
    assert next(events).content == "하나"
    assert gate.wait_held() and gate.sent == 1
    stream.close()
    assert fake_openai.wait_for_disconnect()


def test_a_held_reply_goes_on_when_released(fake_openai):
    gate = fake_openai.reply(["하나", "둘"], hold_after=1)
    events = iter(OpenAIBackend(fake_openai.url).chat(REQ))
    assert next(events).content == "하나"
    gate.release()
    assert [e.content for e in events] == ["둘", ""] and gate.wait_complete()


# -- failures mid-stream ------------------------------------------------------------------------------------


def test_a_mid_stream_error_event_keeps_the_partial_text(keyed):
    fake, backend = keyed
    fake.reply(["첫 ", "부분", "은 안 옴"], error_after=2, error=error_body(f"engine died holding {KEY}", "server_error"))
    received = []

    def run():
        for event in backend.chat(REQ):
            received.append(event.content)

    e = failure(run, IncompleteReply)
    assert "".join(received) == "첫 부분" and "after 4 characters" in e.message
    assert "the server reported an error: engine died holding ***" in e.message and e.exit_code == EXIT_FAILURE


def test_an_error_event_by_name(fake_openai):
    fake_openai.reply_raw([sse({"choices": [{"index": 0, "delta": {"content": "a"}}]}),
                           b'event: error\ndata: {"message": "overloaded"}\n\n'])
    assert "the server reported an error: overloaded" in failure(lambda: OpenAIBackend(fake_openai.url).chat(REQ),
                                                                 IncompleteReply).message


@pytest.mark.parametrize("mode, words", [("eof", "the stream ended before the server said it was done"),
                                         ("reset", "the connection was cut")])
def test_a_cut_connection_is_an_incomplete_reply(fake_openai, mode, words):
    fake_openai.reply("a long answer that never ends", cut_after=3, cut_mode=mode)
    e = failure(lambda: OpenAIBackend(fake_openai.url).chat(REQ), IncompleteReply)
    assert "incomplete after 9 characters" in e.message and words in e.message


def test_a_stream_cut_in_the_middle_of_an_event(fake_openai):
    fake_openai.reply_raw([sse({"choices": [{"index": 0, "delta": {"content": "a"}}]}), b'data: {"choices": [{"ind'])
    assert "in the middle of an event" in failure(lambda: OpenAIBackend(fake_openai.url).chat(REQ), IncompleteReply).message


@pytest.mark.parametrize("chunks, words", [
    ([b"data: hello there\n\n"], "an event that is not JSON"),
    ([sse({"object": "list", "data": []})], "not an OpenAI-compatible stream"),
])
def test_a_stream_that_is_not_openais(fake_openai, chunks, words):
    fake_openai.reply_raw(chunks)
    assert words in failure(lambda: OpenAIBackend(fake_openai.url).chat(REQ), IncompleteReply).message


def test_read_timeout_says_how_long(fake_openai):
    fake_openai.reply("late", hold_after=0)  # never answers (the gate is not released): the timeout must run out
    e = failure(lambda: OpenAIBackend(fake_openai.url, timeout=0.3).chat(REQ), ReadTimeout)
    assert "0.3 s" in e.message and "--timeout" in for_command_line(e).hint


def test_timeout_between_chunks(fake_openai):
    fake_openai.reply(["a", "b", "c"], hold_after=1)  # "a", then nothing until the gate is released: never
    failure(lambda: OpenAIBackend(fake_openai.url, timeout=0.3).chat(REQ), ReadTimeout)


# -- failures before the reply --------------------------------------------------------------------------------


def test_no_key_sent_says_which_variable_to_set(keyed):
    fake, _ = keyed
    e = failure(lambda: OpenAIBackend(fake.url, key_env="LAB_API_KEY").chat(REQ), KeyRefused)
    assert "none was sent" in e.message and "HTTP 401" in e.message and e.hint == "Set LAB_API_KEY to the key."


def test_a_refused_key_is_named_by_its_variable_never_shown(keyed):
    fake, _ = keyed
    fake.api_key = "sk-the-right-one"
    e = failure(lambda: OpenAIBackend(fake.url, api_key=KEY, key_env="LAB_API_KEY").models(), KeyRefused)
    assert "refused the key in $LAB_API_KEY (HTTP 401)" in e.message and "Incorrect API key provided: ***" in e.message
    assert e.status == 401 and "$LAB_API_KEY" in e.hint


@pytest.mark.parametrize("status, body", [(403, {"error": "Forbidden"}), (401, "<html>401 Authorization Required</html>")])
def test_other_refusals_of_the_key(keyed, status, body):
    fake, backend = keyed
    fake.reply_status(status, body, "application/json" if isinstance(body, dict) else "text/html")
    e = failure(lambda: backend.chat(REQ), KeyRefused)
    assert f"HTTP {status}" in e.message and "$LAB_API_KEY" in e.message


def test_unknown_model_lists_what_the_server_has(keyed):
    fake, backend = keyed
    fake.add_model("meta-llama/Llama-3.1-8B-Instruct")
    e = failure(lambda: backend.chat(ChatRequest("gpt-4o", REQ.messages)), ModelNotFound)
    assert "'gpt-4o'" in e.message
    assert e.hint == f"The server has: {DEFAULT_MODEL}, meta-llama/Llama-3.1-8B-Instruct." and "pull" not in e.hint


def test_unknown_model_suggests_a_close_one(fake_openai):
    e = failure(lambda: OpenAIBackend(fake_openai.url).chat(ChatRequest("Qwen/Qwen3", REQ.messages)), ModelNotFound)
    assert e.suggestions == [DEFAULT_MODEL] and e.hint.startswith(f"Did you mean {DEFAULT_MODEL}?\nThe server has:")


def test_too_long_a_prompt_is_a_context_overflow(fake_openai):
    fake_openai.add_model("tiny", max_model_len=50)
    long = ChatRequest("tiny", (Message("user", "word " * 200),))
    e = failure(lambda: OpenAIBackend(fake_openai.url).chat(long), ContextOverflow)
    assert "maximum context length is 50 tokens" in e.message and e.status == 400 and "--max-model-len" in for_command_line(e).hint


def test_rate_limited_with_the_servers_words(keyed):
    fake, backend = keyed
    fake.reply_status(429, error_body("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
                      headers={"Retry-After": "7"})
    e = failure(lambda: backend.chat(REQ), ServerError)
    assert "HTTP 429: Rate limit reached for requests" in e.message and "wait 7 s" in e.hint and e.status == 429


@pytest.mark.parametrize("status, body, words, hint", [
    (500, error_body("CUDA out of memory", "InternalServerError", 500), "HTTP 500: CUDA out of memory", "log"),
    (503, {"object": "error", "message": "The server is loading", "type": "ServiceUnavailable", "code": 503},
     "HTTP 503: The server is loading", "wait a moment"),
    # the request's own fault: the server's message says what to change, and no hint is added
    (400, error_body("top_k must be -1 or at least 1", "BadRequestError", 400), "HTTP 400: top_k must be", ""),
])
def test_error_statuses_carry_the_servers_message(fake_openai, status, body, words, hint):
    fake_openai.reply_status(status, body)
    e = failure(lambda: OpenAIBackend(fake_openai.url).chat(REQ), ServerError)
    assert words in e.message and fake_openai.url in e.message and e.status == status
    assert hint in e.hint and bool(e.hint) == bool(hint)


@pytest.mark.parametrize("status, words", [(200, "it sent: '<html><body><h1>Welcome to nginx"), (502, "HTTP 502")])
def test_an_html_answer_is_not_the_api(fake_openai, status, words):
    fake_openai.reply_html(status)
    e = failure(lambda: OpenAIBackend(fake_openai.url).chat(REQ), WrongServer)
    assert "does not answer like an OpenAI-compatible API" in e.message and words in e.message
    assert ("proxy" in e.hint) == (status >= 500)


def test_a_wrong_path_is_not_the_api(fake_openai):
    e = failure(lambda: OpenAIBackend(fake_openai.root + "/api").chat(REQ), WrongServer)
    assert "HTTP 404" in e.message and "/v1" in e.hint


def test_a_non_json_model_list_is_not_the_api(fake_openai):
    fake_openai.override("/v1/models", 200, "ok", "text/plain")
    failure(lambda: OpenAIBackend(fake_openai.url).models(), WrongServer)


def test_a_redirect_is_not_followed(fake_openai):
    fake_openai.override("/v1/models", 301, "", "text/plain", headers={"Location": "https://elsewhere.example/v1/models"})
    e = failure(lambda: OpenAIBackend(fake_openai.url, api_key=KEY).models(), WrongServer)
    assert "redirect (HTTP 301) to https://elsewhere.example/v1/models" in e.message
    assert len(fake_openai.requests) == 1


def test_server_down_names_the_address():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    e = failure(lambda: OpenAIBackend(f"http://127.0.0.1:{port}/v1").chat(REQ), ServerUnreachable)
    assert f"http://127.0.0.1:{port}/v1" in e.message and "connection refused" in e.message


def test_an_invalid_address_is_refused_at_once():
    failure(lambda: OpenAIBackend("ftp://example.com/v1"), BackendError)


def test_an_option_the_api_cannot_take_is_refused_before_sending(fake_openai):
    e = failure(lambda: OpenAIBackend(fake_openai.url).chat(ChatRequest(DEFAULT_MODEL, REQ.messages, options={"num_gpu": 1})))
    assert "num_gpu" in e.message and fake_openai.requests == []


# -- https ----------------------------------------------------------------------------------------------------


def test_https_certificates_are_verified(monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with FakeOpenAI(tls=(TLS / "cert.pem", TLS / "key.pem")) as fake:
        e = failure(lambda: OpenAIBackend(fake.url).models(), ServerUnreachable)
        assert "certificate could not be verified" in e.message and "REQUESTS_CA_BUNDLE" in e.hint
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(TLS / "cert.pem"))
        assert OpenAIBackend(fake.url).list_models() == [DEFAULT_MODEL]


def test_https_to_a_plain_http_port(fake_openai):
    e = failure(lambda: OpenAIBackend(fake_openai.url.replace("http://", "https://")).models(), ServerUnreachable)
    assert "TLS handshake failed" in e.message


# -- models -------------------------------------------------------------------------------------------------


def test_models_and_their_windows(fake_openai):
    fake_openai.add_model("gpt-like", max_model_len=None)
    backend = OpenAIBackend(fake_openai.url)
    assert backend.list_models() == [DEFAULT_MODEL, "gpt-like"]
    assert [(m.name, m.context_length) for m in backend.models()] == [(DEFAULT_MODEL, 32768), ("gpt-like", None)]
    assert backend.loaded_window(DEFAULT_MODEL) == 32768
    assert backend.loaded_window("gpt-like") is None and backend.loaded_window("absent") is None


def test_model_info_uses_the_last_list_and_asks_again_for_a_new_name(fake_openai):
    backend = OpenAIBackend(fake_openai.url)
    assert backend.model_info(DEFAULT_MODEL, timeout=3).context_length == 32768
    assert backend.model_info(DEFAULT_MODEL).name == DEFAULT_MODEL
    assert len(fake_openai.requests) == 1
    fake_openai.add_model("new-lora", max_model_len=4096)
    assert backend.model_info("new-lora").context_length == 4096
    e = failure(lambda: backend.model_info("nope"), ModelNotFound)
    assert "The server has:" in e.hint and "new-lora" in e.hint


def test_pull_is_refused_when_iterated(fake_openai):
    steps = OpenAIBackend(fake_openai.url).pull("llama3.2")  # nothing raised yet: a caller's view is set up first
    e = failure(lambda: list(steps), BackendError)
    assert "cannot download models" in e.message and fake_openai.requests == []
