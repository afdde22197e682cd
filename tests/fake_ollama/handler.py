"""The HTTP side: a threading server and the request handler that answers as Ollama would."""

from __future__ import annotations

import hashlib
import json
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Sequence

from .replies import Gate, LinesReply, ScriptedReply, StatusReply, estimate_prompt_tokens
from .stream import ClientGone, Stopping, StreamWriter
from .wire import (
    DEFAULT_MODEL,
    JSON_TYPE,
    OLLAMA_VERSION,
    PULL_ERROR,
    TEXT_TYPE,
    Headers,
    ModelInfo,
    Request,
    content_line,
    created_at,
    done_line,
    go_json,
    normalize_model,
    path_only,
    split_point,
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


class Handler(StreamWriter):
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
        try:
            self._route(request)
        except Stopping:
            self.close_connection = True
        except (ClientGone, OSError, ValueError):
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
        path, method = path_only(request.path), request.method
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
        prompt_eval_count = pick(reply.prompt_eval_count, estimate_prompt_tokens(request))
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
        gate = reply.gate
        self._pause(reply.first_delay)
        if not stream:
            message: dict[str, Any] = {"role": "assistant", "content": "".join(reply.content)}
            if reply.thinking:
                message["thinking"] = "".join(reply.thinking)
            obj = {"model": model, "created_at": created_at(), "message": message, "done": True,
                   "done_reason": reply.done_reason}
            obj.update({k: v for k, v in self._final_fields(reply, request).items() if v})
            if gate.hold_after is not None:
                self._hold(gate)
            if cut:
                self._send_truncated(go_json(obj), reply.cut_mode)
            elif failed:
                self._send_json(500, {"error": reply.error_text})
            else:
                self._send_json(200, obj)
                gate._advance(n)
            gate._finish()
            return
        lines = [content_line("", thinking=t, model=model) for t in reply.thinking]
        lines += [content_line(c, model=model) for c in reply.content[:stop_at]]
        if gate.hold_after == 0:
            self._hold(gate)
        self._start_stream()
        self._stream_lines(lines, gate, reply.chunk_delay, uncounted=len(reply.thinking))
        if cut:
            self._cut(reply.cut_mode)
        else:
            if lines:
                self._pause(reply.chunk_delay)
            if failed:
                self._write_chunk(go_json({"error": reply.error_text}) + b"\n")
            else:
                self._write_chunk(done_line(model=model, done_reason=reply.done_reason,
                                            **self._final_fields(reply, request)))
            self._end_stream()
        gate._finish()

    def _send_lines(self, reply: LinesReply) -> None:
        lines = reply.lines if reply.cut_after is None else reply.lines[:reply.cut_after]
        self._pause(reply.first_delay)
        if reply.gate.hold_after == 0:
            self._hold(reply.gate)
        self._start_stream(reply.status, reply.content_type)
        self._stream_lines(lines, reply.gate, reply.chunk_delay, split_writes=reply.split_writes)
        if reply.cut_after is not None:
            self._cut(reply.cut_mode)
        else:
            self._end_stream()
        reply.gate._finish()

    def _stream_lines(self, lines: Sequence[bytes], gate: Gate, delay: float, *, uncounted: int = 0,
                      split_writes: bool = False) -> None:
        """Write `lines`, one chunk each, `delay` apart. The gate counts the lines after the first `uncounted`
        (the thinking) and holds the reply after its `hold_after`-th counted line, or after the last if fewer."""
        for i, line in enumerate(lines):
            if i:
                self._pause(delay)
            if split_writes and len(line) > 1:
                cut = split_point(line)
                self._write_chunk(line[:cut])
                self._pause(0.01)  # pacing: the halves leave as separate TCP segments
                self._write_chunk(line[cut:])
            else:
                self._write_chunk(line)
            if i >= uncounted:
                gate._advance()
                if gate.sent == gate.hold_after:
                    self._hold(gate)
        if gate.hold_after is not None and gate.sent < gate.hold_after:
            self._hold(gate)

    def _send_aggregated(self, reply: LinesReply) -> None:
        """A recorded stream answered as Ollama answers "stream": false: one object, the content joined."""
        objs = [json.loads(line) for line in reply.lines if line.strip()]
        errors = [o for o in objs if isinstance(o, dict) and "error" in o]
        self._pause(reply.first_delay)
        if reply.gate.hold_after is not None:
            self._hold(reply.gate)
        if errors:
            self._send_json(500, {"error": errors[0]["error"]})
            reply.gate._finish()
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
            reply.gate._advance(len(objs))
        reply.gate._finish()

    def _send_status_reply(self, reply: StatusReply) -> None:
        self._pause(reply.first_delay)
        if reply.gate.hold_after is not None:
            self._hold(reply.gate)
        self._send(reply.status, reply.body, reply.content_type)
        reply.gate._finish()
