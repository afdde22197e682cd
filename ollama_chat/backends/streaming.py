"""Reading a streamed `requests` response, whatever its format (NDJSON for Ollama, SSE for OpenAI): the raw
pieces as they arrive, in bounded reads, with network failures turned into plain exceptions that each backend
words for the user. Told apart by exception type, never by an error's text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ollama_chat.backends.base import IncompleteReply, causes
from ollama_chat.backends.deadline import Stall, deadline_of
from ollama_chat.i18n import _, ngettext
from ollama_chat.types import ChatEvent

READ_SIZE = 64 * 1024  # decompressed bytes a read of a compressed stream may return


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
