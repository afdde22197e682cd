"""Ollama's web search API, faked: the local server's proxy (`POST /api/experimental/web_search` and
`/api/experimental/web_fetch`, answered by `FakeOllama` through `proxy_answer`) and ollama.com itself
(`FakeOllamaCom`, a small server on loopback that checks `Authorization: Bearer KEY` and records every
request with its headers). Both answer from a `WebIndex`, which tests script.

As Ollama answers (server/routes.go, server/cloud_proxy.go): the proxy answers 400 `{"error":"missing request
body"}` for an empty body; 403 `{"error":"ollama cloud is disabled: web search is unavailable"}` (or `…web
fetch…`) under OLLAMA_NO_CLOUD; 401 `{"error":"unauthorized","signin_url":…}` when the server is not signed
in; otherwise ollama.com's answer, passed through. ollama.com: `{"results":[{"title","url","content"}]}`
and `{"title","content","links"}` (docs/capabilities/web-search.mdx; at most 10 results, 5 by default).
Assumed, not documented: ollama.com answers a missing or wrong key with 401 `{"error":"unauthorized"}`, and
a `max_results` outside 1..10 or a missing query/url with 400 and an `error` text.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .base import stop_quickly
from .wire import JSON_TYPE, Headers, Request, go_json, path_only

SIGNIN_URL = "https://ollama.com/connect?name=fake-host&key=c3NoLWVkMjU1MTkgQUFBQQ"
DISABLED = {"web_search": "ollama cloud is disabled: web search is unavailable",
            "web_fetch": "ollama cloud is disabled: web fetch is unavailable"}


@dataclass
class WebIndex:
    """What "the web" answers. `results[query]` scripts a search (else results are made up from the query);
    `pages[url]` a fetch (else a page is made up); `failure = (status, body)` answers every request so until
    cleared (a 429, a 500)."""

    results: dict[str, list[Any]] = field(default_factory=dict)
    pages: dict[str, Any] = field(default_factory=dict)
    failure: tuple[int, Any] | None = None

    def answer(self, endpoint: str, body: Any) -> tuple[int, Any]:
        if self.failure is not None:
            return self.failure
        if not isinstance(body, dict):
            return 400, {"error": "invalid request body"}
        if endpoint == "web_search":
            return self._search(body)
        return self._fetch(body)

    def _search(self, body: dict[str, Any]) -> tuple[int, Any]:
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            return 400, {"error": "query is required"}
        count = body.get("max_results", 5)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10:
            return 400, {"error": "max_results must be between 1 and 10"}
        if query in self.results:
            return 200, {"results": self.results[query][:count]}
        slug = "-".join(query.lower().split())
        return 200, {"results": [
            {"title": f"{query}: result {i}", "url": f"https://example.com/{slug}/{i}",
             "content": f"Page {i} about {query}. " * 20} for i in range(1, count + 1)]}

    def _fetch(self, body: dict[str, Any]) -> tuple[int, Any]:
        url = body.get("url")
        if not isinstance(url, str) or not url.strip():
            return 400, {"error": "url is required"}
        if url in self.pages:
            return 200, self.pages[url]
        return 200, {"title": f"The page at {url}", "content": f"The text of {url}.",
                     "links": [f"{url.rstrip('/')}/about", f"{url.rstrip('/')}/contact"]}


def proxy_answer(fake: Any, request: Request, endpoint: str) -> tuple[int, Any]:
    """The local Ollama's `/api/experimental/<endpoint>`: `fake.web_signed_in`, `fake.cloud_disabled` and
    `fake.web` (a WebIndex) decide it."""
    if not request.body.strip():
        return 400, {"error": "missing request body"}
    if fake.cloud_disabled:
        return 403, {"error": DISABLED[endpoint]}
    if not fake.web_signed_in:
        return 401, {"error": "unauthorized", "signin_url": SIGNIN_URL}
    return fake.web.answer(endpoint, request.json)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.fake._untrack(self.connection)

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = Headers({k.lower(): v for k, v in self.headers.items()})
        try:
            parsed = json.loads(body) if body.strip() else None
        except ValueError:
            parsed = None
        fake._record(Request(self.command, self.path, headers, body, parsed))
        fake._wait_if_held()
        endpoint = {"/api/web_search": "web_search", "/api/web_fetch": "web_fetch"}.get(path_only(self.path))
        if endpoint is None:
            status, answer = 404, b"404 page not found"
        elif headers.get("authorization") != f"Bearer {fake.api_key}":
            status, answer = 401, {"error": "unauthorized"}
        else:
            status, answer = fake.web.answer(endpoint, parsed)
        data = answer if isinstance(answer, bytes) else go_json(answer)
        self.send_response(status)
        self.send_header("Content-Type", JSON_TYPE if not isinstance(answer, bytes) else "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:
            pass

    do_GET = do_POST


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeOllamaCom) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hang up on purpose (timeouts)


class FakeOllamaCom:
    """ollama.com's web search API on loopback: `url` is its base, `api_key` the one key it takes, `web` what
    it answers, `requests` what it received (headers included). `hold()` keeps the next requests waiting until
    `release()` (a server that does not answer)."""

    def __init__(self, api_key: str = "sk-fake-ollama-key") -> None:
        self.api_key = api_key
        self.web = WebIndex()
        self._lock = threading.Lock()
        self._requests: list[Request] = []
        self._connections: set[socket.socket] = set()
        self._released = threading.Event()
        self._released.set()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)
        self._thread.start()

    def __enter__(self) -> FakeOllamaCom:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def stop(self) -> None:
        self._released.set()
        stop_quickly(self._server, self._lock, self._connections)
        self._thread.join(timeout=2)

    def _wait_if_held(self) -> None:
        self._released.wait(30)

    def _record(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)
