"""A fake Ollama HTTP server for tests, benchmarks and manual runs. Standard library only.

It speaks the parts of Ollama's wire protocol that ollama-chat relies on (see shared/reference/ollama-api.md)
closely enough that a client which works against it works against the real server: HTTP/1.1, NDJSON lines
written one per HTTP chunk exactly like Go's `json.Marshal` writes them (compact, `<`, `>`, `&` escaped),
Ollama's error bodies and statuses, mid-stream error lines, and streams that just stop.

Tests script the `/api/chat` replies through a FIFO queue (`reply`, `replay`, `reply_raw`, `reply_status`);
with an empty queue the server echoes the last user message, which is what end-to-end tests want. Every
request is logged (`requests`, `chat_requests`, `last_chat`), and a client that hangs up before its reply is
complete is counted (`disconnects`), which is how tests prove that Ctrl+C really closed the HTTP response.

Run it as a script for manual testing:  python tests/fake_ollama.py [--port N] [--chunk-delay S] [--replay FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import select
import socket
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Union

DEFAULT_MODEL = "llama3.2:latest"
OLLAMA_VERSION = "0.12.6"
MID_STREAM_ERROR = "an error was encountered while running the model"
PULL_ERROR = "pull model manifest: file does not exist"
NDJSON_TYPE = "application/x-ndjson"
# What Ollama's web framework (gin) sends; clients must accept the charset suffix.
JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
PIECE_SIZE = 3  # characters per streamed piece for echo and str replies: small, so streaming is visible

CutMode = Literal["eof", "reset"]

# Go's encoding/json escapes these even with valid UTF-8 output; the recorded fixtures show `\u003c`.
_GO_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


# --------------------------------------------------------------------------------------------------------------
# Wire format helpers (public: tests use them to build lines for `reply_raw`).


def go_json(obj: Any) -> bytes:
    """`obj` encoded the way Go's json.Marshal does it: compact, raw UTF-8, HTML characters escaped.

    The replacements are safe on the whole text because `<`, `>`, `&` can only occur inside JSON strings.
    """
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.translate(_GO_ESCAPES).encode("utf-8", "surrogatepass")


def created_at() -> str:
    """A timestamp like Ollama's `created_at` (RFC 3339, UTC, microseconds)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_line(content: str, *, thinking: str = "", model: str = DEFAULT_MODEL) -> bytes:
    """One streamed `/api/chat` line (with its newline) carrying a content or thinking piece."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if thinking:
        message["thinking"] = thinking
    return go_json({"model": model, "created_at": created_at(), "message": message, "done": False}) + b"\n"


def done_line(*, model: str = DEFAULT_MODEL, done_reason: str = "stop", **metrics: int) -> bytes:
    """The final streamed line (with its newline). Zero metrics are left out, as Ollama does."""
    obj: dict[str, Any] = {"model": model, "created_at": created_at(),
                           "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": done_reason}
    obj.update({k: v for k, v in metrics.items() if v})
    return go_json(obj) + b"\n"


def split_text(text: str, size: int = PIECE_SIZE) -> list[str]:
    """`text` in pieces of `size` characters. Characters, not bytes, so Hangul and emoji stay whole."""
    return [text[i:i + size] for i in range(0, len(text), size)]


def normalize_model(name: str) -> str:
    """Ollama's short form: a name without a tag means the `latest` tag ("llama3.2" is "llama3.2:latest")."""
    name = name.strip()
    last = name.rsplit("/", 1)[-1]  # a registry host may carry a port: "host:5000/ns/model"
    return name if ":" in last else name + ":latest"


def find_fixtures_dir(start: Path | None = None) -> Path | None:
    """The recorded stream fixtures (`shared/fixtures/streams`), or None.

    `$OLLAMA_CHAT_FIXTURES` wins when set. Otherwise walk up from `start` (this file's directory) and look for
    `shared/fixtures/streams` under each ancestor: the repo is cloned beside `shared/` (/work/main next to
    /work/shared here, `<clone>/../shared` in CI), so the walk finds it whatever the clone is called.
    """
    env = os.environ.get("OLLAMA_CHAT_FIXTURES", "").strip()
    if env:
        path = Path(env).expanduser()
        return path if path.is_dir() else None
    here = (start or Path(__file__).parent).resolve()
    for ancestor in (here, *here.parents):
        candidate = ancestor / "shared" / "fixtures" / "streams"
        if candidate.is_dir() and any(candidate.glob("*.ndjson")):
            return candidate
    return None


# --------------------------------------------------------------------------------------------------------------
# What the server logs and what tests queue.


class Headers(dict):  # type: ignore[type-arg]
    """Request headers with lower-case keys, looked up case-insensitively: `h["Content-Type"]` works."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


@dataclass(frozen=True)
class Request:
    """One request as received. `json` is the parsed body, or None when it is empty or not JSON."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None


@dataclass(frozen=True)
class ModelInfo:
    """What /api/tags and /api/show report for a model, and whether it can think."""

    name: str
    capabilities: tuple[str, ...] = ("completion",)
    context_length: int = 131072
    family: str = "llama"
    parameter_size: str = "3.2B"
    quantization_level: str = "Q4_K_M"
    size: int = 2019393189

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()

    @property
    def details(self) -> dict[str, Any]:
        return {"parent_model": "", "format": "gguf", "family": self.family, "families": [self.family],
                "parameter_size": self.parameter_size, "quantization_level": self.quantization_level}


@dataclass(frozen=True)
class ScriptedReply:
    """A chat reply built from pieces. Counts (`error_after`, `cut_after`) are content pieces, after all thinking."""

    content: tuple[str, ...]
    thinking: tuple[str, ...] = ()
    done_reason: str = "stop"
    eval_count: int | None = None
    eval_duration: int | None = None
    prompt_eval_count: int | None = None
    prompt_eval_duration: int | None = None
    load_duration: int | None = None
    total_duration: int | None = None
    chunk_delay: float = 0.0
    first_delay: float = 0.0
    error_after: int | None = None
    error_text: str = MID_STREAM_ERROR
    cut_after: int | None = None
    cut_mode: CutMode = "eof"


@dataclass(frozen=True)
class StatusReply:
    """A plain, non-streamed answer: any status, any body (an Ollama error, a 503, an HTML page...)."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    first_delay: float = 0.0


@dataclass(frozen=True)
class LinesReply:
    """Bytes sent one HTTP chunk per line: a recorded fixture (`replay`) or arbitrary bytes (`reply_raw`)."""

    lines: tuple[bytes, ...]
    chunk_delay: float = 0.0
    first_delay: float = 0.0
    cut_after: int | None = None
    cut_mode: CutMode = "eof"
    split_writes: bool = False
    status: int = 200
    content_type: str = NDJSON_TYPE
    aggregate: bool = False  # a recorded stream: with "stream": false send the reply as one JSON object


QueuedReply = Union[ScriptedReply, StatusReply, LinesReply]


def _pieces(value: str | Iterable[str]) -> tuple[str, ...]:
    return tuple(split_text(value)) if isinstance(value, str) else tuple(value)


def _body_bytes(body: bytes | str | dict[str, Any] | list[Any]) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return go_json(body)


def _estimate_prompt_tokens(request: dict[str, Any]) -> int:
    """A rough, deterministic prompt size (4 characters a token, 4 tokens of template a message)."""
    messages = request.get("messages") or []
    return sum(4 + len(str(m.get("content") or "")) // 4 for m in messages if isinstance(m, dict)) or 1


# --------------------------------------------------------------------------------------------------------------
# The server.


class FakeOllama:
    """A fake Ollama server on 127.0.0.1 and a free port. Use as a context manager or `start()` / `stop()`.

    Thread-safe: tests queue replies and read the logs while handler threads serve the client.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, chunk_delay: float = 0.0,
                 replay: str | Path | None = None, log: Callable[[str], None] | None = None) -> None:
        self.host = host
        self._requested_port = port
        self.chunk_delay = chunk_delay  # pacing of echo replies, pull progress and the default replay
        self.default_replay: Path | None = Path(replay) if replay else None  # replayed when the queue is empty
        self.models: set[str] = {DEFAULT_MODEL}
        self.unpullable: set[str] = set()
        self._log = log
        self._info: dict[str, ModelInfo] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[Request] = []
        self._queue: deque[QueuedReply] = deque()
        self._overrides: dict[tuple[str | None, str], StatusReply] = {}
        self._loaded: dict[str, float] = {}
        self._disconnects = 0
        self._stop = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> FakeOllama:
        if self._server is not None:
            return self
        self._stop.clear()
        self._server = _Server((self.host, self._requested_port), _Handler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fake-ollama-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop quickly: streaming handlers notice the stop event between chunks, idle keep-alive
        connections are shut down so their threads stop waiting for another request."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stop.set()
        # shutdown() waits for serve_forever() to wake from its poll; a throwaway connection wakes it now.
        waiter = threading.Thread(target=server.shutdown, daemon=True)
        waiter.start()
        while waiter.is_alive():
            try:
                socket.create_connection(server.server_address[:2], timeout=0.5).close()
            except OSError:
                pass
            waiter.join(0.02)
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeOllama is not running")
        return int(self._server.server_address[1])

    @property
    def host_port(self) -> str:
        """What OLLAMA_HOST should be set to: "127.0.0.1:PORT"."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host_port}"

    # -- models ---------------------------------------------------------------------------------------------

    def add_model(self, name: str, capabilities: Iterable[str] = ("completion",),
                  context_length: int = 131072) -> str:
        """Make `name` available (as Ollama would after a pull). Returns the full name ("x" -> "x:latest")."""
        full = normalize_model(name)
        with self._lock:
            self._info[full] = ModelInfo(full, tuple(capabilities), context_length)
            self.models.add(full)
        return full

    def remove_model(self, name: str) -> None:
        """Forget `name` (its capabilities are kept, so a later pull brings it back the same)."""
        want = normalize_model(name)
        with self._lock:
            self.models -= {m for m in self.models if normalize_model(m) == want}

    def model_info(self, name: str) -> ModelInfo | None:
        """The known model `name` refers to, or None: what decides a 404."""
        want = normalize_model(name)
        with self._lock:
            if not any(normalize_model(m) == want for m in self.models):
                return None
            return self._info.get(want) or ModelInfo(want)

    # -- scripting replies ----------------------------------------------------------------------------------

    def reply(self, content: str | list[str], *, thinking: str | list[str] = "", done_reason: str = "stop",
              eval_count: int | None = None, eval_duration: int | None = None,
              prompt_eval_count: int | None = None, prompt_eval_duration: int | None = None,
              load_duration: int | None = None, total_duration: int | None = None,
              chunk_delay: float = 0.0, first_delay: float = 0.0, error_after: int | None = None,
              error_text: str = MID_STREAM_ERROR, cut_after: int | None = None,
              cut_mode: CutMode = "eof") -> None:
        """Queue a chat reply. A str is split into 3-character pieces, a list is sent piece by piece.

        Thinking pieces go first. Metrics left as None get plausible values (eval_count = number of pieces);
        pass 0 to leave one out. `error_after=N`: N content pieces, then an `{"error": error_text}` line
        instead of the done line (the status stays 200). `cut_after=N`: N content pieces, then the stream
        stops with no done line: "eof" ends the chunked body cleanly, "reset" drops the connection (RST).
        If both are given the smaller wins, a tie goes to the cut. `first_delay` delays the response headers
        (a slow model load); `chunk_delay` paces the lines (time for a test to press Ctrl+C).
        """
        if cut_mode not in ("eof", "reset"):
            raise ValueError(f"cut_mode must be 'eof' or 'reset', not {cut_mode!r}")
        self._enqueue(ScriptedReply(
            content=_pieces(content), thinking=_pieces(thinking), done_reason=done_reason,
            eval_count=eval_count, eval_duration=eval_duration, prompt_eval_count=prompt_eval_count,
            prompt_eval_duration=prompt_eval_duration, load_duration=load_duration,
            total_duration=total_duration, chunk_delay=chunk_delay, first_delay=first_delay,
            error_after=error_after, error_text=error_text, cut_after=cut_after, cut_mode=cut_mode))

    def reply_status(self, status: int, body: bytes | str | dict[str, Any], content_type: str = "application/json",
                     *, first_delay: float = 0.0) -> None:
        """Queue a plain answer: `reply_status(500, {"error": "boom"})`, or an HTML page with 200."""
        self._enqueue(StatusReply(status, _body_bytes(body), content_type, first_delay))

    def replay(self, path: str | Path, *, chunk_delay: float = 0.0, first_delay: float = 0.0,
               cut_after: int | None = None, cut_mode: CutMode = "eof") -> None:
        """Queue a recorded .ndjson stream, sent byte for byte, one HTTP chunk per line.

        `cut_after=N` stops after N lines (no done line). A request with "stream": false gets the
        recording folded into one JSON object, as Ollama would have answered it.
        """
        self._enqueue(LinesReply(_read_lines(Path(path)), chunk_delay, first_delay, cut_after, cut_mode,
                                 aggregate=True))

    def reply_raw(self, lines: list[bytes], *, split_writes: bool = False, chunk_delay: float = 0.0,
                  first_delay: float = 0.0, status: int = 200, content_type: str = NDJSON_TYPE,
                  cut_after: int | None = None, cut_mode: CutMode = "eof") -> None:
        """Queue arbitrary bytes, each item one HTTP chunk, exactly as given (add your own newlines).

        `split_writes=True` sends every item as two chunks, cut inside a multi-byte UTF-8 character when
        there is one, with a short pause between: the client must reassemble lines and characters.
        """
        self._enqueue(LinesReply(tuple(lines), chunk_delay, first_delay, cut_after, cut_mode, split_writes,
                                 status, content_type))

    def override(self, path: str, status: int, body: bytes | str | dict[str, Any],
                 content_type: str = "application/json", *, method: str | None = None) -> None:
        """Answer every request to `path` (any method unless `method`) with this, until `clear_overrides()`.
        For endpoints other than /api/chat, e.g. a /api/show that fails or a web server that is not Ollama."""
        with self._lock:
            self._overrides[(method.upper() if method else None, path)] = StatusReply(
                status, _body_bytes(body), content_type)

    def clear_overrides(self) -> None:
        with self._lock:
            self._overrides.clear()

    @property
    def pending_replies(self) -> int:
        """Queued replies not yet consumed: 0 at the end of a test that used them all."""
        with self._lock:
            return len(self._queue)

    def clear_replies(self) -> None:
        with self._lock:
            self._queue.clear()

    # -- what was received ----------------------------------------------------------------------------------

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[Any]:
        """The parsed JSON bodies of the POST /api/chat requests, oldest first."""
        return [r.json for r in self.requests if r.method == "POST" and _path_only(r.path) == "/api/chat"
                and r.json is not None]

    @property
    def last_chat(self) -> Any:
        """The last /api/chat body, or None."""
        chats = self.chat_requests
        return chats[-1] if chats else None

    @property
    def disconnects(self) -> int:
        """How many times a client hung up before its reply was complete."""
        with self._lock:
            return self._disconnects

    def wait_for_requests(self, n: int, timeout: float = 5.0, *, path: str | None = None) -> bool:
        """Wait until at least `n` requests (to `path`, if given) have arrived. False on timeout."""
        def count() -> int:
            return sum(1 for r in self._requests if path is None or _path_only(r.path) == path)
        with self._changed:
            return self._changed.wait_for(lambda: count() >= n, timeout)

    def wait_for_disconnect(self, timeout: float = 5.0, count: int = 1) -> bool:
        """Wait until `count` client disconnects have been seen. False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._disconnects >= count, timeout)

    # -- used by the handler --------------------------------------------------------------------------------

    def _enqueue(self, reply: QueuedReply) -> None:
        with self._lock:
            self._queue.append(reply)

    def _next_reply(self, request: dict[str, Any]) -> QueuedReply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.default_replay is not None:
            return LinesReply(_read_lines(self.default_replay), self.chunk_delay, aggregate=True)
        return ScriptedReply(content=tuple(split_text("echo: " + _last_user_content(request))),
                             chunk_delay=self.chunk_delay)

    def _override_for(self, method: str, path: str) -> StatusReply | None:
        with self._lock:
            return self._overrides.get((method, path)) or self._overrides.get((None, path))

    def _record(self, request: Request) -> None:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()
        if self._log:
            self._log(f"{request.method} {request.path} {request.body[:200].decode('utf-8', 'replace')}")

    def _record_disconnect(self) -> None:
        with self._changed:
            self._disconnects += 1
            self._changed.notify_all()
        if self._log:
            self._log("client disconnected mid-reply")

    def _mark_loaded(self, name: str) -> None:
        with self._lock:
            self._loaded[normalize_model(name)] = time.time()

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)


def _read_lines(path: Path) -> tuple[bytes, ...]:
    return tuple(path.read_bytes().splitlines(keepends=True))


def _path_only(path: str) -> str:
    return path.split("?", 1)[0]


def _last_user_content(request: dict[str, Any]) -> str:
    for message in reversed(request.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


def _split_point(data: bytes) -> int:
    """Where to cut `data` in two: inside a multi-byte UTF-8 character nearest the middle, if any."""
    middle = len(data) // 2
    inside = [i for i, b in enumerate(data) if 0x80 <= b <= 0xBF and 0 < i < len(data)]
    return min(inside, key=lambda i: abs(i - middle)) if inside else max(1, middle)


# --------------------------------------------------------------------------------------------------------------
# HTTP plumbing.


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: FakeOllama) -> None:
        self.fake = fake
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connection errors are normal here (clients hang up on purpose); real bugs still get a traceback."""
        if isinstance(sys.exc_info()[1], (OSError, ValueError)):
            return
        super().handle_error(request, client_address)


class _ClientGone(Exception):
    """The client closed its connection before the reply was complete."""


class _Stopping(Exception):
    """The server is stopping: abandon the reply."""


def _wait_readable(sock: socket.socket, timeout: float) -> bool:
    """poll() rather than select(): select() fails on descriptors above 1024."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(max(0, int(timeout * 1000))))
    return bool(select.select([sock], [], [], timeout)[0])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def version_string(self) -> str:
        return "fake-ollama"

    @property
    def fake(self) -> FakeOllama:
        return self.server.fake

    def setup(self) -> None:
        super().setup()
        try:  # each line must leave at once, as a separate chunk, like Go's flushed writes
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.fake._track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass
        finally:
            self.fake._untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: requests are in .requests
        pass

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    # -- dispatch -------------------------------------------------------------------------------------------

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except (OSError, ValueError):
            self.close_connection = True
            return
        try:
            parsed = json.loads(body) if body.strip() else None
        except ValueError:
            parsed = None
        headers = Headers()
        for key, value in self.headers.items():
            key = key.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        request = Request(self.command, self.path, headers, body, parsed)
        self.fake._record(request)
        try:
            self._route(request)
        except _Stopping:
            self.close_connection = True
        except (_ClientGone, OSError, ValueError):
            self.close_connection = True
            if not self.fake._stop.is_set():
                self.fake._record_disconnect()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _route(self, request: Request) -> None:
        path, method = _path_only(request.path), request.method
        override = self.fake._override_for(method, path)
        if override is not None:
            self._send_status_reply(override)
        elif path == "/" and method in ("GET", "HEAD"):
            self._send(200, b"Ollama is running", TEXT_TYPE)
        elif path == "/api/version" and method in ("GET", "HEAD"):
            self._send_json(200, {"version": OLLAMA_VERSION})
        elif path == "/api/tags" and method in ("GET", "HEAD"):
            self._tags()
        elif path == "/api/ps" and method in ("GET", "HEAD"):
            self._ps()
        elif path == "/api/show" and method == "POST":
            self._show(request)
        elif path == "/api/pull" and method == "POST":
            self._pull(request)
        elif path == "/api/chat" and method == "POST":
            self._chat(request)
        else:  # what Go's router answers, whatever the method
            self._send(404, b"404 page not found", TEXT_TYPE)

    # -- endpoints ------------------------------------------------------------------------------------------

    def _tags(self) -> None:
        with self.fake._lock:
            names = sorted(normalize_model(m) for m in self.fake.models)
        infos = [self.fake.model_info(n) or ModelInfo(n) for n in names]
        self._send_json(200, {"models": [
            {"name": i.name, "model": i.name, "modified_at": "2026-11-24T23:00:00.000000Z", "size": i.size,
             "digest": i.digest, "details": i.details} for i in infos]})

    def _ps(self) -> None:
        with self.fake._lock:
            loaded = sorted(self.fake._loaded)
        infos = [i for i in (self.fake.model_info(n) for n in loaded) if i is not None]
        self._send_json(200, {"models": [
            {"name": i.name, "model": i.name, "size": i.size, "digest": i.digest, "details": i.details,
             "expires_at": "2099-01-01T00:00:00Z", "size_vram": i.size, "context_length": 4096}
            for i in infos]})

    def _model_name(self, request: Request) -> str | None:
        """The request's model, or None after answering the error. Older clients send "name"."""
        error = self._body_error(request)
        if error:
            self._send_json(400, {"error": error})
            return None
        name = request.json.get("model") or request.json.get("name")
        if not isinstance(name, str) or not name.strip():
            self._send_json(400, {"error": "model is required"})
            return None
        return name

    def _body_error(self, request: Request) -> str | None:
        if not request.body.strip():
            return "missing request body"
        if request.json is None:
            try:
                json.loads(request.body)
            except ValueError as exc:
                return f"invalid JSON in request body: {exc}"
            return "json: cannot unmarshal null into Go value"  # the body was the literal `null`
        if not isinstance(request.json, dict):
            return f"json: cannot unmarshal {type(request.json).__name__} into Go value of type api.ChatRequest"
        return None

    def _known_model(self, request: Request) -> tuple[str, ModelInfo] | None:
        """(the name asked for, the model), or None once a 400 (no model) or 404 (unknown model) is answered."""
        name = self._model_name(request)
        if name is None:
            return None
        info = self.fake.model_info(name)
        if info is None:
            self._send_json(404, {"error": f"model '{name}' not found"})
            return None
        return name, info

    def _show(self, request: Request) -> None:
        known = self._known_model(request)
        if known is None:
            return
        info = known[1]
        self._send_json(200, {
            "modelfile": "", "parameters": "", "template": "{{ .Prompt }}", "details": info.details,
            "model_info": {"general.architecture": info.family, f"{info.family}.context_length": info.context_length},
            "capabilities": list(info.capabilities), "modified_at": "2026-11-24T23:00:00.000000Z"})

    def _pull(self, request: Request) -> None:
        name = self._model_name(request)
        if name is None:
            return
        full = normalize_model(name)
        failing = any(normalize_model(m) == full for m in self.fake.unpullable)
        if request.json.get("stream", True) is False:
            self._pause(self.fake.chunk_delay)
            if failing:
                self._send_json(500, {"error": PULL_ERROR})
            else:
                self._install(full)
                self._send_json(200, {"status": "success"})
            return
        self._start_stream()
        self._write_chunk(go_json({"status": "pulling manifest"}) + b"\n")
        if failing:
            self._pause(self.fake.chunk_delay)
            self._write_chunk(go_json({"error": PULL_ERROR}) + b"\n")
            self._end_stream()
            return
        digest = hashlib.sha256(full.encode()).hexdigest()
        layer: dict[str, Any] = {"status": f"pulling {digest[:12]}", "digest": f"sha256:{digest}", "total": 1000}
        progress = [layer, {**layer, "completed": 500}, {**layer, "completed": 1000},
                    {"status": "verifying sha256 digest"}, {"status": "writing manifest"},
                    {"status": "removing any unused layers"}]
        for line in progress:
            self._pause(self.fake.chunk_delay)
            self._write_chunk(go_json(line) + b"\n")
        self._install(full)
        self._write_chunk(go_json({"status": "success"}) + b"\n")
        self._end_stream()

    def _install(self, full: str) -> None:
        with self.fake._lock:
            self.fake.models.add(full)

    def _chat(self, request: Request) -> None:
        """Validate like Ollama (validation errors do not consume a queued reply), then send the next reply."""
        known = self._known_model(request)
        if known is None:
            return
        name, info = known
        think = request.json.get("think")
        if not (think is None or isinstance(think, bool) or think in ("low", "medium", "high")):
            self._send_json(400, {"error": f"invalid think value: {json.dumps(think)} "
                                           "(must be \"high\", \"medium\", \"low\", true, or false)"})
            return
        if think not in (None, False) and "thinking" not in info.capabilities:
            self._send_json(400, {"error": f"{json.dumps(name)} does not support thinking"})
            return
        self.fake._mark_loaded(name)
        stream = request.json.get("stream") is not False  # absent or null means streaming
        reply = self.fake._next_reply(request.json)
        if isinstance(reply, StatusReply):
            self._send_status_reply(reply)
        elif isinstance(reply, LinesReply):
            if reply.aggregate and not stream:
                self._send_aggregated(reply)
            else:
                self._send_lines(reply)
        else:
            self._send_scripted(reply, name, request.json, stream)

    # -- chat replies ---------------------------------------------------------------------------------------

    def _final_fields(self, reply: ScriptedReply, request: dict[str, Any]) -> dict[str, int]:
        def pick(value: int | None, default: int) -> int:
            return default if value is None else value
        eval_count = pick(reply.eval_count, len(reply.content) + len(reply.thinking))
        eval_duration = pick(reply.eval_duration, eval_count * 10_000_000)  # 100 tokens/s
        prompt_eval_count = pick(reply.prompt_eval_count, _estimate_prompt_tokens(request))
        prompt_eval_duration = pick(reply.prompt_eval_duration, prompt_eval_count * 500_000)
        load_duration = pick(reply.load_duration, 1_000_000)
        total = pick(reply.total_duration, load_duration + prompt_eval_duration + eval_duration)
        return {"total_duration": total, "load_duration": load_duration, "prompt_eval_count": prompt_eval_count,
                "prompt_eval_duration": prompt_eval_duration, "eval_count": eval_count,
                "eval_duration": eval_duration}

    def _send_scripted(self, reply: ScriptedReply, model: str, request: dict[str, Any], stream: bool) -> None:
        n = len(reply.content)
        cut_at = None if reply.cut_after is None else min(reply.cut_after, n)
        error_at = None if reply.error_after is None else min(reply.error_after, n)
        cut = cut_at is not None and (error_at is None or cut_at <= error_at)
        failed = not cut and error_at is not None
        stop_at = cut_at if cut else error_at if failed else n
        self._pause(reply.first_delay)
        if not stream:
            message: dict[str, Any] = {"role": "assistant", "content": "".join(reply.content)}
            if reply.thinking:
                message["thinking"] = "".join(reply.thinking)
            obj = {"model": model, "created_at": created_at(), "message": message, "done": True,
                   "done_reason": reply.done_reason}
            obj.update({k: v for k, v in self._final_fields(reply, request).items() if v})
            if cut:
                self._send_truncated(go_json(obj), reply.cut_mode)
            elif failed:
                self._send_json(500, {"error": reply.error_text})
            else:
                self._send_json(200, obj)
            return
        lines = [content_line("", thinking=t, model=model) for t in reply.thinking]
        lines += [content_line(c, model=model) for c in reply.content[:stop_at]]
        self._start_stream()
        for i, line in enumerate(lines):
            if i:
                self._pause(reply.chunk_delay)
            self._write_chunk(line)
        if cut:
            self._cut(reply.cut_mode)
            return
        if lines:
            self._pause(reply.chunk_delay)
        if failed:
            self._write_chunk(go_json({"error": reply.error_text}) + b"\n")
        else:
            self._write_chunk(done_line(model=model, done_reason=reply.done_reason,
                                        **self._final_fields(reply, request)))
        self._end_stream()

    def _send_lines(self, reply: LinesReply) -> None:
        lines = reply.lines if reply.cut_after is None else reply.lines[:reply.cut_after]
        self._pause(reply.first_delay)
        self._start_stream(reply.status, reply.content_type)
        for i, line in enumerate(lines):
            if i:
                self._pause(reply.chunk_delay)
            if reply.split_writes and len(line) > 1:
                cut = _split_point(line)
                self._write_chunk(line[:cut])
                self._pause(0.01)
                self._write_chunk(line[cut:])
            else:
                self._write_chunk(line)
        if reply.cut_after is not None:
            self._cut(reply.cut_mode)
        else:
            self._end_stream()

    def _send_aggregated(self, reply: LinesReply) -> None:
        """A recorded stream answered as Ollama answers "stream": false: one object, the content joined."""
        objs = [json.loads(line) for line in reply.lines if line.strip()]
        errors = [o for o in objs if isinstance(o, dict) and "error" in o]
        self._pause(reply.first_delay)
        if errors:
            self._send_json(500, {"error": errors[0]["error"]})
            return
        final = dict(objs[-1]) if objs else {"model": DEFAULT_MODEL, "created_at": created_at(), "done": True}
        message = {"role": "assistant", "content": "".join(o.get("message", {}).get("content", "") for o in objs)}
        thinking = "".join(o.get("message", {}).get("thinking", "") for o in objs)
        if thinking:
            message["thinking"] = thinking
        final["message"] = message
        body = go_json(final)
        if reply.cut_after is not None:
            self._send_truncated(body, reply.cut_mode)
        else:
            self._send(200, body, JSON_TYPE)

    def _send_status_reply(self, reply: StatusReply) -> None:
        self._pause(reply.first_delay)
        self._send(reply.status, reply.body, reply.content_type)

    # -- low-level writing ----------------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, obj: Any) -> None:
        self._send(status, go_json(obj), JSON_TYPE)

    def _send_truncated(self, body: bytes, mode: CutMode) -> None:
        """Promise the whole body, deliver half, hang up: a non-streamed reply cut by the network."""
        self.send_response(200)
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2])
        self._cut("reset" if mode == "reset" else "close")

    def _start_stream(self, status: int = 200, content_type: str = NDJSON_TYPE) -> None:
        self._check_alive()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _write_chunk(self, data: bytes) -> None:
        """One HTTP chunk, sent at once (the writer is unbuffered). Empty data would end the body: skipped."""
        if not data:
            return
        self._check_alive()
        self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _cut(self, mode: CutMode | Literal["close"]) -> None:
        """End a reply abruptly. "eof": the chunked body ends properly but early (no done line);
        "close": FIN with the body unfinished; "reset": RST with the body unfinished."""
        if mode == "eof":
            self._end_stream()
            return
        self.close_connection = True
        if mode == "reset":
            self._pause(0.05)  # let the client read what was sent: an RST can discard unread data
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # deferred while rfile holds the socket...
            self.rfile.close()  # ...so this is the real close, and linger 0 makes it an RST

    def _check_alive(self) -> None:
        """Raise if the server is stopping or the client has hung up (readable + EOF on the socket)."""
        if self.fake._stop.is_set():
            raise _Stopping
        try:
            if _wait_readable(self.connection, 0) and self.connection.recv(1, socket.MSG_PEEK) == b"":
                raise _ClientGone
        except (OSError, ValueError):
            raise _ClientGone from None

    def _pause(self, seconds: float) -> None:
        """Sleep, but wake up at once when the server stops or the client hangs up."""
        self._check_alive()
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            step = min(remaining, 0.02)
            if _wait_readable(self.connection, step):
                self._check_alive()
                time.sleep(step)  # readable but not EOF (stray bytes): don't spin
            if self.fake._stop.is_set():
                raise _Stopping


# --------------------------------------------------------------------------------------------------------------
# Manual use.


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A fake Ollama server: echoes the last user message, "
                                                 "or replays a recorded stream for every chat request.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--chunk-delay", type=float, default=0.0, metavar="S", help="seconds between lines")
    parser.add_argument("--replay", type=Path, metavar="FILE", help="an .ndjson stream to send for every chat")
    parser.add_argument("--model", action="append", default=[], metavar="NAME", help="another model (repeatable)")
    parser.add_argument("--thinking-model", action="append", default=[], metavar="NAME",
                        help="another model that can think (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="don't print requests")
    args = parser.parse_args(argv)
    if args.replay and not args.replay.is_file():
        parser.error(f"no such file: {args.replay}")

    def log(text: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)

    fake = FakeOllama(host=args.host, port=args.port, chunk_delay=args.chunk_delay, replay=args.replay,
                      log=None if args.quiet else log)
    for name in args.model:
        fake.add_model(name)
    for name in args.thinking_model:
        fake.add_model(name, ("completion", "thinking"))
    with fake:
        print(f"fake Ollama serving on {fake.url}  (export OLLAMA_HOST={fake.host_port})", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
