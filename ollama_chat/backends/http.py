"""The one HTTP layer both backends talk through. `Client.request` sends a request under `--timeout` and maps
every failure a request can meet (an invalid address, no connection, not HTTP, a redirect, the deadline, an
error status) into the error tree; `Client.body` reads a whole answer within a limit. What differs between the
servers is their `Dialect`: how each words those failures and reads its error answers.

Beneath it, the `requests` session: keep-alive connections (a pool of them, shared by the threads that ask
about models at once), no compression, our User-Agent, and connections that put themselves under the
request's deadline as they await the response (`deadline.awaiting`), before any header arrives. Imported when
a backend is made: a question's start-up pays for requests once, here.

A request goes straight to the session's adapter, prepared from a copy of the first one made for its URL, with
the environment's proxy and certificate settings read once per server: `Session.request` reads the whole
environment and merges every setting again each time, which made a request cost about 600 µs of CPU instead of
250 (`ollama-chat models` asks once per model, 100,000 times on a big server)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
import urllib3.connection
import urllib3.connectionpool
from requests.adapters import HTTPAdapter

from ollama_chat import __version__
from ollama_chat.backends.base import BackendError, BadAddress, ReadTimeout, ServerUnreachable, WrongServer
from ollama_chat.backends.deadline import Deadline, Stall, awaiting, current, deadline_of, stall_error
from ollama_chat.backends.network import causes, network_reason, not_http
from ollama_chat.backends.streaming import StreamCut, StreamTimeout, TooLarge, read_body
from ollama_chat.errors import cut
from ollama_chat.i18n import _

POOL_SIZE = 20  # connections kept per host: more than the threads that ask about models at once (asker.WORKERS)
CONNECT_TIMEOUT = 5.0  # seconds to connect (never more than the request's own timeout)
MAX_BODY = 16 * 1024 * 1024  # a whole answer that is not a stream (/api/show, /models, stream: false)
MAX_ERROR_BODY = 1024 * 1024  # what is read of an error answer


class _Watched:
    """Mixed into urllib3's connections: the response is awaited under this thread's current deadline."""

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        deadline = current()
        if deadline is not None:
            deadline.watch(self)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class _HTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS proxies bring their own connection classes
            manager.pool_classes_by_scheme = _POOLS
        return manager


class Session(requests.Session):
    """requests' session, with what does not change between requests worked out once (see the module's note)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._templates: dict[tuple[str, str], requests.PreparedRequest] = {}
        self._environment: dict[tuple[str, str], dict[str, Any]] = {}

    def prepared(self, method: str, url: str, json: Any = None) -> requests.PreparedRequest:
        key = (method, url)
        with self._lock:
            template = self._templates.get(key)
        if template is None:  # headers, the key (the session's auth): as Session.request would prepare them
            template = self.prepare_request(requests.Request(method, url))
            with self._lock:
                self._templates[key] = template
        prepared = template.copy()
        if json is not None:
            prepared.prepare_body(data=None, files=None, json=json)
        return prepared

    def environment(self, url: str) -> dict[str, Any]:
        """Proxies and the certificate authority for `url`'s server, from the environment (read once)."""
        key = tuple(urlsplit(url)[:2])
        with self._lock:
            settings = self._environment.get(key)  # type: ignore[arg-type]
        if settings is None:
            settings = self.merge_environment_settings(url, {}, True, None, None)
            with self._lock:
                self._environment[key] = settings  # type: ignore[index]
        return settings


class Bearer:
    """`Authorization: Bearer KEY` on every request (as requests' `auth`, so a ~/.netrc entry cannot replace it)."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self._key}"
        return request

    def __repr__(self) -> str:
        return "<Bearer ***>"


def make_session() -> Session:
    session = Session()
    adapter = WatchedAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = f"ollama-chat/{__version__}"
    session.headers["Accept-Encoding"] = "identity"  # see streaming.read_size
    return session


def send(session: Session, method: str, url: str, *, timeout: float, connect_timeout: float,
         json: Any = None) -> requests.Response:
    """Send a request and await its headers, all within `timeout` seconds (connecting within
    `connect_timeout`); then the response carries its deadline on (`deadline.deadline_of`), pushed by
    whoever reads it. StreamTimeout when the deadline passed first (Stall.NOTHING: not a byte came;
    Stall.HEADERS: the headers began and did not end); otherwise requests' own exceptions."""
    import http.client

    prepared = session.prepared(method, url, json)
    settings = session.environment(url)
    deadline = Deadline(timeout)
    try:
        with awaiting(deadline):
            # the timeout per read is only a safety net under the deadline, which is what ends a slow answer
            response = session.get_adapter(url).send(prepared, timeout=(connect_timeout, timeout + 1), **settings)
    except requests.exceptions.RequestException as e:
        deadline.done()
        if deadline.fired:  # the watchdog shut the socket: nothing came at all, or part of the headers
            nothing = any(isinstance(c, http.client.RemoteDisconnected) for c in causes(e))
            raise StreamTimeout(Stall.NOTHING if nothing else Stall.HEADERS) from None
        if isinstance(e, requests.exceptions.ReadTimeout):
            raise StreamTimeout(Stall.NOTHING) from None
        raise
    except BaseException:
        deadline.done()
        raise
    if deadline.fired:  # cut in the middle of the headers, and what came was taken for all of them
        deadline.done()
        response.close()
        raise StreamTimeout(Stall.HEADERS)
    deadline.push()
    response.deadline = deadline  # type: ignore[attr-defined]
    return response


# -- the layer ----------------------------------------------------------------------------------------------


class Dialect(Protocol):
    """What differs between servers over the one HTTP layer: each words the failures any request can meet
    (the layer tells which it was), and reads its own error answers."""

    def server(self) -> str:
        """Who the server is, as a timeout's message begins: "Ollama at HOST", "The server at HOST"."""
        ...

    def bad_address(self) -> BadAddress: ...

    def unreachable(self, reason: str) -> ServerUnreachable: ...

    def insecure(self, error: Exception) -> ServerUnreachable | None:
        """A TLS failure; None: worded as any other failure to connect."""
        ...

    def failed(self, error: Exception) -> BackendError:
        """The request failed in a way none of the others covers (`error`'s type is named)."""
        ...

    def not_http(self) -> WrongServer: ...

    def redirect(self, url: str, status: int, location: str) -> WrongServer:
        """`url` answered with a redirect to `location` (the server's words, not yet cut or cleaned)."""
        ...

    def too_large(self, status: int, limit: int) -> WrongServer: ...

    def refused(self, response: requests.Response, model: str | None, body: Callable[[], bytes]) -> BackendError:
        """An error status (400 and up); `body()` reads its answer, within MAX_ERROR_BODY."""
        ...


class Client:
    """One server's HTTP, for a backend: its session, its address and `--timeout`, and its dialect."""

    def __init__(self, host: str, timeout: float, dialect: Dialect) -> None:
        self.host = host
        self.timeout = timeout
        self.dialect = dialect
        self.session = make_session()

    def request(self, method: str, path: str, *, model: str | None = None, timeout: float | None = None,
                json: Any = None) -> requests.Response:
        """The response to `method path`, its headers read. `timeout`: a shorter wait, for a check that must not
        hold up the prompt (never longer than the client's). Redirects are refused (the APIs do not redirect,
        and a key must not follow one to another host); an error status raises what the dialect makes of it
        (`model`: the model asked about)."""
        limit = min(timeout, self.timeout) if timeout else self.timeout
        connect = min(CONNECT_TIMEOUT, limit)
        dialect = self.dialect
        try:
            response = send(self.session, method, self.host + path, timeout=limit, connect_timeout=connect, json=json)
        except (requests.exceptions.InvalidURL, ValueError, UnicodeError):  # a host like "a..b", a 300-letter label
            raise dialect.bad_address() from None
        except requests.exceptions.ConnectTimeout:
            raise dialect.unreachable(_("no answer within {seconds} s").format(seconds=f"{connect:g}")) from None
        except StreamTimeout as e:
            raise self.timeout_error(e.stall, limit) from None
        except requests.exceptions.ConnectionError as e:
            insecure = dialect.insecure(e) if isinstance(e, requests.exceptions.SSLError) else None
            if insecure is not None:
                raise insecure from None
            raise (dialect.not_http() if not_http(e) else dialect.unreachable(network_reason(e))) from None
        except requests.exceptions.RequestException as e:
            raise dialect.failed(e) from None
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("Location", _("somewhere else"))
            response.close()
            raise dialect.redirect(cut(self.host + path), status, location)
        if status >= 400:
            raise dialect.refused(response, model, lambda: self.body(response, MAX_ERROR_BODY))
        return response

    def body(self, response: requests.Response, limit: int = MAX_BODY, *, head: bool = False) -> bytes:
        """A whole (non-streamed) answer, read up to `limit` bytes after decompression (`head`: its first
        `limit` bytes, the rest dropped)."""
        try:
            return read_body(response, limit, head=head)
        except TooLarge:
            raise self.dialect.too_large(response.status_code, limit) from None
        except StreamTimeout as e:
            deadline = deadline_of(response)
            raise self.timeout_error(e.stall, deadline.timeout if deadline else None) from None
        except StreamCut:
            raise self.dialect.unreachable(_("the connection was cut while reading the answer")) from None

    def timeout_error(self, stall: Stall = Stall.NOTHING, waited: float | None = None) -> ReadTimeout:
        return stall_error(stall, self.dialect.server(), waited or self.timeout)
