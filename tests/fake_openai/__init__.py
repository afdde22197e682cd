"""A fake OpenAI-compatible server (`/v1/chat/completions`, `/v1/models`) for tests. Standard library only, plus
fake_ollama's request handling, gates and chunk writing, which it shares.

It speaks OpenAI's wire format as OpenAI and vLLM write it: HTTP/1.1, Server-Sent Events over a chunked body,
one `data: {json}\\n\\n` event per HTTP chunk (`chat.completion.chunk` objects: a role chunk, `delta.content`
pieces, `delta.reasoning_content` (or `reasoning`) pieces, a `finish_reason` chunk, a usage chunk with empty
`choices` when the request asked for `stream_options.include_usage`, then `data: [DONE]`), whole
`chat.completion` objects for `"stream": false`, `GET /v1/models` with vLLM's `max_model_len`, and errors in
OpenAI's shape `{"error": {"message", "type", "param", "code"}}`: 401 for a missing or wrong key (when
`api_key` is set), 404 for an unknown model, vLLM's 400 for a prompt over a model's window.

Tests script the replies through a FIFO queue (`reply`, `reply_status`, `reply_html`, `reply_raw`); with an
empty queue the server echoes the last user message ("echo: ..."). Every request is logged (`requests` with
headers and body, `chat_requests`, `last_chat`, `wait_for_requests`) and a client hanging up mid-reply is
counted (`disconnects`, `wait_for_disconnect`).

Tool calls: `fake.reply("", tool_calls=[tool_call("get_weather", {"city": "Seoul"})])` streams them as OpenAI
and vLLM do: `delta.tool_calls` pieces by `index` (the first with the ID, the type and the name, then the
arguments' JSON text a piece at a time), several calls one after another or `interleave`d, then a chunk with
`finish_reason: "tool_calls"`; broken JSON arguments are scripted as text. A request's tools and the tool
calls and results sent back are checked as OpenAI checks them (a result must answer a call, every call must be
answered, arguments must be a string), and `tools_off()` answers tools as a server started without tool
calling does.

Gates, never sleeps: every queuing method returns a fake_ollama `Gate`. With `hold_after=N` the reply sends
its first N content pieces (reasoning is not counted) and waits for `gate.release()`; `hold_after=0` holds it
before the headers. `gate.wait_held()`, `gate.wait_for_sent(n)`, `gate.wait_complete()` say where it is.

    gate = fake.reply(["안녕", "하세요"], hold_after=1)
    stream = iter(backend.chat(request))
    assert next(stream).content == "안녕"   # piece 0 is out, piece 1 waits
    gate.release()
"""

from __future__ import annotations

from .server import FakeOpenAI
from .wire import (
    CHAT_PATH,
    DEFAULT_MODEL,
    DEFAULT_WINDOW,
    DONE,
    HTML_TYPE,
    JSON_TYPE,
    KEEP_ALIVE,
    MID_STREAM_ERROR,
    MODELS_PATH,
    SSE_TYPE,
    chunk,
    error_body,
    sse,
    tool_call,
    tool_chunks,
    usage_chunk,
)

__all__ = [
    "CHAT_PATH", "DEFAULT_MODEL", "DEFAULT_WINDOW", "DONE", "HTML_TYPE", "JSON_TYPE", "KEEP_ALIVE", "MID_STREAM_ERROR",
    "MODELS_PATH", "SSE_TYPE", "FakeOpenAI", "chunk", "error_body", "sse", "tool_call", "tool_chunks", "usage_chunk",
]
