"""Streamed JSON lines (NDJSON) from a `requests` response: split on bytes, decoded per line, bounded, with
network failures turned into plain exceptions the backend words for the user. Pure apart from reading.

Splitting on bytes (not decoded text) means a multi-byte character cut across two reads is never decoded
in halves. A line may not grow past MAX_LINE bytes (a server that never ends a line would otherwise grow
memory without limit), and the work per read does not grow with the reply.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ollama_chat.backends.base import causes
from ollama_chat.i18n import _

READ_SIZE = 64 * 1024  # decompressed bytes a read of a compressed stream may return
MAX_LINE = 8 * 1024 * 1024  # one streamed piece of a reply is a few hundred bytes; a whole non-streamed reply fits


class BadStream(Exception):
    """The stream is not what was expected; `what` says how, in words for the user."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class NotJSONLine(BadStream):
    def __init__(self, line: bytes) -> None:
        super().__init__(_("the server sent a line that is not JSON"))
        self.line = line


class StreamCut(Exception):
    """The connection failed while the stream was being read; `what` says how."""

    def __init__(self, what: str | None = None) -> None:
        what = _("the connection was cut") if what is None else what
        super().__init__(what)
        self.what = what


class StreamTimeout(Exception):
    """Nothing arrived for longer than the read timeout."""


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

    def flush(self) -> bytes:
        """What is left once the connection ends: an unterminated last line, or b""."""
        tail, self._tail, self._size = b"".join(self._tail), [], 0
        return tail


def read_size(response: Any) -> int | None:
    """How much to read at a time. We ask for no compression (Accept-Encoding: identity), and read a plain
    stream as it arrives; a server that compresses anyway is read in bounded pieces, so a small compressed
    "bomb" cannot burst into gigabytes at once."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    return None if encoding in ("", "identity") else READ_SIZE


def decode_json(data: bytes | str) -> Any:
    """JSON, with a nesting too deep to parse treated as malformed (not a RecursionError). ValueError."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


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
    StreamCut or StreamTimeout; a stream that is not JSON lines raises BadStream."""
    import requests
    import urllib3.exceptions

    splitter = LineSplitter(limit)
    try:
        for data in response.iter_content(chunk_size=read_size(response)):
            for line in splitter.feed(data):
                value = decode_line(line)
                if value is not None:
                    yield value
    except requests.exceptions.Timeout:
        raise StreamTimeout() from None
    except requests.exceptions.ContentDecodingError:
        raise StreamCut(_("the server's compressed stream is corrupt")) from None
    except requests.exceptions.ConnectionError as e:  # requests wraps urllib3's read timeout in this
        if any(isinstance(c, urllib3.exceptions.TimeoutError) for c in causes(e)):
            raise StreamTimeout() from None
        raise StreamCut() from None
    except requests.exceptions.RequestException:  # ChunkedEncodingError and its kin
        raise StreamCut() from None
    tail = splitter.flush()
    if tail.strip():
        try:
            value = decode_json(tail)
        except ValueError:  # the connection ended in the middle of a line
            raise StreamCut(_("the stream ended in the middle of a line")) from None
        yield value
