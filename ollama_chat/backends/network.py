"""Telling network failures apart: by the exception types and errno values an error wraps, never by matching
its English text (as httpie does)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

from ollama_chat.i18n import _


def _errno_reasons() -> dict[int, str]:
    """Reasons by errno, in the interface's language (built when asked, after the language is chosen)."""
    return {
        errno.ECONNREFUSED: _("connection refused"),
        errno.ECONNRESET: _("the connection was reset"),
        errno.EHOSTUNREACH: _("no route to host"),
        errno.ENETUNREACH: _("network unreachable"),
        errno.ETIMEDOUT: _("the connection timed out"),
        errno.EADDRNOTAVAIL: _("address not available"),
    }


def causes(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps: __cause__, __context__, and the `reason`/first argument that
    requests and urllib3 use to carry the underlying error."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for inner in (e.__cause__, e.__context__, getattr(e, "reason", None), *(e.args[:1] if e.args else ())):
            if isinstance(inner, BaseException):
                todo.append(inner)


def network_reason(error: BaseException) -> str:
    """A short reason for a failed connection, from the exception types and errno values it wraps."""
    import http.client

    reasons = _errno_reasons()
    for e in causes(error):
        if isinstance(e, socket.gaierror):
            if e.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -2)):
                return _("unknown host name")
            return _("host name lookup failed")
        if isinstance(e, OSError) and e.errno in reasons:
            return reasons[e.errno]
        if isinstance(e, http.client.RemoteDisconnected):
            return _("the server closed the connection")
        if type(e).__name__ == "NameResolutionError":  # urllib3 2: wraps gaierror, found above when present
            return _("host name lookup failed")
    return _("connection failed")


def not_http(error: BaseException) -> bool:
    """Something answered, but not in HTTP: no status line http.client could read (`HELLO`, a TLS alert, binary),
    or headers past its limits. Told by exception type; a server that closed without a word is not this."""
    import http.client

    for e in causes(error):
        if isinstance(e, http.client.RemoteDisconnected):
            return False
        if isinstance(e, (http.client.BadStatusLine, http.client.LineTooLong, http.client.UnknownProtocol)):
            return True
    return False
