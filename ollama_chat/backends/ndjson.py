"""Streamed JSON lines (NDJSON) from a `requests` response: split on bytes, decoded per line, bounded, with
network failures turned into plain exceptions the backend words for the user (by `streaming.read_chunks`).
Pure apart from reading.

Splitting on bytes (not decoded text) means a multi-byte character cut across two reads is never decoded
in halves. A line may not grow past MAX_LINE bytes (a server that never ends a line would otherwise grow
memory without limit), and the work per read does not grow with the reply.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ollama_chat.backends.deadline import Stall
from ollama_chat.backends.streaming import BadStream, StreamCut, StreamTimeout, decode_json, read_chunks, read_size
from ollama_chat.i18n import _

# Ollama's backend imports the stream's failures and helpers from here, where they first lived.
__all__ = ["MAX_LINE", "BadStream", "LineSplitter", "NotJSONLine", "StreamCut", "StreamTimeout", "decode_json", "decode_line",
           "json_lines", "read_size"]

MAX_LINE = 8 * 1024 * 1024  # one streamed piece of a reply is a few hundred bytes; a whole non-streamed reply fits


class NotJSONLine(BadStream):
    def __init__(self, line: bytes) -> None:
        super().__init__(_("the server sent a line that is not JSON"))
        self.line = line


class LineSplitter:
    """Reassembles complete lines from network reads of any size. Keeps only the unfinished tail, and refuses
    to let it grow past `limit` bytes."""

    def __init__(self, limit: int = MAX_LINE) -> None:
        self._tail: list[bytes] = []
        self._size = 0
        self._limit = limit

    def feed(self, data: bytes) -> list[bytes]:
        if b"\n" not in data:
            if data:
                self._tail.append(data)
                self._size += len(data)
                self._check(self._size)
            return []
        self._tail.append(data)
        lines = b"".join(self._tail).split(b"\n")
        last = lines.pop()
        self._tail, self._size = [last], len(last)
        for line in (*lines, last):
            self._check(len(line))
        return lines

    def _check(self, size: int) -> None:
        if size > self._limit:
            raise BadStream(_("the server sent a line longer than {size} MiB").format(size=self._limit // (1024 * 1024)))

    @property
    def pending(self) -> bool:
        """Part of a line has arrived, not its end."""
        return self._size > 0

    def flush(self) -> bytes:
        """What is left once the connection ends: an unterminated last line, or b""."""
        tail, self._tail, self._size = b"".join(self._tail), [], 0
        return tail


def decode_line(line: bytes) -> Any:
    """One line as a JSON value; None for a blank line (keep-alive whitespace)."""
    line = line.strip()
    if not line:
        return None
    try:
        return decode_json(line)
    except ValueError:
        raise NotJSONLine(line) from None


def json_lines(response: Any, limit: int = MAX_LINE) -> Iterator[Any]:
    """The JSON values of a streamed response, one per line, as they arrive. Network failures raise
    StreamCut or StreamTimeout (saying whether part of a line, or only blank lines, came since the last
    value); a stream that is not JSON lines raises BadStream."""
    splitter = LineSplitter(limit)
    blank = False  # a blank line (a keep-alive) came since the last value
    try:
        for data in read_chunks(response):
            for line in splitter.feed(data):
                value = decode_line(line)
                if value is None:
                    blank = True
                    continue
                blank = False
                yield value
    except StreamTimeout as e:
        if e.stall is Stall.NOTHING and (splitter.pending or blank):
            raise StreamTimeout(Stall.TRICKLE if splitter.pending else Stall.EMPTY) from None
        raise
    tail = splitter.flush()
    if tail.strip():
        try:
            value = decode_json(tail)
        except ValueError:  # the connection ended in the middle of a line
            raise StreamCut(_("the stream ended in the middle of a line")) from None
        yield value
