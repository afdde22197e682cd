"""Server-Sent Events (the `text/event-stream` format OpenAI-compatible servers stream in), parsed as the
HTML standard says: feed bytes as they arrive, get whole events. Pure apart from `sse_events`, which reads a
`requests` response with the network failures of `streaming.read_chunks`.

Lines end with CRLF, LF or CR (a CRLF may be split across two reads); `streaming.LineSplitter` splits them,
on bytes, and each is decoded alone, so a character cut across two reads is never decoded in halves. `data:`
lines are joined with newlines; a blank line ends the event; `:` starts a comment (keep-alives); `event:`
names the event; other fields are ignored. At the end of the stream an event whose blank line never came is still
delivered (some servers leave it out), marked `complete=False` if its last line was cut off mid-way. The
unfinished line and event may not grow past `limit` bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ollama_chat.backends.deadline import Stall
from ollama_chat.backends.streaming import MAX_LINE, BadStream, LineSplitter, StreamTimeout, read_chunks
from ollama_chat.i18n import N_, _

_TOO_LONG = N_("the server sent an event longer than {size} MiB")


@dataclass(frozen=True)
class SSEEvent:
    data: str
    event: str = "message"
    id: str = ""  # the last event ID seen, as the standard keeps it
    complete: bool = True  # False: the stream ended in the middle of this event's last line


class SSEParser:
    """An incremental SSE parser: `feed(bytes) -> [events]` for each read, `finish() -> [events]` at the end."""

    def __init__(self, limit: int = MAX_LINE) -> None:
        self._limit = limit
        self._lines = LineSplitter(limit, any_end=True, too_long=_TOO_LONG)
        self._first_line = True
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._id = ""
        self.comments = 0  # comment lines (keep-alives) since the last event

    @property
    def pending(self) -> bool:
        """Part of an event has arrived, not its end."""
        return bool(self._lines.pending or self._data)

    def feed(self, data: bytes) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        for line in self._lines.feed(data):
            self._check(len(line))
            self._line(line, events)
        if self._lines.pending:
            self._check(self._lines.size)
        return events

    def finish(self) -> list[SSEEvent]:
        """The stream has ended: an unterminated last line is read as a line, and an event still open is
        delivered (with `complete=False` when that line was cut off)."""
        events: list[SSEEvent] = []
        line = self._lines.flush()
        if line:
            self._line(line, events)
        self._dispatch(events, complete=not line)
        return events

    def _check(self, size: int) -> None:
        """A line, with the event's data before it, within the limit."""
        if size + self._data_size > self._limit:
            raise BadStream(_(_TOO_LONG).format(size=self._limit // (1024 * 1024)))

    def _line(self, raw: bytes, events: list[SSEEvent]) -> None:
        line = raw.decode("utf-8", "replace")
        if self._first_line:
            self._first_line = False
            line = line.removeprefix("\ufeff")
        if not line:
            self._dispatch(events)
            return
        if line.startswith(":"):  # a comment: a keep-alive, or a server's note
            self.comments += 1
            return
        field, _sep, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            self._data.append(value)
            self._data_size += len(raw) + 1
        elif field == "event":
            self._event = value
        elif field == "id" and "\0" not in value:
            self._id = value
        # `retry` and unknown fields: ignored, as the standard says

    def _dispatch(self, events: list[SSEEvent], complete: bool = True) -> None:
        if self._data:
            events.append(SSEEvent("\n".join(self._data), self._event or "message", self._id, complete))
            self.comments = 0
        self._data, self._data_size, self._event = [], 0, ""


def sse_events(response: Any, limit: int = MAX_LINE) -> Iterator[SSEEvent]:
    """The events of a streamed response as they arrive. Network failures raise StreamCut or StreamTimeout
    (from `streaming`; saying whether part of an event, or only comments, came since the last event); an
    event over `limit` bytes raises BadStream."""
    parser = SSEParser(limit)
    try:
        for data in read_chunks(response):
            yield from parser.feed(data)
    except StreamTimeout as e:
        if e.stall is Stall.NOTHING and (parser.pending or parser.comments):
            raise StreamTimeout(Stall.TRICKLE if parser.pending else Stall.COMMENTS) from None
        raise
    yield from parser.finish()
