"""Streamed JSON lines (NDJSON) from a `requests` response: split on bytes, decoded per line, with network
failures turned into two plain exceptions the backend words for the user. Pure apart from reading.

Splitting on bytes (not decoded text) means a multi-byte character cut across two reads is never decoded
in halves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ollama_chat.backends.base import causes


class NotJSONLine(Exception):
    """A line that is not JSON: whatever answered does not speak NDJSON."""

    def __init__(self, line: bytes) -> None:
        super().__init__(line[:80])
        self.line = line


class StreamCut(Exception):
    """The connection failed while the stream was being read."""


class StreamTimeout(Exception):
    """Nothing arrived for longer than the read timeout."""


class LineSplitter:
    """Reassembles complete lines from network reads of any size. Keeps only the unfinished tail."""

    def __init__(self) -> None:
        self._tail: list[bytes] = []

    def feed(self, data: bytes) -> list[bytes]:
        if b"\n" not in data:
            if data:
                self._tail.append(data)
            return []
        self._tail.append(data)
        lines = b"".join(self._tail).split(b"\n")
        self._tail = [lines.pop()]
        return lines

    def flush(self) -> bytes:
        """What is left once the connection ends: an unterminated last line, or b""."""
        tail, self._tail = b"".join(self._tail), []
        return tail


def decode_line(line: bytes) -> Any:
    """One line as a JSON value; None for a blank line (keep-alive whitespace)."""
    line = line.strip()
    if not line:
        return None
    try:
        return json.loads(line)
    except ValueError:
        raise NotJSONLine(line) from None


def json_lines(response: Any) -> Iterator[Any]:
    """The JSON values of a streamed response, one per line, as they arrive; the unterminated last line
    too. Network failures raise StreamCut or StreamTimeout."""
    import requests
    import urllib3.exceptions

    splitter = LineSplitter()
    try:
        for data in response.iter_content(chunk_size=None):
            for line in splitter.feed(data):
                value = decode_line(line)
                if value is not None:
                    yield value
    except requests.exceptions.Timeout:
        raise StreamTimeout() from None
    except requests.exceptions.ConnectionError as e:  # requests wraps urllib3's read timeout in this
        if any(isinstance(c, urllib3.exceptions.TimeoutError) for c in causes(e)):
            raise StreamTimeout() from None
        raise StreamCut() from None
    except requests.exceptions.RequestException:  # ChunkedEncodingError, ContentDecodingError, ...
        raise StreamCut() from None
    value = decode_line(splitter.flush())
    if value is not None:
        yield value

