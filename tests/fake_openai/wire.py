"""OpenAI's wire format, as the fake writes it: JSON bodies, `chat.completion.chunk` objects, SSE framing,
error bodies, the model list. Public helpers (`sse`, `chunk`, `usage_chunk`, `error_body`) let tests build bytes
for `reply_raw`."""

from __future__ import annotations

import json
import re
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
               prompt_tokens: int, completion_tokens: int, tool_calls: tuple[ToolScript, ...] = ()) -> dict[str, Any]:
    """A whole `chat.completion` (the answer to `"stream": false`). With tool calls its content is null, as vLLM
    and OpenAI send it when the model said nothing else."""
    message: dict[str, Any] = {"role": "assistant", "content": content or (None if tool_calls else ""), "refusal": None,
                               "tool_calls": [call.whole() for call in tool_calls]}
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


# -- tool calls --------------------------------------------------------------------------------------------

ToolStyle = Literal["openai", "vllm", "whole"]


def tool_call_id() -> str:
    """An ID as vLLM makes one (`chatcmpl-tool-` and 32 hex digits; OpenAI's are `call_…`)."""
    import uuid

    return f"chatcmpl-tool-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class ToolScript:
    """One call a scripted reply makes: its `arguments` JSON text (anything: broken JSON is a test too) streamed
    in `pieces` (they join to it), and its ID (None: the server sends none)."""

    name: str
    arguments: str
    pieces: tuple[str, ...]
    id: str | None

    def whole(self) -> dict[str, Any]:
        """As a whole message lists it (`"stream": false`)."""
        out: dict[str, Any] = {} if self.id is None else {"id": self.id}
        out.update(type="function", function={"name": self.name, "arguments": self.arguments})
        return out

    def deltas(self, index: int, style: ToolStyle) -> list[dict[str, Any]]:
        """The entries of `delta.tool_calls` that carry it, one a chunk. "openai" (and llama.cpp's server): the
        first with the ID, the type, the name and `"arguments": ""`, then a piece of the arguments each; "vllm":
        the first without `arguments`; "whole": one entry with everything (Ollama's /v1, LM Studio)."""
        head: dict[str, Any] = {"index": index}
        if self.id is not None:
            head.update(id=self.id, type="function")
        if style == "whole":
            return [{**head, "function": {"name": self.name, "arguments": self.arguments}}]
        head["function"] = {"name": self.name} if style == "vllm" else {"name": self.name, "arguments": ""}
        return [head, *({"index": index, "function": {"arguments": p}} for p in self.pieces)]


def tool_call(name: str, arguments: str | dict[str, Any] | None = None, *, pieces: list[str] | int = 5,
              id: str | None = "") -> ToolScript:  # noqa: A002
    """A call to script: `arguments` a JSON object (written as vLLM writes it, `json.dumps`) or the exact text
    (broken JSON too); `pieces` the text's pieces, or their size; `id` "" makes one up, None sends none."""
    text = json.dumps(arguments if arguments is not None else {}, ensure_ascii=False) if not isinstance(arguments, str) else arguments
    parts = tuple(pieces) if isinstance(pieces, list) else tuple(text[i:i + pieces] for i in range(0, len(text), pieces))
    if "".join(parts) != text:
        raise ValueError("the pieces do not join to the arguments")
    return ToolScript(name, text, parts, tool_call_id() if id == "" else id)


def tool_chunks(calls: tuple[ToolScript, ...], style: ToolStyle = "openai", interleave: bool = False) -> list[dict[str, Any]]:
    """The `delta.tool_calls` entries of a reply's calls, one a chunk, in order: each call whole before the next
    (as OpenAI and vLLM stream), or with `interleave` their pieces taken in turn (call 0's first, call 1's
    first, call 0's second...)."""
    each = [call.deltas(i, style) for i, call in enumerate(calls)]
    if not interleave:
        return [d for deltas in each for d in deltas]
    return [deltas[k] for k in range(max(map(len, each), default=0)) for deltas in each if k < len(deltas)]


OPENAI_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")


def tools_error(body: dict[str, Any]) -> str | None:
    """What OpenAI's API says of `tools`, and of tool calls and results in the messages, in a shape it refuses:
    a name off its pattern, arguments that are not a string, a result that answers no call, a call no result
    answers. None when all is well."""
    for i, tool in enumerate(body.get("tools") or ()):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or tool.get("type") != "function":
            return f"Invalid value for 'tools[{i}]': expected an object with type 'function'."
        if not isinstance(function.get("name"), str) or not OPENAI_NAME.match(function["name"]) or len(function["name"]) > 64:
            return (f"Invalid 'tools[{i}].function.name': string does not match pattern. Expected a string that matches"
                    " the pattern '^[a-zA-Z0-9_-]+$'.")
    waiting: list[str] = []  # the calls of the last assistant message not yet answered
    for m, message in enumerate(body.get("messages") or ()):
        if not isinstance(message, dict):
            continue
        if message.get("role") == "tool":
            if message.get("tool_call_id") not in waiting:
                return ("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with"
                        " 'tool_calls'.")
            waiting.remove(message["tool_call_id"])
            continue
        if waiting:
            return ("An assistant message with 'tool_calls' must be followed by tool messages responding to each"
                    f" 'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(waiting)}")
        for c, call in enumerate(message.get("tool_calls") or ()):
            function = call.get("function") if isinstance(call, dict) else None
            where = f"messages[{m}].tool_calls[{c}]"
            if not isinstance(function, dict) or not isinstance(call.get("id"), str) or call.get("type") != "function":
                return f"Missing required parameter: '{where}.id', '{where}.type' or '{where}.function'."
            if not isinstance(function.get("arguments"), str):
                kind = "an object" if isinstance(function.get("arguments"), dict) else "another type"
                return f"Invalid type for '{where}.function.arguments': expected a string, but got {kind} instead."
            waiting.append(call["id"])
    return None


def tools_off_refusal(llama: LlamaCpp | None) -> tuple[int, dict[str, Any]]:
    """(status, body) of a server started without tool calling: llama-server without --jinja (HTTP 500), vLLM
    without --enable-auto-tool-choice (HTTP 400)."""
    if llama is not None and llama.server == "llama-server":
        return 500, {"error": {"code": 500, "message": "tools param requires --jinja flag", "type": "server_error"}}
    return 400, error_body('"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
                           "BadRequestError", 400)


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
    tool_calls: tuple[ToolScript, ...] = ()  # after the content, their pieces counted as pieces after it
    tool_style: ToolStyle = "openai"
    interleave: bool = False


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
