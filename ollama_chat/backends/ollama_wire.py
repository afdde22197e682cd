"""Ollama's chat API (/api/chat), both ways, and its error answers. Pure: our typed values in, JSON-ready dicts
out; decoded JSON in, typed values out. (The model endpoints are `ollama_models`.)"""

from __future__ import annotations

from typing import Any

from ollama_chat.backends.base import count, server_text, shorten
from ollama_chat.backends.streaming import decode_json
from ollama_chat.backends.tool_calls import BadToolCall, call_from, call_list, wire_tool
from ollama_chat.i18n import _
from ollama_chat.types import ChatEvent, ChatRequest, Message, Stats, ToolCall


def wire_call(call: ToolCall, index: int) -> dict[str, Any]:
    """A call the model made, sent back as Ollama gave it (api.ToolCall; `type` as its docs write it). Arguments
    that were not a JSON object go back as none: Ollama takes nothing else there (the model is told, in the
    call's answer, what was wrong with them)."""
    out: dict[str, Any] = {"id": call.id} if call.id else {}
    out.update(type="function", function={"index": index, "name": call.name, "arguments": dict(call.arguments)})
    return out


def wire_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.images:
        out["images"] = list(message.images)
    if message.thinking:  # before its calls, as received (Ollama's templates render it with them)
        out["thinking"] = message.thinking
    if message.tool_calls:
        out["tool_calls"] = [wire_call(call, i) for i, call in enumerate(message.tool_calls)]
    if message.role == "tool":
        out["tool_name"] = message.tool_name
        if message.tool_call_id:
            out["tool_call_id"] = message.tool_call_id
    return out


def request_body(request: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [wire_message(m) for m in request.messages],
        "stream": request.stream,
    }
    if request.tools:
        body["tools"] = [wire_tool(spec) for spec in request.tools]
    if request.options:
        body["options"] = dict(request.options)
    for key in ("format", "think", "keep_alive"):
        value = getattr(request, key)
        if value is not None:
            body[key] = value
    if not request.truncate:
        body["truncate"] = False
    return body


class LineError(Exception):
    """A line with an `error` key: the server gave up mid-stream."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class NotChat(Exception):
    """A JSON value that is not a chat object."""


_STAT_FIELDS = ("eval_count", "eval_duration", "prompt_eval_count", "prompt_eval_duration", "load_duration", "total_duration")


def stats_from(obj: dict[str, Any]) -> Stats:
    return Stats(done_reason=str(obj.get("done_reason") or ""), **{k: count(obj.get(k)) for k in _STAT_FIELDS})


def event_from(obj: object) -> ChatEvent:
    """A decoded chat object (a stream line, or the whole non-streamed reply) as a ChatEvent."""
    if not isinstance(obj, dict):
        raise NotChat()
    if "error" in obj:
        raise LineError(shorten(str(obj["error"])))
    message = obj.get("message")
    if not isinstance(message, dict):
        if "done" not in obj:
            raise NotChat()
        message = {}
    content = message.get("content") or ""
    thinking = message.get("thinking") or ""
    stats = stats_from(obj) if obj.get("done") else None
    calls = tool_calls_from(message.get("tool_calls"))
    return ChatEvent(content=server_text(content), thinking=server_text(thinking), stats=stats, tool_calls=calls)


def tool_calls_from(value: object) -> tuple[ToolCall, ...]:
    """`message.tool_calls`: whole calls, `[{"id": "call_…", "function": {"index", "name", "arguments": {…}}}]`
    (no `id` before Ollama 0.12.x). Their IDs as sent (maybe ""): the stream makes them unique. BadToolCall
    for another shape, or for more than MAX_CALLS."""
    calls = []
    for item in call_list(value, _not_calls):
        function = item.get("function") if isinstance(item, dict) else None
        if not isinstance(function, dict):
            raise _not_calls()
        calls.append(call_from(item.get("id"), function.get("name"), function.get("arguments")))
    return tuple(calls)


def _not_calls() -> BadToolCall:
    return BadToolCall(_("the server sent tool calls that are not in Ollama's shape"))


def error_text(body: bytes) -> str | None:
    """Ollama's `{"error": ...}` text, or None when the body is something else."""
    try:
        obj = decode_json(body)
    except ValueError:
        return None
    if not isinstance(obj, dict) or "error" not in obj:
        return None
    error = obj["error"]
    if isinstance(error, dict):  # OpenAI's shape: this is an OpenAI-compatible server, not Ollama
        return None
    return str(error)
