"""OpenAI's chat API both ways, pure: the base URL, the request body (options by their API names, refused ones
named, images as data URLs, formats), chunks and completions, error bodies, the model list."""

from __future__ import annotations

import base64

import pytest

from ollama_chat.backends.base import BackendError, Unsupported
from ollama_chat.backends.openai_wire import (
    APIError,
    Delta,
    ErrorSaid,
    NotChunk,
    api_error,
    base_url,
    delta_from,
    image_url,
    is_overflow,
    models_from,
    request_body,
    stats_from,
)
from ollama_chat.errors import EXIT_USAGE
from ollama_chat.options import OPTIONS
from ollama_chat.types import ChatRequest, Message
from ollama_chat.ui.wording import for_command_line

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 40).decode()
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\0" * 40).decode()
GIF = base64.b64encode(b"GIF89a" + b"\0" * 40).decode()
WEBP = base64.b64encode(b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 40).decode()


def body(**kwargs) -> dict:
    return request_body(ChatRequest(model="m", messages=(Message("user", "q"),), **kwargs))


@pytest.mark.parametrize("given, url", [
    ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000/v1"),  # no path: where vLLM, llama.cpp, LM Studio serve it
    ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/v1"),
    ("127.0.0.1:8000", "http://127.0.0.1:8000/v1"),
    ("HTTPS://api.example.com/v1/", "https://api.example.com/v1"),
    ("https://openrouter.ai/api/v1", "https://openrouter.ai/api/v1"),  # another path: as given
    ("http://localhost:1234/v1/chat/completions", "http://localhost:1234/v1"),  # the endpoint pasted whole
    ("http://[::1]:8000/v1", "http://[::1]:8000/v1"),
    (" 'http://h:8000/v1' ", "http://h:8000/v1"),
])
def test_base_url(given, url):
    assert base_url(given) == url


@pytest.mark.parametrize("given", ["ftp://h/v1", "http:///v1", "", "http://h:99999/v1", "http://h:port/v1"])
def test_base_url_refuses_what_is_not_an_address(given):
    with pytest.raises(ValueError):
        base_url(given)


def test_the_plain_body():
    assert body() == {"model": "m", "messages": [{"role": "user", "content": "q"}], "stream": True,
                      "stream_options": {"include_usage": True}}
    assert "stream_options" not in body(stream=False)  # OpenAI refuses it without streaming


def test_options_by_their_api_names():
    options = {"temperature": 0.2, "top_p": 0.9, "seed": 42, "stop": ["###", "\n\n"], "num_predict": 256,
               "presence_penalty": 0.5, "frequency_penalty": -0.5, "top_k": 20, "min_p": 0.05,
               "repeat_penalty": 1.1, "num_ctx": 8192}
    sent = body(options=options)
    assert {k: v for k, v in sent.items() if k not in ("model", "messages", "stream", "stream_options")} == {
        "temperature": 0.2, "top_p": 0.9, "seed": 42, "stop": ["###", "\n\n"], "max_tokens": 256,
        "presence_penalty": 0.5, "frequency_penalty": -0.5,
        "top_k": 20, "min_p": 0.05, "repetition_penalty": 1.1,  # vLLM's extra sampling parameters
    }  # num_ctx is ollama-chat's own: the budget's window when the server does not say


@pytest.mark.parametrize("unlimited", [-1, -2])
def test_no_limit_is_no_max_tokens(unlimited):
    assert "max_tokens" not in body(options={"num_predict": unlimited})


def test_options_the_api_cannot_take_are_refused_by_name():
    with pytest.raises(Unsupported) as e:
        body(options={"temperature": 0.1, "num_gpu": 10, "typical_p": 0.5})
    assert "num_gpu, typical_p" in e.value.message and "options" in e.value.message
    hint = for_command_line(e.value).hint
    assert "temperature" in hint and "repeat_penalty" in hint
    assert isinstance(e.value, BackendError) and e.value.exit_code == EXIT_USAGE
    with pytest.raises(Unsupported, match="no option num_thread"):
        body(options={"num_thread": 4})


def test_every_option_in_the_table_is_sent_kept_or_refused():
    for name in OPTIONS:
        value = ["x"] if name == "stop" else 1
        try:
            body(options={name: value})
        except Unsupported as e:
            assert name in e.message


def test_formats():
    assert body(format="json")["response_format"] == {"type": "json_object"}
    schema = {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}
    assert body(format=schema)["response_format"] == {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}
    with pytest.raises(Unsupported, match="no format 'yaml'"):
        body(format="yaml")


def test_think_and_ollamas_own_fields():
    assert body(think="high")["reasoning_effort"] == "high"
    for think in (True, None):  # a reasoning model reasons anyway: nothing to send
        assert "reasoning_effort" not in body(think=think)
    with pytest.raises(Unsupported) as e:  # no switch turns it off: refused, not silently dropped
        body(think=False)
    assert "no switch to turn thinking off" in e.value.message
    assert {"keep_alive", "truncate", "think", "options"}.isdisjoint(body(keep_alive="5m", truncate=True))


@pytest.mark.parametrize("data, mime", [(PNG, "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"),
                                        (WEBP, "image/webp"), ("AAAA", "image/png"), ("@@not base64", "image/png")])
def test_images_as_data_urls_with_their_type_sniffed(data, mime):
    assert image_url(data) == f"data:{mime};base64,{data}"


def test_a_message_with_images_has_content_parts():
    sent = request_body(ChatRequest("m", (Message("system", "s"), Message("user", "이게 뭐야?", images=(PNG, JPEG)))))
    assert sent["messages"] == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": [
            {"type": "text", "text": "이게 뭐야?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{JPEG}"}},
        ]},
    ]


def chunk(delta=None, finish=None, **extra):
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}], **extra}


def test_deltas():
    assert delta_from(chunk({"role": "assistant", "content": ""})) == Delta()
    assert delta_from(chunk({"content": "안녕"})) == Delta(content="안녕")
    assert delta_from(chunk({"reasoning_content": "음"})) == Delta(thinking="음")
    assert delta_from(chunk({"reasoning": "흠", "content": None})) == Delta(thinking="흠")
    assert delta_from(chunk({}, "length")) == Delta(finish_reason="length")
    usage = {"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 34, "total_tokens": 46}}
    assert delta_from(usage) == Delta(usage=(12, 34))
    assert delta_from(chunk({"content": "x"}, usage=None)).usage is None
    whole = {"object": "chat.completion", "choices": [{"message": {"role": "assistant", "content": "다",
             "reasoning_content": "생각"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 1, "completion_tokens": 2}}
    assert delta_from(whole) == Delta("다", "생각", "stop", (1, 2))


def test_not_chunks_and_errors():
    for value in ([], "x", {"id": "x"}, {"choices": "no"}):
        with pytest.raises(NotChunk):
            delta_from(value)
    with pytest.raises(ErrorSaid) as e:
        delta_from({"error": {"message": "engine died", "type": "internal_server_error", "code": 500}})
    assert e.value.error == APIError("engine died", "internal_server_error", "500")


def test_stats():
    stats = stats_from("length", (10, 20))
    assert (stats.prompt_eval_count, stats.eval_count, stats.cut_by_length) == (10, 20, True)
    assert stats.tokens_per_second is None  # no durations from these servers
    assert stats_from("stop", None).eval_count == 0


def test_error_shapes():
    assert api_error({"error": {"message": "bad", "type": "t", "code": "c"}}) == APIError("bad", "t", "c")
    assert api_error({"error": "Unauthorized"}) == APIError("Unauthorized")  # vLLM's key check
    assert api_error({"object": "error", "message": "old vllm", "type": "BadRequestError", "code": 400}) == APIError(
        "old vllm", "BadRequestError", "400")
    assert api_error({"detail": "Not Found"}) is None
    assert api_error({"detail": "Not Found"}, loose=True) == APIError("Not Found")
    assert api_error([1]) is None and api_error(None, loose=True) is None


@pytest.mark.parametrize("error, overflow", [
    (APIError("This model's maximum context length is 4096 tokens. However, you requested 5000 tokens "
              "(4000 in the messages, 1000 in the completion)."), True),
    (APIError("Please reduce the length of the messages.", "invalid_request_error", "context_length_exceeded"), True),
    (APIError("the request exceeds the available context size, try increasing it", "exceed_context_size_error"), True),
    (APIError("temperature must be at most 2"), False),
])
def test_context_overflow_is_recognised(error, overflow):
    assert is_overflow(error) is overflow


def test_model_list():
    listed = models_from({"object": "list", "data": [
        {"id": "b/model", "object": "model", "created": 1767225600, "max_model_len": 8192},
        {"id": "a-model", "object": "model", "created": 0},
        {"id": "c", "context_length": 131072},
    ]})
    assert [(m.name, m.context_length) for m in listed] == [("a-model", None), ("b/model", 8192), ("c", 131072)]
    assert listed[1].modified.startswith("2026-01-01")
    for bad in ({"models": []}, {"data": [{"name": "x"}]}, [], {"data": "x"}):
        with pytest.raises(ValueError):
            models_from(bad)
