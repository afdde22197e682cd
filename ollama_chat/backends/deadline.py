"""`--timeout` as one deadline over a request, not a limit per network read: a server that trickles a byte a
second, trickles its headers, or sends keep-alives forever would reset a per-read timeout each time and hang
the chat. Only real progress pushes the deadline on: the headers once, then each piece of the reply (content,
thinking, the end) or each line of a pull's progress; never bytes or keep-alives.

One watchdog thread keeps every armed deadline. When one passes it shuts the connection's socket down
(the connection is recorded as its response is awaited, so this works before the headers too, for http and
https); the blocked read then fails, and the backend words it as a `ReadTimeout` saying what the server did:
`Stall` below. While a reply's reader hands a piece to the screen the deadline is held (`hold`), so a slow
consumer (a paused terminal, a pipe into a pager) is never taken for a slow server.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from time import monotonic
from typing import Any

from ollama_chat.backends.base import ReadTimeout
from ollama_chat.i18n import _

INF = float("inf")


class Stall(Enum):
    """What the server did until the deadline passed."""

    NOTHING = "nothing"  # sent nothing at all (a model loading, a server hung)
    HEADERS = "headers"  # began its headers and did not finish them
    ANSWER = "answer"  # sent the headers of a whole (non-streamed) answer, and not all of its body
    TRICKLE = "trickle"  # sent bytes of a reply, never a whole piece of it
    COMMENTS = "comments"  # sent only SSE keep-alive comments (or events with nothing in them)
    EMPTY = "empty"  # sent only empty lines (or lines with nothing in them)


class Deadline:
    """One request's deadline: `expires` (time.monotonic) moves on with each real piece of progress."""

    __slots__ = ("timeout", "expires", "fired", "_conn", "__weakref__")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.expires = monotonic() + timeout
        self.fired = False  # the watchdog shut the connection down
        self._conn: Any = None

    def push(self) -> None:
        """Progress: the server has the whole timeout again. (An attribute write: it runs once per piece.)"""
        self.expires = monotonic() + self.timeout

    def hold(self) -> None:
        """The reader is busy with what arrived (drawing it), not waiting on the server: no deadline until the
        next `push`."""
        self.expires = INF

    def watch(self, connection: Any) -> None:
        """Called as `connection` (a urllib3 connection, its socket open) awaits the response: from now on
        passing the deadline shuts its socket down."""
        self._conn = connection
        connection.deadline = self
        _WATCHDOG.arm(self)

    def done(self) -> None:
        """The answer is read (or given up): the connection may carry other requests now; never touch it."""
        _WATCHDOG.disarm(self)
        self._conn = None

    def _fire(self) -> None:
        self.fired = True
        conn = self._conn
        if conn is None or getattr(conn, "deadline", None) is not self:  # back in the pool, serving another
            return
        sock = getattr(conn, "sock", None)
        if sock is not None:
            try:  # the plain socket's shutdown, also for TLS: the reader then sees the end of the stream
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass


class _Watchdog:
    """One thread for every armed deadline. A `push` does not wake it: it wakes at the earliest expiry it
    knows, finds it moved on, and sleeps again; a held deadline is looked at again after its timeout, which is
    never late (a push after that look expires a whole timeout after it)."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._armed: set[Deadline] = set()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: Deadline) -> None:
        with self._changed:
            self._armed.add(deadline)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ollama-chat-deadline", daemon=True)
                self._thread.start()
            self._changed.notify()

    def disarm(self, deadline: Deadline) -> None:
        with self._changed:
            self._armed.discard(deadline)

    def _run(self) -> None:
        with self._changed:
            while True:
                now = monotonic()
                wake = INF
                for deadline in list(self._armed):
                    expires = deadline.expires
                    if expires <= now:
                        self._armed.discard(deadline)
                        deadline._fire()
                    else:
                        wake = min(wake, expires if expires != INF else now + deadline.timeout)
                self._changed.wait(None if wake == INF else wake - now)


_WATCHDOG = _Watchdog()
_current = threading.local()


@contextmanager
def awaiting(deadline: Deadline) -> Iterator[Deadline]:
    """While a request is sent and its response awaited in this thread, the connection that carries it is
    put under `deadline` (by `http.WatchedConnection`)."""
    _current.deadline = deadline
    try:
        yield deadline
    finally:
        _current.deadline = None


def current() -> Deadline | None:
    return getattr(_current, "deadline", None)


def deadline_of(response: Any) -> Deadline | None:
    """The deadline a backend put a response under (None for one made otherwise, as in tests)."""
    return getattr(response, "deadline", None)


def stall_error(stall: Stall, server: str, seconds: float) -> ReadTimeout:
    """The timeout as the user reads it. `server` says who: "Ollama at HOST", "The server at HOST". How to
    wait longer is the surface's to say (`wording`)."""
    n = f"{seconds:g}"
    if stall is Stall.NOTHING:
        message = _("{server} sent nothing for {seconds} s.")
    elif stall is Stall.HEADERS:
        message = _("{server} sent its headers too slowly: they were not complete after {seconds} s.")
    elif stall is Stall.ANSWER:
        message = _("{server} sent its answer too slowly: it was not complete after {seconds} s.")
    elif stall is Stall.TRICKLE:
        message = _("{server} sent the reply too slowly: a few bytes, but no whole piece of it for {seconds} s.")
    elif stall is Stall.COMMENTS:
        message = _("{server} kept the connection open but sent no part of the reply for {seconds} s "
                    "(only keep-alive comments).")
    else:
        message = _("{server} kept the connection open but sent no part of the reply for {seconds} s "
                    "(only empty lines).")
    return ReadTimeout(message.format(server=server, seconds=n), seconds=seconds, silent=stall is Stall.NOTHING)
