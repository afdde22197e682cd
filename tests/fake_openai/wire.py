"""OpenAI's wire format, as the fake writes it: JSON bodies, `chat.completion.chunk` objects, SSE framing,
error bodies, the model list. Public helpers (`sse`, `chunk`, `usage_chunk`, `error_body`) let tests build bytes
for `reply_raw`."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from fake_ollama.replies import Gate, fake_tokens

DEFAULT_MODEL = "Qwen/Qwen3-8B"
DEFAULT_WINDOW = 32768
SSE_TYPE = "text/event-stream; charset=utf-8"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
CREATED = 1_767_225_600  # 2026-01-01T00:00:00Z
MID_STREAM_ERROR = "The engine died while generating"
DONE = b"data: [DONE]\n\n"
KEEP_ALIVE = b": keep-alive\n\n"
CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"

CutMode = Literal["eof", "reset"]


def dumps(obj: Any) -> bytes:
    """Compact JSON in raw UTF-8, as Python servers (vLLM's pydantic) and OpenAI write it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sse(obj: Any, newline: str = "\n") -> bytes:
    """One event: `data: JSON` and a blank line (`obj` bytes or str are sent as the data as they are)."""
    data = obj if isinstance(obj, bytes) else obj.encode("utf-8") if isinstance(obj, str) else dumps(obj)
    end = newline.encode()
    return b"data: " + data + end + end


def error_body(message: str, type: str = "invalid_request_error", code: Any = None, param: Any = None) -> dict[str, Any]:  # noqa: A002
    """OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def completion_id() -> str:
    return f"chatcmpl-{time.monotonic_ns():x}"


def chunk(cid: str, model: str, delta: dict[str, Any], finish_reason: str | None = None, *,
          include_usage: bool = False) -> dict[str, Any]:
    """A `chat.completion.chunk` with one choice. With `include_usage` every chunk carries `"usage": null`, as
    OpenAI's do."""
    obj: dict[str, Any] = {
        "id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    if include_usage:
        obj["usage"] = None
    return obj


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def usage_chunk(cid: str, model: str, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    """The last chunk when `stream_options.include_usage`: no choices, the usage."""
    return {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "system_fingerprint": None, "choices": [], "usage": usage(prompt_tokens, completion_tokens)}


def completion(model: str, content: str, reasoning: str, reasoning_field: str, finish_reason: str,
               prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    """A whole `chat.completion` (the answer to `"stream": false`)."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None, "tool_calls": []}
    if reasoning:
        message[reasoning_field] = reasoning
    return {"id": completion_id(), "object": "chat.completion", "created": int(time.time()), "model": model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
            "usage": usage(prompt_tokens, completion_tokens)}


def model_entry(name: str, max_model_len: int | None) -> dict[str, Any]:
    """One model of GET /v1/models, as vLLM lists it (without `max_model_len` when None, as OpenAI lists)."""
    entry: dict[str, Any] = {"id": name, "object": "model", "created": CREATED, "owned_by": "vllm", "root": name,
                             "parent": None}
    if max_model_len is not None:
        entry["max_model_len"] = max_model_len
    return entry


def text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text") or "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def prompt_tokens(messages: list[Any]) -> int:
    """The fake tokenizer's count of a prompt: its text, plus 5 tokens of template per message."""
    return sum(5 + fake_tokens(text_of(m.get("content"))) for m in messages if isinstance(m, dict)) or 1


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return text_of(message.get("content"))
    return ""


# -- llama.cpp's servers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LlamaCpp:
    """Answer as llama.cpp's servers do, for a window of `n_ctx` tokens (`FakeOpenAI.like_llama_cpp`).

    `server`: "llama-server" (llama.cpp's own: GET /props says the window) or "llama-cpp-python" (no /props: its
    FastAPI answers 404). Neither lists the window in /v1/models. A prompt of `n_ctx` tokens or more is refused
    (llama.cpp's `n_tokens() >= n_ctx`), `when`:
    - "before": HTTP 400 before any stream, each server's own body: llama-server's
      `{"error": {"code": 400, "message": "request (N tokens) exceeds the available context size (C tokens), try
      increasing it", "type": "exceed_context_size_error", "n_prompt_tokens": N, "n_ctx": C}}`; llama-cpp-python's
      ErrorResponse from its context_length_exceeded formatter ("This model's maximum context length is C tokens.
      However, you requested N tokens (N in the messages, None in the completion). ...").
    - "after": HTTP 200 and the stream's first chunk (the assistant role), then the error as a `data:` line,
      as llama-server frames an error after the stream has started (`format_oai_sse({"error": ...})`, then no
      [DONE]), with llama-cpp-python's ErrorResponse for the ValueError its Llama raises: "Requested tokens (N)
      exceed context window of C" (type internal_server_error). (llama-cpp-python itself ends such a stream
      with no event at all: nothing a client could learn from.)"""

    n_ctx: int
    when: str = "before"
    server: str = "llama-server"

    def props(self, model: str) -> dict[str, Any]:
        """GET /props of llama-server, trimmed to what a client reads (the real one has more fields)."""
        return {"default_generation_settings": {"n_ctx": self.n_ctx, "params": {"n_predict": -1, "temperature": 0.8}},
                "total_slots": 1, "model_alias": model, "model_path": f"/models/{model}.gguf",
                "modalities": {"vision": False, "audio": False}, "build_info": "b6000-fake"}

    def refusal(self, tokens: int) -> dict[str, Any]:
        if self.server == "llama-server":
            return {"error": {"code": 400, "message": f"request ({tokens} tokens) exceeds the available context size"
                              f" ({self.n_ctx} tokens), try increasing it", "type": "exceed_context_size_error",
                              "n_prompt_tokens": tokens, "n_ctx": self.n_ctx}}
        return error_body(f"This model's maximum context length is {self.n_ctx} tokens. However, you requested {tokens}"
                          f" tokens ({tokens} in the messages, None in the completion). Please reduce the length of the"
                          " messages or completion.", "invalid_request_error", "context_length_exceeded", "messages")

    def stream_error(self, tokens: int) -> dict[str, Any]:
        return error_body(f"Requested tokens ({tokens}) exceed context window of {self.n_ctx}", "internal_server_error")


# -- what tests queue -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamedReply:
    """A reply built from pieces: reasoning pieces first (uncounted), then content pieces. Counts
    (`error_after`, `cut_after`, `hold_after`) are content pieces."""

    content: tuple[str, ...]
    reasoning: tuple[str, ...] = ()
    reasoning_field: str = "reasoning_content"
    finish_reason: str | None = "stop"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    usage: bool = True  # the usage chunk, when the request asked for it
    done: bool = True  # the `data: [DONE]` line
    keep_alive: bool = False  # a `: keep-alive` comment before every event
    newline: str = "\n"
    split_writes: bool = False
    chunk_delay: float = 0.0
    first_delay: float = 0.0
    error_after: int | None = None
    error: dict[str, Any] = field(default_factory=lambda: error_body(MID_STREAM_ERROR, "internal_server_error", 500))
    cut_after: int | None = None
    cut_mode: CutMode = "eof"
    gate: Gate = field(default_factory=Gate, compare=False)


@dataclass(frozen=True)
class PlainReply:
    """A non-streamed answer: any status, body, content type and extra headers."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()
    gate: Gate = field(default_factory=Gate, compare=False)


@dataclass(frozen=True)
class RawReply:
    """Bytes sent one HTTP chunk per item, exactly as given."""

    chunks: tuple[bytes, ...]
    status: int = 200
    content_type: str = SSE_TYPE
    split_writes: bool = False
    cut_after: int | None = None
    cut_mode: CutMode = "eof"
    gate: Gate = field(default_factory=Gate, compare=False)


Queued = Union[StreamedReply, PlainReply, RawReply]


def body_bytes(body: bytes | str | dict[str, Any] | list[Any]) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return dumps(body)
