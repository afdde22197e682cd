"""OllamaClient: the HTTP side. Knows nothing of terminals; every failure becomes an `errors.OllamaError`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from ollama_chat import __version__
from ollama_chat.errors import (
    IncompleteReply,
    ModelNotFound,
    NotOllama,
    OllamaError,
    ReadTimeout,
    ServerError,
    ServerUnreachable,
)
from ollama_chat.stream import ChatChunk, LineSplitter, NotNDJSON, StreamLineError, chunk_from, parse_chat_line

DEFAULT_HOST = "http://127.0.0.1:11434"
DEFAULT_PORT = 11434
CONNECT_TIMEOUT = 5.0


def parse_host(value: str | None) -> str:
    """OLLAMA_HOST (or --host) as a base URL, the way Ollama's own clients read it. ValueError if malformed."""
    value = (value or "").strip().strip("\"'").strip()
    if not value:
        return DEFAULT_HOST
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "http", value
    scheme = scheme.lower()
    default_port = {"http": 80, "https": 443}.get(scheme, DEFAULT_PORT) if sep else DEFAULT_PORT
    hostport, slash, path = rest.partition("/")
    path = ("/" + path).rstrip("/") if slash else ""
    if hostport.startswith("["):  # [::1]:1234
        host, bracket, port = hostport[1:].partition("]")
        if not bracket:
            raise ValueError("'[' without a closing ']'")
        port = port.lstrip(":")
    elif hostport.count(":") > 1:  # a bare IPv6 address
        host, port = hostport, ""
    else:
        host, _, port = hostport.partition(":")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"'{port}' is not a port number")
    if scheme not in ("http", "https"):
        raise ValueError(f"'{scheme}://' is not http:// or https://")
    host = host or "127.0.0.1"
    if host == "0.0.0.0":  # a listen address, not one to connect to
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port or default_port}{path}"


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: list[dict[str, Any]]
    options: dict[str, Any] = field(default_factory=dict)
    format: str | dict | None = None
    think: bool | str | None = None
    keep_alive: str | int | None = None

    def body(self, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": self.messages, "stream": stream}
        if self.options:
            body["options"] = self.options
        for key in ("format", "think", "keep_alive"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body


def _ollama_error(response: requests.Response) -> str | None:
    """Ollama's `{"error": ...}` text, or None when the body is something else."""
    try:
        obj = response.json()
    except ValueError:
        return None
    return str(obj["error"]) if isinstance(obj, dict) and "error" in obj else None


class ChatStream:
    """An open /api/chat stream. Iterate for ChatChunks; `close()` drops the connection (Ctrl+C)."""

    def __init__(self, client: OllamaClient, response: requests.Response, model: str) -> None:
        self._client = client
        self._response = response
        self._model = model
        self.text = ""  # the content received so far, for error messages and partial replies

    def __iter__(self) -> Iterator[ChatChunk]:
        splitter = LineSplitter()
        try:
            for data in self._response.iter_content(chunk_size=None):
                for line in splitter.feed(data):
                    chunk = self._parse(line)
                    if chunk is not None:
                        yield chunk
                        if chunk.done:
                            return
            chunk = self._parse(splitter.flush())
            if chunk is not None:
                yield chunk
                if chunk.done:
                    return
        except requests.exceptions.ConnectionError as e:  # includes ChunkedEncodingError's cousins
            if isinstance(e.__context__, requests.exceptions.ReadTimeout) or "Read timed out" in str(e):
                raise self._client._timeout_error() from None
            raise self._incomplete("the connection was cut") from None
        except requests.exceptions.ChunkedEncodingError:
            raise self._incomplete("the connection was cut") from None
        except requests.exceptions.Timeout:
            raise self._client._timeout_error() from None
        finally:
            self.close()
        raise self._incomplete("the stream ended before Ollama said it was done")

    def _parse(self, line: bytes) -> ChatChunk | None:
        try:
            chunk = parse_chat_line(line)
        except StreamLineError as e:
            raise self._incomplete(f"Ollama reported an error: {e.text}") from None
        except NotNDJSON as e:
            raise self._client._not_ollama(e.line) from None
        if chunk is not None:
            self.text += chunk.content
        return chunk

    def _incomplete(self, what: str) -> IncompleteReply:
        after = f" after {len(self.text):,} characters" if self.text else ""
        return IncompleteReply(
            f"The reply from {self._model} is incomplete{after}: {what}.",
            f"Ask again; if it keeps happening, check the Ollama server's log ({self._client.host}).",
            partial=self.text,
        )

    def close(self) -> None:
        self._response.close()


class OllamaClient:
    def __init__(self, host: str = DEFAULT_HOST, timeout: float = 300.0) -> None:
        self.host = host.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["User-Agent"] = f"ollama-chat/{__version__}"

    # -- requests ---------------------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any], *, stream: bool, model: str | None = None) -> requests.Response:
        return self._request("POST", path, json=body, stream=stream, model=model)

    def _request(self, method: str, path: str, *, model: str | None = None, **kwargs: Any) -> requests.Response:
        url = self.host + path
        try:
            response = self._session.request(method, url, timeout=(CONNECT_TIMEOUT, self.timeout), **kwargs)
        except requests.exceptions.ConnectTimeout:
            raise self._unreachable(f"no answer within {CONNECT_TIMEOUT:g} s") from None
        except requests.exceptions.ReadTimeout:
            raise self._timeout_error() from None
        except requests.exceptions.ConnectionError as e:
            raise self._unreachable(_reason(e)) from None
        except requests.exceptions.RequestException as e:
            raise OllamaError(f"Could not talk to Ollama at {self.host}: {e}") from None
        if response.status_code >= 400:
            self._raise_for_status(response, model)
        return response

    def _raise_for_status(self, response: requests.Response, model: str | None) -> None:
        text = _ollama_error(response)
        status = response.status_code
        if text is None:  # not Ollama's error shape: a proxy, a web server, the wrong port
            raise self._not_ollama(response.content, status=status)
        response.close()
        if status == 404 and model and "not found" in text:
            raise ModelNotFound(model, self.host)
        hint = ""
        if "does not support thinking" in text:
            hint = "This model can't think: drop --think, or choose a model that can (e.g. qwen3, deepseek-r1)."
        elif status in (429, 503):
            hint = "The server is busy; wait a moment and try again."
        elif status >= 500:
            hint = "Check the Ollama server's log; the model may have run out of memory."
        raise ServerError(status, text, self.host, hint)

    def chat(self, request: ChatRequest) -> ChatStream:
        """Start a streamed reply. Errors before the first chunk raise here; later ones while iterating."""
        response = self._post("/api/chat", request.body(stream=True), stream=True, model=request.model)
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type:
            head = response.raw.read(80) if response.raw else b""
            response.close()
            raise self._not_ollama(head)
        return ChatStream(self, response, request.model)

    def chat_once(self, request: ChatRequest) -> ChatChunk:
        """The whole reply in one response (`stream: false`)."""
        response = self._post("/api/chat", request.body(stream=False), stream=False, model=request.model)
        try:
            return chunk_from(response.json())
        except ValueError:
            raise self._not_ollama(response.content) from None
        except (StreamLineError, NotNDJSON) as e:
            raise self._not_ollama(str(e).encode()) from None

    def list_models(self) -> list[str]:
        response = self._request("GET", "/api/tags")
        try:
            return sorted(m["name"] for m in response.json()["models"])
        except (ValueError, KeyError, TypeError):
            raise self._not_ollama(response.content) from None

    def show(self, model: str) -> dict[str, Any]:
        response = self._post("/api/show", {"model": model}, stream=False, model=model)
        try:
            info = response.json()
        except ValueError:
            raise self._not_ollama(response.content) from None
        return info if isinstance(info, dict) else {}

    # -- errors -----------------------------------------------------------------------------------

    def _unreachable(self, reason: str) -> ServerUnreachable:
        return ServerUnreachable(
            f"Cannot reach Ollama at {self.host} ({reason}).",
            "Is it running? Start it with `ollama serve` (or open the Ollama app), "
            "or point to it with --host / OLLAMA_HOST.",
        )

    def _timeout_error(self) -> ReadTimeout:
        return ReadTimeout(
            f"Ollama at {self.host} sent nothing for {self.timeout:g} s.",
            "A large model can take minutes to load: raise the limit with --timeout SECONDS "
            "(or `timeout` in the config file).",
        )

    def _not_ollama(self, head: bytes, status: int = 200) -> NotOllama:
        sample = head[:60].decode("utf-8", "replace").strip().replace("\n", " ")
        return NotOllama(
            f"The server at {self.host} does not look like Ollama (HTTP {status}, it sent: {sample!r}).",
            "Check --host / OLLAMA_HOST: it should point to the Ollama API, e.g. http://127.0.0.1:11434.",
        )


def _reason(error: Exception) -> str:
    text = str(error)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "unknown host name"),
        ("nodename nor servname", "unknown host name"),
        ("Temporary failure in name resolution", "host name lookup failed"),
        ("No route to host", "no route to host"),
        ("Network is unreachable", "network unreachable"),
        ("RemoteDisconnected", "the server closed the connection"),
    ):
        if needle in text:
            return reason
    return "connection failed"
