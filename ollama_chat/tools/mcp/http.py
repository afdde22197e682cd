"""The streamable HTTP transport: each JSON-RPC message is one POST to the server's endpoint, with
`Accept: application/json, text/event-stream`; the answer is one JSON object or an SSE stream (read with our SSE
parser) carrying notifications, then the response. Legacy servers may assign an `Mcp-Session-Id`, which we send
back, and end with a DELETE; the modern revision has no sessions but wants `MCP-Protocol-Version`, `Mcp-Method`,
`Mcp-Name` (and `Mcp-Param-*`) on every POST. Cancelling (Ctrl+C, a timeout) closes the stream, which is the
modern signal, and a legacy server is also sent `notifications/cancelled`. Redirects are not followed (a
header with a key must not go to another host): the message says where to point the configuration.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ollama_chat.i18n import _
import ollama_chat.tools.mcp.jsonrpc as jsonrpc
from ollama_chat.tools.mcp.content import one_line
from ollama_chat.tools.mcp.logfile import ServerLog
from ollama_chat.tools.mcp.wire import request_headers

CONNECT_TIMEOUT = 10.0
MAX_BODY = 32 * 1024 * 1024
MODERN = "modern"
LEGACY = "legacy"


class HttpStatusError(jsonrpc.TransportFailure):
    """An HTTP error status without a JSON-RPC error in its body."""

    def __init__(self, status: int, what: str) -> None:
        super().__init__(what)
        self.status = status


class SessionExpired(jsonrpc.TransportFailure):
    """404 to a request carrying our legacy session id: the spec says to start a new session."""


def _causes(error: BaseException) -> list[BaseException]:
    """`error` and what it wraps (requests and urllib3 nest their exceptions in args, reason and __cause__)."""
    seen: list[BaseException] = []
    stack = [error]
    while stack:
        e = stack.pop()
        if any(e is s for s in seen):
            continue
        seen.append(e)
        stack.extend(x for x in (e.__cause__, e.__context__, getattr(e, "reason", None)) if isinstance(x, BaseException))
        stack.extend(a for a in e.args if isinstance(a, BaseException))
    return seen


def _caused_by(error: BaseException, kind: type) -> bool:
    return any(isinstance(e, kind) for e in _causes(error))


def _reason(error: BaseException) -> str:
    """A network failure in a few words, told apart by type and errno, never by message text."""
    for e in _causes(error):
        if isinstance(e, socket.gaierror):
            return _("the host name was not found")
        if isinstance(e, OSError) and e.errno == errno.ECONNREFUSED:
            return _("connection refused (is the server running?)")
        if isinstance(e, OSError) and e.errno == errno.ECONNRESET:
            return _("the connection was reset")
        if isinstance(e, OSError) and e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return _("the host cannot be reached")
        if isinstance(e, OSError) and e.errno == errno.ETIMEDOUT:
            return _("the connection timed out")
    return _("the connection failed")


class HttpTransport:
    kind = "http"

    def __init__(self, url: str, headers: Mapping[str, str], log: ServerLog,
                 on_notification: Callable[[jsonrpc.Notification], None]) -> None:
        self.url = url
        self.headers = dict(headers)
        self.log = log
        self.on_notification = on_notification
        self.era = ""
        self.version = ""
        self.session_id: str | None = None
        self._http: Any = None
        self._next_id = 0
        self._closed = False

    def start(self) -> None:
        import requests

        self._http = requests.Session()
        self.log.note(f"connecting to {self.url}")

    @property
    def alive(self) -> bool:
        return self._http is not None and not self._closed

    @property
    def failure(self) -> str:
        return _("it was stopped") if self._closed else ""

    def close(self) -> None:
        if self._http is None or self._closed:
            return
        self._closed = True
        if self.era == LEGACY and self.session_id:
            with contextlib.suppress(Exception):
                self._http.delete(self.url, headers=self._base_headers(""), timeout=2, allow_redirects=False).close()
        self._http.close()
        self.log.note("closed")

    # -- sending ----------------------------------------------------------------------------------------------

    def _base_headers(self, method: str) -> dict[str, str]:
        headers = {**self.headers, "Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        if self.version and method != "initialize":
            headers["MCP-Protocol-Version"] = self.version
        if self.session_id and self.era == LEGACY:
            headers["Mcp-Session-Id"] = self.session_id
        return headers

    def _post(self, message: Mapping[str, Any], extra: Mapping[str, str], timeout: float, stream: bool = True) -> Any:
        import requests

        if self._closed:
            raise jsonrpc.TransportFailure(_("it was stopped"))
        headers = {**self._base_headers(str(message.get("method", ""))), **extra}
        try:
            return self._http.post(self.url, data=jsonrpc.encode(message), headers=headers, stream=stream,
                                   timeout=(min(CONNECT_TIMEOUT, timeout), timeout), allow_redirects=False)
        except requests.exceptions.ConnectTimeout:
            raise jsonrpc.TransportFailure(_("no connection to {url} within {n} s").format(
                url=self.url, n=f"{min(CONNECT_TIMEOUT, timeout):g}")) from None
        except requests.exceptions.ReadTimeout:
            raise jsonrpc.RequestTimeout() from None
        except requests.exceptions.SSLError:
            raise jsonrpc.TransportFailure(_("the secure (TLS) connection to {url} failed").format(url=self.url)) from None
        except requests.exceptions.ConnectionError as e:
            raise jsonrpc.TransportFailure(_("cannot connect to {url}: {reason}").format(
                url=self.url, reason=_reason(e))) from None
        except (requests.exceptions.InvalidHeader, ValueError):
            raise jsonrpc.TransportFailure(_("a header in mcp.json is not a valid HTTP header")) from None
        except requests.exceptions.RequestException as e:
            raise jsonrpc.TransportFailure(_("the request to {url} failed: {reason}").format(
                url=self.url, reason=_reason(e))) from None

    def notify(self, method: str, params: Mapping[str, Any] | None = None) -> None:
        message = jsonrpc.notification(method, params)
        response = self._post(message, {"Mcp-Method": method} if self.era == MODERN else {}, 10.0, stream=False)
        response.close()
        if response.status_code >= 400:
            self.log.note(f"{method}: HTTP {response.status_code}")

    def request(self, method: str, params: Mapping[str, Any] | None, timeout: float,
                annotated: Sequence[tuple[str, tuple[str, ...]]] = ()) -> Mapping[str, Any]:
        """The result of one request. RpcError, TransportFailure (HttpStatusError, SessionExpired) or
        RequestTimeout; Ctrl+C closes the stream (and tells a legacy server) and goes on up."""
        self._next_id += 1
        id_ = self._next_id
        message = jsonrpc.request(id_, method, params)
        extra = request_headers(method, params or {}, annotated) if self.era == MODERN else {}
        deadline = time.monotonic() + timeout
        response = None
        try:
            response = self._post(message, extra, timeout)
            return self._answer(response, id_, method, deadline)
        except KeyboardInterrupt:
            self._cancel(response, id_, "interrupted by the user")
            raise
        except jsonrpc.RequestTimeout:
            self._cancel(response, id_, "timed out")
            raise
        finally:
            if response is not None:
                response.close()

    def _cancel(self, response: Any, id_: int, reason: str) -> None:
        if response is not None:
            response.close()  # the modern revision's cancellation
        self.log.note(f"cancelled request {id_}: {reason}")
        if self.era == LEGACY:
            with contextlib.suppress(Exception):
                self.notify("notifications/cancelled", {"requestId": id_, "reason": reason})

    # -- receiving --------------------------------------------------------------------------------------------

    def _answer(self, response: Any, id_: int, method: str, deadline: float) -> Mapping[str, Any]:
        status = response.status_code
        if method == "initialize" and status < 300:
            self.session_id = response.headers.get("Mcp-Session-Id") or None
        if 300 <= status < 400:
            raise jsonrpc.TransportFailure(_("the server redirects to {location}; put that address in mcp.json").format(
                location=one_line(response.headers.get("Location", "?"), 300)))
        if status == 404 and self.era == LEGACY and self.session_id:
            self.session_id = None
            raise SessionExpired(_("the server ended the session"))
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if status >= 400:
            body = self._body(response, deadline, limit=64 * 1024) if kind == "application/json" else b""
            for message in jsonrpc.decode(body):
                if isinstance(message, jsonrpc.ErrorResponse):
                    message.error.http_status = status  # type: ignore[attr-defined]
                    raise message.error
            if status in (401, 403):
                raise HttpStatusError(status, _("the server refused access (HTTP {status}); check the headers "
                                                "in mcp.json").format(status=status))
            raise HttpStatusError(status, _("the server answered HTTP {status}").format(status=status))
        if kind == "application/json":
            messages = jsonrpc.decode(self._body(response, deadline))
        elif kind == "text/event-stream":
            messages = self._events(response, deadline)
        else:
            raise jsonrpc.TransportFailure(_("it answered with {kind}, not JSON or an event stream").format(
                kind=one_line(kind or "nothing", 60)))
        for message in messages:
            if isinstance(message, (jsonrpc.Response, jsonrpc.ErrorResponse)) and message.id == id_:
                if isinstance(message, jsonrpc.ErrorResponse):
                    raise message.error
                return message.result
            self._other(message)
        raise jsonrpc.TransportFailure(_("it ended its answer without a response to {method}").format(method=method))

    def _chunks(self, response: Any, deadline: float) -> Any:
        import requests
        import urllib3.exceptions

        try:
            for data in response.iter_content(chunk_size=None):
                yield data
                if time.monotonic() > deadline:
                    raise jsonrpc.RequestTimeout()
        except requests.exceptions.Timeout:
            raise jsonrpc.RequestTimeout() from None
        except requests.exceptions.ConnectionError as e:  # requests wraps urllib3's read timeout in this
            if _caused_by(e, urllib3.exceptions.TimeoutError):
                raise jsonrpc.RequestTimeout() from None
            raise jsonrpc.TransportFailure(_("the connection was cut")) from None
        except requests.exceptions.RequestException:
            raise jsonrpc.TransportFailure(_("the connection was cut")) from None

    def _body(self, response: Any, deadline: float, limit: int = MAX_BODY) -> bytes:
        parts, size = [], 0
        for data in self._chunks(response, deadline):
            parts.append(data)
            size += len(data)
            if size > limit:
                raise jsonrpc.TransportFailure(_("it sent a message larger than {size} MiB").format(
                    size=max(1, limit // (1024 * 1024))))
        return b"".join(parts)

    def _events(self, response: Any, deadline: float) -> Any:
        from ollama_chat.backends.sse import SSEParser

        parser = SSEParser(MAX_BODY)
        for data in self._chunks(response, deadline):
            try:
                events = parser.feed(data)
            except Exception:  # the parser's own "event too large"  # noqa: BLE001
                raise jsonrpc.TransportFailure(_("it sent a message larger than {size} MiB").format(
                    size=MAX_BODY // (1024 * 1024))) from None
            for event in events:
                if event.event == "message":
                    yield from jsonrpc.decode(event.data)
        for event in parser.finish():
            if event.complete and event.event == "message":
                yield from jsonrpc.decode(event.data)

    def _other(self, message: jsonrpc.Incoming) -> None:
        """Whatever came on a stream besides our response."""
        if isinstance(message, jsonrpc.Notification):
            if message.method == "notifications/message":
                self.log.note(f"server log ({message.params.get('level', '?')}): "
                              f"{one_line(message.params.get('data', ''), 2000)}")
            self.on_notification(message)
        elif isinstance(message, jsonrpc.ServerRequest):
            if message.method != "ping":
                self.log.note(f"refused the server's request {message.method[:100]!r} (not offered by this client)")
            if self.era == LEGACY:  # a modern server may not ask, and may not be answered
                with contextlib.suppress(Exception):
                    self._post(jsonrpc.reply_to(message), {}, 10.0, stream=False).close()
        elif isinstance(message, jsonrpc.Garbage):
            self.log.note(f"not JSON-RPC in an answer ({message.reason}): {one_line(message.text, 500)}")
        else:
            self.log.note("an answer to another request, ignored")
