"""The `requests` session both backends talk through: keep-alive connections (a pool of them, shared by the
threads that ask about models at once), no compression, our User-Agent, and connections that put themselves
under the request's deadline as they await the response (`deadline.awaiting`), before any header arrives.
Imported when a backend is made: a question's start-up pays for requests once, here.

A request goes straight to the session's adapter, prepared from a copy of the first one made for its URL, with
the environment's proxy and certificate settings read once per server: `Session.request` reads the whole
environment and merges every setting again each time, which made a request cost about 600 µs of CPU instead of
250 (`ollama-chat models` asks once per model, 100,000 times on a big server)."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.connection
import urllib3.connectionpool
from requests.adapters import HTTPAdapter

from ollama_chat import __version__
from ollama_chat.backends.base import causes
from ollama_chat.backends.deadline import Deadline, Stall, awaiting, current
from ollama_chat.backends.streaming import StreamTimeout

POOL_SIZE = 20  # connections kept per host: more than the threads that ask about models at once (asker.WORKERS)


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
