"""Ollama's NDJSON chat stream as typed pieces. Pure: bytes in, dataclasses out, no I/O.

The client feeds network reads to `LineSplitter` and each complete line to `parse_chat_line`. Splitting on
bytes (not decoded text) means a multi-byte character cut across two reads is never decoded in halves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Stats:
    """The metrics of the final chunk. Durations are nanoseconds, as Ollama sends them; absent means 0."""

    done_reason: str = ""
    eval_count: int = 0
    eval_duration: int = 0
    prompt_eval_count: int = 0
    prompt_eval_duration: int = 0
    load_duration: int = 0
    total_duration: int = 0

    @property
    def tokens_per_second(self) -> float | None:
        if not self.eval_count or not self.eval_duration:
            return None
        return self.eval_count / self.eval_duration * 1e9

    @property
    def cut_by_length(self) -> bool:
        return self.done_reason == "length"


@dataclass(frozen=True)
class ChatChunk:
    """One line of the stream: a content delta, a thinking delta, or (with `stats`) the final line."""

    content: str = ""
    thinking: str = ""
    stats: Stats | None = None

    @property
    def done(self) -> bool:
        return self.stats is not None


class StreamLineError(Exception):
    """A line with an `error` key: the server gave up mid-stream."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class NotNDJSON(Exception):
    """A line that is not a JSON object: whatever answered is not Ollama."""

    def __init__(self, line: bytes) -> None:
        super().__init__(line[:80])
        self.line = line


_STAT_FIELDS = ("eval_count", "eval_duration", "prompt_eval_count", "prompt_eval_duration", "load_duration", "total_duration")


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def stats_from(obj: dict) -> Stats:
    return Stats(done_reason=str(obj.get("done_reason") or ""), **{k: _int(obj.get(k)) for k in _STAT_FIELDS})


def chunk_from(obj: object) -> ChatChunk:
    """A decoded chat object (stream line or the whole non-streamed reply) as a ChatChunk."""
    if not isinstance(obj, dict):
        raise NotNDJSON(json.dumps(obj).encode()[:80])
    if "error" in obj:
        raise StreamLineError(str(obj["error"]))
    message = obj.get("message")
    if not isinstance(message, dict):
        if "done" not in obj:
            raise NotNDJSON(json.dumps(obj, ensure_ascii=False).encode()[:80])
        message = {}
    content = message.get("content") or ""
    thinking = message.get("thinking") or ""
    stats = stats_from(obj) if obj.get("done") else None
    return ChatChunk(content=str(content), thinking=str(thinking), stats=stats)


def parse_chat_line(line: bytes) -> ChatChunk | None:
    """One NDJSON line as a ChatChunk; None for a blank line (keep-alive whitespace)."""
    line = line.strip()
    if not line:
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        raise NotNDJSON(line) from None
    return chunk_from(obj)


class LineSplitter:
    """Reassembles complete lines from network reads of any size. Keeps only the unfinished tail."""

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, data: bytes) -> list[bytes]:
        if b"\n" not in data:
            self._tail += data
            return []
        lines = (self._tail + data).split(b"\n")
        self._tail = lines.pop()
        return lines

    def flush(self) -> bytes:
        """What is left once the connection ends: an unterminated last line, or b""."""
        tail, self._tail = self._tail, b""
        return tail
