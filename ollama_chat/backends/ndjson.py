"""Streamed JSON lines (NDJSON, as Ollama streams): the values of a `requests` response, one per line, split
by `streaming.LineSplitter` and decoded line by line, with network failures turned into plain exceptions the
backend words for the user (by `streaming.read_chunks`). Pure apart from reading."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ollama_chat.backends.deadline import Stall
from ollama_chat.backends.streaming import (MAX_LINE, BadStream, LineSplitter, StreamCut, StreamTimeout, decode_json,
                                            read_chunks)
from ollama_chat.i18n import _


class NotJSONLine(BadStream):
    def __init__(self, line: bytes) -> None:
        super().__init__(_("the server sent a line that is not JSON"))
        self.line = line


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
