"""Ollama's chat API (/api/chat), both ways, and its error answers. Pure: our typed values in, JSON-ready dicts
out; decoded JSON in, typed values out. (The model endpoints are `ollama_models`.)"""

from __future__ import annotations

from typing import Any

from ollama_chat.backends.base import count, server_text, shorten
from ollama_chat.backends.streaming import decode_json
from ollama_chat.types import ChatEvent, ChatRequest, Message, Stats


def wire_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.images:
        out["images"] = list(message.images)
    if message.tool_calls:
        out["tool_calls"] = [dict(call) for call in message.tool_calls]
    return out


def request_body(request: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [wire_message(m) for m in request.messages],
        "stream": request.stream,
    }
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
    return ChatEvent(content=server_text(content), thinking=server_text(thinking), stats=stats)


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
