"""The HTTP side: a threading server, and the request handler that reads, logs, validates and routes requests
and answers the endpoints as Ollama would (chat replies are sent by `chat.ChatReplies`)."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .chat import ChatReplies
from .replies import LinesReply, StatusReply, prompt_tokens
from .stream import ClientGone, Stopping
from .web import proxy_answer
from .wire import (
    OLLAMA_VERSION,
    PULL_ERROR,
    TEXT_TYPE,
    Headers,
    ModelInfo,
    Request,
    go_json,
    normalize_model,
    path_only,
    registry_name,
)

if TYPE_CHECKING:
    from .server import FakeOllama


class Server(ThreadingHTTPServer):
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


class Handler(ChatReplies):
    protocol_version = "HTTP/1.1"
    server: Server

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
        self.fake._arrive(path_only(self.path), +1)
        try:
            self._route(request)
        except Stopping:
            self.close_connection = True
        except (ClientGone, OSError, ValueError):
            self.close_connection = True
            if not self.fake._stop.is_set():
                self.fake._record_disconnect()
        finally:
            self.fake._arrive(path_only(self.path), -1)

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
        path, method = path_only(request.path), request.method
        trickle = self.fake._take_trickle(method, path)
        if trickle is not None:
            self._trickle(trickle, path)
            return
        held = self.fake._take_hold(method, path)
        if held is not None:
            self._hold(held)
        self._answer(request, path, method)
        if held is not None:
            held._finish()

    def _answer(self, request: Request, path: str, method: str) -> None:
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
        elif path in ("/api/experimental/web_search", "/api/experimental/web_fetch") and method == "POST":
            self._send_json(*proxy_answer(self.fake, request, path.rsplit("/", 1)[1]))
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
             "expires_at": "2099-01-01T00:00:00Z", "size_vram": i.size, "context_length": self.fake.window_of(i.name)}
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
        with self.fake._lock:
            gate = self.fake._show_holds.pop(info.name, None)
        if gate is not None:
            self._hold(gate)
            gate._finish()
        if info.name in {normalize_model(m) for m in self.fake.unshowable}:
            self._send_json(500, {"error": f"open /root/.ollama/models/manifests/registry.ollama.ai/library/{info.name}: "
                                           "no such file or directory"})
            return
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
        refused = _tools_error(request.json) if isinstance(request.json, dict) else None
        if refused:  # Go's decoder, before anything else
            self._send_json(400, {"error": refused})
            return
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
        if request.json.get("tools") and "tools" not in info.capabilities:  # server/routes.go: scheduleRunner's check
            self._send_json(400, {"error": f"{registry_name(name)} does not support tools"})
            return
        messages = request.json.get("messages") if isinstance(request.json.get("messages"), list) else []
        images = [i for m in messages if isinstance(m, dict) for i in (m.get("images") or ())]
        if any(not _is_base64(i) for i in images):
            self._send_json(400, {"error": "illegal base64 data at input byte 0"})
            return
        if images and "vision" not in info.capabilities:  # what Ollama answers for a model without a projector
            self._send_json(500, {"error": "this model is missing data required for image input"})
            return
        options = request.json.get("options") if isinstance(request.json.get("options"), dict) else {}
        num_ctx = options.get("num_ctx") if isinstance(options.get("num_ctx"), int) else None
        self.fake._mark_loaded(name, num_ctx)
        if prompt_tokens(messages, self.fake.window_of(name), self.fake.tokens)[1]:  # over the window
            if request.json.get("truncate") is False:
                self._send_json(400, {"error": "the input length exceeds the context length"})
                return
            with self.fake._lock:
                self.fake.cut_prompts.append(request.json)
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


def _tools_error(body: dict[str, Any]) -> str | None:
    """What Go's decoder says of `tools` and of the messages' `tool_calls` in a shape api.ChatRequest cannot
    take (the arguments of a call must be a JSON object), or None."""
    tools = body.get("tools")
    if tools is not None and (not isinstance(tools, list) or not all(
            isinstance(t, dict) and isinstance(t.get("function"), dict) for t in tools)):
        return "json: cannot unmarshal " + _go_kind(tools) + " into Go struct field ChatRequest.tools of type api.Tools"
    for message in body.get("messages") or ():
        calls = message.get("tool_calls") if isinstance(message, dict) else None
        for call in calls if isinstance(calls, list) else ():
            function = call.get("function") if isinstance(call, dict) else None
            arguments = function.get("arguments") if isinstance(function, dict) else None
            if arguments is not None and not isinstance(arguments, dict):
                return (f"json: cannot unmarshal {_go_kind(arguments)} into Go struct field "
                        "ToolCallFunction.messages.tool_calls.function.arguments of type map[string]interface {}")
    return None


def _go_kind(value: object) -> str:
    return {str: "string", list: "array", dict: "object", bool: "bool"}.get(type(value), "number")


def _is_base64(value: object) -> bool:
    try:
        return isinstance(value, str) and bool(base64.b64decode(value, validate=True))
    except ValueError:
        return False
