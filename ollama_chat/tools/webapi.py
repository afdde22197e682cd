"""Ollama's web search API over HTTP: first the local Ollama's proxy (`POST {host}/api/experimental/web_search`
and `…/web_fetch`, which Ollama signs with its own key and passes to ollama.com, so it works once that server
is signed in), else ollama.com itself with `Authorization: Bearer $OLLAMA_API_KEY`.

The local proxy answers, as Ollama's server/routes.go and cloud_proxy.go do: 401 `{"error": "unauthorized",
"signin_url": …}` when the server is not signed in (or ollama.com's own answer, passed through, when its key
is unknown there); 403 `{"error": "ollama cloud is disabled: …"}` under OLLAMA_NO_CLOUD; 404 `404 page not
found` in an Ollama too old to have it (or a server that is not Ollama); 502 when it cannot reach ollama.com;
anything else from ollama.com (429, 5xx) passed through. It drops any Authorization header it is sent, and we
send none: the API key goes to ollama.com and nowhere else, never in a message, never after a redirect.

Every failure is a WebError whose text says what went wrong and what to do (`ollama signin`, or set
OLLAMA_API_KEY); a server's own words are cut short and kept as data."""

from __future__ import annotations

import errno
import json
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ollama_chat.i18n import _

CLOUD = "https://ollama.com"
KEYS_PAGE = "https://ollama.com/settings/keys"
MAX_BODY = 4 * 1024 * 1024  # bytes of one answer: ten results or one page's text are far less
SHOWN_TEXT = 200  # characters of a server's error text
CONNECT_TIMEOUT = 5.0


class WebError(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class WebAccess:
    """Where web search may go: the local Ollama (None when the chat's server is not Ollama), ollama.com with
    the key from the environment, or nowhere under OLLAMA_NO_CLOUD (Ollama's own switch, honoured here too)."""

    host: str | None
    api_key: str | None = field(default=None, repr=False)
    cloud: str = CLOUD
    no_cloud: bool = False

    @classmethod
    def from_env(cls, host: str | None, env: Mapping[str, str], cloud: str = CLOUD) -> WebAccess:
        if host and "://" not in host:
            host = "http://" + host
        key = (env.get("OLLAMA_API_KEY") or "").strip() or None
        no_cloud = (env.get("OLLAMA_NO_CLOUD") or "").strip().lower() in ("1", "true", "yes", "on")
        return cls(host.rstrip("/") if host else None, key, cloud.rstrip("/"), no_cloud)


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes


class _Unreachable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WebApi:
    """Posts one request of the web search API where it can go. Not thread-safe (one session)."""

    def __init__(self, access: WebAccess, session: Any = None) -> None:
        self.access = access
        self._session = session

    def post(self, endpoint: str, body: Mapping[str, Any], timeout: float) -> Any:
        """The decoded JSON answer of `endpoint` ("web_search" or "web_fetch"); WebError otherwise."""
        access = self.access
        if access.no_cloud:
            raise WebError(_("Web search is off: OLLAMA_NO_CLOUD is set (Ollama's switch for its cloud features)."))
        deadline = time.monotonic() + timeout
        if access.host:
            url = f"{access.host}/api/experimental/{endpoint}"
            try:
                answer = self._send(url, body, {}, deadline)
            except _Unreachable as e:
                if not access.api_key:
                    raise WebError(_("Could not reach Ollama at {host} for web search ({reason}). Start Ollama and "
                                     "run `ollama signin`, or set OLLAMA_API_KEY to a key from {page}.").format(
                        host=access.host, reason=e.reason, page=KEYS_PAGE)) from None
            else:
                if answer.status == 200:
                    return self._json(url, answer)
                if answer.status not in (401, 403, 404) or not access.api_key:
                    raise WebError(self._local_failure(answer)) from None
        if not access.api_key:
            raise WebError(_("Web search needs an ollama.com account: set OLLAMA_API_KEY to a key from {page}, or "
                             "chat through an Ollama that is signed in (`ollama signin`).").format(page=KEYS_PAGE))
        url = f"{access.cloud}/api/{endpoint}"
        try:
            answer = self._send(url, body, {"Authorization": f"Bearer {access.api_key}"}, deadline)
        except _Unreachable as e:
            raise WebError(_("Could not reach {url} ({reason}). Is the network up?").format(
                url=url, reason=e.reason)) from None
        if answer.status == 200:
            return self._json(url, answer)
        text = self._server_text(answer.body)
        if answer.status in (401, 403):
            raise WebError(_("ollama.com refused the key in OLLAMA_API_KEY (HTTP {status}: {text}). Check it at "
                             "{page}.").format(status=answer.status, text=text, page=KEYS_PAGE))
        raise WebError(_("Web search at {url} failed: HTTP {status}: {text}").format(
            url=url, status=answer.status, text=text))

    def _local_failure(self, answer: _Answer) -> str:
        host, text = self.access.host, self._server_text(answer.body)
        if answer.status == 401:
            return _("Web search needs an ollama.com account, and the Ollama server at {host} is not signed in. "
                     "Run `ollama signin` where that Ollama runs, or set OLLAMA_API_KEY to a key from {page}.").format(
                host=host, page=KEYS_PAGE)
        if answer.status == 403:
            return _("The Ollama server at {host} has its cloud features turned off ({text}). Turn them on, or set "
                     "OLLAMA_API_KEY to search through ollama.com directly.").format(host=host, text=text)
        if answer.status == 404:
            return _("The server at {host} offers no web search (an older Ollama, or not Ollama). Update Ollama and "
                     "run `ollama signin`, or set OLLAMA_API_KEY to a key from {page}.").format(host=host, page=KEYS_PAGE)
        return _("Web search through Ollama at {host} failed: HTTP {status}: {text}").format(
            host=host, status=answer.status, text=text)

    def _send(self, url: str, body: Mapping[str, Any], headers: dict[str, str], deadline: float) -> _Answer:
        """POST `body` as JSON; the answer read to MAX_BODY before `deadline`. _Unreachable when no connection
        was made; WebError for a timeout or an answer too large."""
        import requests

        if self._session is None:
            from ollama_chat import __version__

            self._session = requests.Session()
            self._session.headers["User-Agent"] = f"ollama-chat/{__version__}"
        left = deadline - time.monotonic()
        if left <= 0:
            raise WebError(_("{url} was not asked: the call ran out of time.").format(url=url))
        try:
            response = self._session.post(url, json=dict(body), headers=headers, timeout=(min(CONNECT_TIMEOUT, left), left),
                                          stream=True, allow_redirects=False)
        except requests.exceptions.ConnectTimeout:
            raise _Unreachable(_("the connection timed out")) from None
        except requests.exceptions.Timeout:
            raise WebError(self._timed_out(url)) from None
        except requests.exceptions.ConnectionError as e:
            raise _Unreachable(_reason(e)) from None
        except requests.exceptions.RequestException as e:
            raise WebError(_("Could not ask {url}: {reason}").format(url=url, reason=type(e).__name__)) from None
        try:
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_BODY:
                    raise WebError(_("{url} sent more than {n} MiB; the answer was not read.").format(
                        url=url, n=MAX_BODY // (1024 * 1024)))
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise WebError(self._timed_out(url))
            return _Answer(response.status_code, b"".join(chunks))
        except requests.exceptions.RequestException:
            raise WebError(self._timed_out(url) if time.monotonic() > deadline else
                           _("{url} broke off its answer.").format(url=url)) from None
        finally:
            response.close()

    @staticmethod
    def _timed_out(url: str) -> str:
        return _("{url} did not answer in time; try again, or later.").format(url=url)

    def _json(self, url: str, answer: _Answer) -> Any:
        try:
            return json.loads(answer.body)
        except ValueError:
            raise WebError(_("{url} answered with something that is not JSON: {text}").format(
                url=url, text=self._server_text(answer.body))) from None

    def _server_text(self, body: bytes) -> str:
        """A server's error, as data: the JSON `error` when there is one, on one line, cut short, with the key
        blotted out should a server ever echo it."""
        text = body.decode("utf-8", "replace")
        try:
            value = json.loads(text)
            if isinstance(value, dict) and isinstance(value.get("error"), str):
                text = value["error"]
        except ValueError:
            pass
        if self.access.api_key:
            text = text.replace(self.access.api_key, "[key]")
        text = re.sub(r"[\s\x00-\x1f\x7f-\x9f]+", " ", text).strip() or _("(no text)")
        return text if len(text) <= SHOWN_TEXT else text[:SHOWN_TEXT] + " …"


def _reason(error: BaseException) -> str:
    """A short reason for a failed connection, from the errno values it wraps (the messages backends use)."""
    reasons = {errno.ECONNREFUSED: _("connection refused"), errno.ECONNRESET: _("the connection was reset"),
               errno.EHOSTUNREACH: _("no route to host"), errno.ENETUNREACH: _("network unreachable"),
               errno.ETIMEDOUT: _("the connection timed out")}
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, socket.gaierror):
            return _("unknown host name")
        if isinstance(e, OSError) and e.errno in reasons:
            return reasons[e.errno]
        for inner in (e.__cause__, e.__context__, getattr(e, "reason", None), *(e.args[:1] if e.args else ())):
            if isinstance(inner, BaseException):
                todo.append(inner)
    return _("connection failed")
