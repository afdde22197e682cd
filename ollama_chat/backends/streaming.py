"""Reading a streamed `requests` response, whatever its format (NDJSON for Ollama, SSE for OpenAI): the raw
pieces as they arrive, in bounded reads, with network failures turned into plain exceptions that each backend
words for the user (told apart by exception type, never by an error's text); the lines in them, split by one
bounded splitter; a whole answer, read within a limit.

Lines are split on bytes (not decoded text), so a multi-byte character cut across two reads is never decoded
in halves. A line may not grow past its limit (a server that never ends a line would otherwise grow memory
without limit), and the work per read does not grow with the reply."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ollama_chat.backends.base import IncompleteReply
from ollama_chat.backends.network import causes
from ollama_chat.backends.deadline import Stall, deadline_of
from ollama_chat.i18n import N_, _, ngettext
from ollama_chat.types import ChatEvent

READ_SIZE = 64 * 1024  # decompressed bytes a read of a compressed stream may return
MAX_LINE = 8 * 1024 * 1024  # one streamed piece of a reply is a few hundred bytes; a whole non-streamed reply fits


class BadStream(Exception):
    """The stream is not what was expected; `what` says how, in words for the user."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class StreamCut(Exception):
    """The connection failed while the stream was being read; `what` says how."""

    def __init__(self, what: str | None = None) -> None:
        what = _("the connection was cut") if what is None else what
        super().__init__(what)
        self.what = what


class StreamTimeout(Exception):
    """The deadline passed (`deadline`): `stall` says what the server sent meanwhile, as far as the reader
    knows it (the parsers above it say more)."""

    def __init__(self, stall: Stall = Stall.NOTHING) -> None:
        super().__init__(stall.value)
        self.stall = stall


def read_size(response: Any) -> int | None:
    """How much to read at a time. We ask for no compression (Accept-Encoding: identity), and read a plain
    stream as it arrives; a server that compresses anyway is read in bounded pieces, so a small compressed
    "bomb" cannot burst into gigabytes at once."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    return None if encoding in ("", "identity") else READ_SIZE


def read_chunks(response: Any, size: int | None = None) -> Iterator[bytes]:
    """The body of a streamed response, piece by piece as it arrives (at most `size` bytes a piece, else as
    `read_size` says). Network failures raise StreamCut, and StreamTimeout when the response's deadline
    passed (its connection was shut down: whatever the read then says, even a clean end, is that)."""
    import requests
    import urllib3.exceptions

    deadline = deadline_of(response)
    try:
        yield from response.iter_content(chunk_size=size or read_size(response))
    except requests.exceptions.Timeout:
        raise StreamTimeout() from None
    except requests.exceptions.RequestException as e:  # ChunkedEncodingError and its kin
        if deadline is not None and deadline.fired:
            raise StreamTimeout() from None
        if isinstance(e, requests.exceptions.ContentDecodingError):
            raise StreamCut(_("the server's compressed stream is corrupt")) from None
        if any(isinstance(c, urllib3.exceptions.TimeoutError) for c in causes(e)):  # requests wraps a read timeout
            raise StreamTimeout() from None
        raise StreamCut() from None
    if deadline is not None and deadline.fired:
        raise StreamTimeout()


class LineSplitter:
    """Reassembles complete lines from network reads of any size. Keeps only the unfinished tail, and refuses
    to let a line grow past `limit` bytes (BadStream, worded by `too_long` with `{size}` in MiB). Lines end with
    LF (NDJSON); with `any_end`, with CRLF, LF or CR, as SSE's do (a CRLF may be split across two reads)."""

    def __init__(self, limit: int = MAX_LINE, *, any_end: bool = False,
                 too_long: str = N_("the server sent a line longer than {size} MiB")) -> None:
        self._tail: list[bytes] = []
        self.size = 0  # bytes of the unfinished line
        self._limit = limit
        self._any_end = any_end
        self._skip_lf = False  # the last read ended in CR: a LF at the start of the next one is that line's end
        self._too_long = too_long

    def feed(self, data: bytes) -> list[bytes]:
        if self._any_end and data:
            if self._skip_lf:
                self._skip_lf = False
                if data[:1] == b"\n":
                    data = data[1:]
            if b"\r" in data:
                self._skip_lf = data.endswith(b"\r")
                data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in data:
            if data:
                self._tail.append(data)
                self.size += len(data)
                self._check(self.size)
            return []
        self._tail.append(data)
        lines = b"".join(self._tail).split(b"\n")
        last = lines.pop()
        self._tail, self.size = [last], len(last)
        for line in (*lines, last):
            self._check(len(line))
        return lines

    def _check(self, size: int) -> None:
        if size > self._limit:
            raise BadStream(_(self._too_long).format(size=self._limit // (1024 * 1024)))

    @property
    def pending(self) -> bool:
        """Part of a line has arrived, not its end."""
        return self.size > 0

    def flush(self) -> bytes:
        """What is left once the connection ends: an unterminated last line, or b""."""
        tail, self._tail, self.size = b"".join(self._tail), [], 0
        return tail


class TooLarge(BadStream):
    def __init__(self, limit: int) -> None:
        super().__init__(_("the answer is larger than {size} MiB").format(size=limit // (1024 * 1024) or 1))
        self.limit = limit


def read_body(response: Any, limit: int, *, head: bool = False) -> bytes:
    """A whole (non-streamed) answer, read in bounded pieces up to `limit` bytes after decompression: TooLarge
    past it (the connection is then closed), or with `head` its first `limit` bytes; StreamCut or
    StreamTimeout (Stall.ANSWER: its headers came, its body did not in time) when the network fails."""
    parts, size = [], 0
    try:
        for data in read_chunks(response, min(READ_SIZE, limit + 1)):
            parts.append(data)
            size += len(data)
            if size > limit:
                response.close()
                if head:
                    return b"".join(parts)[:limit]
                raise TooLarge(limit)
    except StreamTimeout:
        raise StreamTimeout(Stall.ANSWER) from None
    finally:
        deadline = deadline_of(response)
        if deadline is not None:
            deadline.done()
    return b"".join(parts)


def decode_json(data: bytes | str) -> Any:
    """JSON, with a nesting too deep to parse treated as malformed (not a RecursionError). ValueError."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def close_response(response: Any) -> None:
    """Drop a streamed response's connection (the server stops) and its deadline."""
    response.close()
    deadline = deadline_of(response)
    if deadline is not None:
        deadline.done()


class OneReply:
    """A non-streamed reply (`stream: false`) as a one-event stream."""

    def __init__(self, event: ChatEvent) -> None:
        self._event = event

    def __iter__(self) -> Iterator[ChatEvent]:
        yield self._event

    def close(self) -> None:
        pass


def incomplete_reply(model: str, received: int, what: str, hint: str) -> IncompleteReply:
    """A reply that broke off: how much of it had arrived (it stays on screen and in the log), and why."""
    if received:
        message = ngettext("The reply from {model} is incomplete after {n} character: {what}.",
                           "The reply from {model} is incomplete after {n} characters: {what}.", received)
    else:
        message = _("The reply from {model} is incomplete: {what}.")
    return IncompleteReply(message.format(model=model, n=f"{received:,}", what=what), hint)
