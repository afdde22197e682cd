"""The fake OpenAI server's own wire format, byte for byte: one SSE event per HTTP chunk, the chunk objects,
the usage chunk, [DONE], keep-alives, error bodies, mid-stream errors and cuts."""

from __future__ import annotations

import json

from fake_openai import DEFAULT_MODEL, FakeOpenAI
from raw_http import raw_exchange

CHAT = {"model": DEFAULT_MODEL, "messages": [{"role": "user", "content": "안녕"}], "stream": True}


def events(chunks: list[bytes]) -> list[object]:
    out: list[object] = []
    for data in chunks:
        assert data.startswith(b"data: ") and data.endswith(b"\n\n"), data
        payload = data[len(b"data: "):-2]
        out.append(payload.decode() if payload == b"[DONE]" else json.loads(payload))
    return out


def test_a_streamed_reply_as_openai_sends_it(fake_openai):
    fake_openai.reply(["안녕", "하세요"], reasoning=["음"], prompt_tokens=9)
    raw = raw_exchange(fake_openai, "POST", "/v1/chat/completions", {**CHAT, "stream_options": {"include_usage": True}})
    assert raw.status == 200 and raw.headers["content-type"].startswith("text/event-stream") and raw.terminated
    role, thought, *content, finish, usage, done = events(raw.chunks)
    assert role["object"] == "chat.completion.chunk" and role["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert thought["choices"][0]["delta"] == {"reasoning_content": "음"}
    assert [c["choices"][0]["delta"]["content"] for c in content] == ["안녕", "하세요"]
    assert all(c["usage"] is None and c["choices"][0]["finish_reason"] is None for c in content)
    assert finish["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert usage["choices"] == [] and usage["usage"] == {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}
    assert done == "[DONE]" and len({c["id"] for c in (role, *content, usage)}) == 1


def test_no_usage_unless_asked(fake_openai):
    raw = raw_exchange(fake_openai, "POST", "/v1/chat/completions", CHAT)
    chunks = events(raw.chunks)
    assert chunks[-1] == "[DONE]" and all("usage" not in c for c in chunks[:-1])
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1]) == "echo: 안녕"


def test_keep_alive_comments_are_chunks_of_their_own(fake_openai):
    fake_openai.reply("a", keep_alive=True)
    chunks = raw_exchange(fake_openai, "POST", "/v1/chat/completions", CHAT).chunks
    assert chunks[0::2] == [b": keep-alive\n\n"] * (len(chunks) // 2) and events(chunks[1::2])[-1] == "[DONE]"


def test_a_mid_stream_error_then_done_as_vllm_does(fake_openai):
    fake_openai.reply(["a", "b"], error_after=1)
    *_, error, done = events(raw_exchange(fake_openai, "POST", "/v1/chat/completions", CHAT).chunks)
    assert error == {"error": {"message": "The engine died while generating", "type": "internal_server_error",
                               "param": None, "code": 500}} and done == "[DONE]"


def test_a_reset_cut(fake_openai):
    fake_openai.reply(["a", "b", "c"], cut_after=1, cut_mode="reset")
    raw = raw_exchange(fake_openai, "POST", "/v1/chat/completions", CHAT)
    assert not raw.terminated


def test_a_whole_completion(fake_openai):
    fake_openai.reply("다", reasoning="생각", reasoning_field="reasoning")
    raw = raw_exchange(fake_openai, "POST", "/v1/chat/completions", {**CHAT, "stream": False})
    obj = json.loads(b"".join(raw.chunks))
    assert obj["object"] == "chat.completion" and obj["choices"][0]["message"]["reasoning"] == "생각"
    assert obj["choices"][0]["finish_reason"] == "stop" and obj["usage"]["completion_tokens"] == 2


def test_models_errors_and_routes(fake_openai):
    fake_openai.add_model("no-window", max_model_len=None)
    models = json.loads(b"".join(raw_exchange(fake_openai, "GET", "/v1/models").chunks))
    assert models["object"] == "list"
    assert [(m["id"], m.get("max_model_len")) for m in models["data"]] == [(DEFAULT_MODEL, 32768), ("no-window", None)]
    missing = raw_exchange(fake_openai, "POST", "/v1/chat/completions", {**CHAT, "model": "x"})
    assert missing.status == 404 and json.loads(missing.chunks[0])["error"]["type"] == "NotFoundError"
    route = raw_exchange(fake_openai, "GET", "/api/tags")
    assert route.status == 404 and json.loads(route.chunks[0]) == {"detail": "Not Found"}
    assert fake_openai.pending_replies == 0 and len(fake_openai.requests) == 3


def test_a_required_key():
    with FakeOpenAI(api_key="k") as fake:
        raw = raw_exchange(fake, "GET", "/v1/models")
        error = json.loads(raw.chunks[0])["error"]
        assert raw.status == 401 and set(error) == {"message", "type", "param", "code"}
        assert error["message"].startswith("You didn't provide an API key")
