"""Answering requests as an OpenAI-compatible server (vLLM's behaviour where servers differ): the key check,
GET /v1/models, POST /v1/chat/completions streamed as SSE or whole, errors in OpenAI's shape.

Reading, logging and hang-up detection are fake_ollama's handler's (this one only routes differently), and
writing chunks, pauses, gates and cuts are its StreamWriter's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fake_ollama.handler import Handler as OllamaHandler
from fake_ollama.wire import Request, split_point

from .wire import (
    CHAT_PATH,
    LlamaCpp,
    DONE,
    JSON_TYPE,
    KEEP_ALIVE,
    MODELS_PATH,
    SSE_TYPE,
    PlainReply,
    RawReply,
    StreamedReply,
    chunk,
    completion,
    completion_id,
    dumps,
    error_body,
    model_entry,
    prompt_tokens,
    sse,
    tool_chunks,
    tools_error,
    tools_off_refusal,
    usage_chunk,
)

if TYPE_CHECKING:
    from .server import FakeOpenAI


class Handler(OllamaHandler):
    def version_string(self) -> str:
        return "uvicorn"

    @property
    def fake(self) -> FakeOpenAI:  # type: ignore[override]
        return self.server.fake  # type: ignore[return-value]

    def _answer(self, request: Request, path: str, method: str) -> None:
        override = self.fake._override_for(method, path)
        if override is not None:
            self._send_plain(override)
        elif not self._key_accepted(request):
            return
        elif path == MODELS_PATH and method == "GET":
            self._send_json(200, {"object": "list", "data": [model_entry(n, w) for n, w in self.fake.model_list()]})
        elif path.startswith(MODELS_PATH + "/") and method == "GET":
            name = path[len(MODELS_PATH) + 1:]
            window = dict(self.fake.model_list()).get(name, -1)
            if window == -1:
                self._send_json(404, error_body(f"The model `{name}` does not exist.", "NotFoundError", 404, "model"))
            else:
                self._send_json(200, model_entry(name, window))
        elif path == CHAT_PATH and method == "POST":
            self._chat(request)
        elif path == "/props" and method == "GET" and self.fake.llama_cpp and self.fake.llama_cpp.server == "llama-server":
            self._send_json(200, self.fake.llama_cpp.props(self.fake.model_list()[0][0]))
        else:  # FastAPI's answer for a route that is not there
            self._send_json(404, {"detail": "Not Found"})

    def _send_json(self, status: int, obj: Any) -> None:
        self._send(status, dumps(obj), JSON_TYPE)

    def _send_plain(self, reply: PlainReply) -> None:
        if reply.gate.hold_after is not None:
            self._hold(reply.gate)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)
        reply.gate._finish()

    def _key_accepted(self, request: Request) -> bool:
        """With a key required: 401 in OpenAI's words, except that a wrong key is echoed whole (OpenAI shows a
        masked one; a client must never pass it on, so the fake makes that easy to check)."""
        want = self.fake.api_key
        if want is None:
            return True
        got = request.headers.get("Authorization", "")
        if got == f"Bearer {want}":
            return True
        if not got:
            self._send_json(401, error_body(
                "You didn't provide an API key. You need to provide your API key in an Authorization header using "
                "Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error"))
        else:
            key = got.removeprefix("Bearer ")
            self._send_json(401, error_body(f"Incorrect API key provided: {key}.", "invalid_request_error",
                                            "invalid_api_key"))
        return False

    # -- chat -----------------------------------------------------------------------------------------------

    def _chat(self, request: Request) -> None:
        """Validate like vLLM (validation errors do not consume a queued reply), then send the next reply."""
        body = request.json
        if not isinstance(body, dict):
            self._send_json(400, error_body("Expecting value: the body is not a JSON object", "BadRequestError", 400))
            return
        model, messages = body.get("model"), body.get("messages")
        if not isinstance(messages, list) or not messages:
            self._send_json(400, error_body("messages: Field required", "BadRequestError", 400))
            return
        refused = tools_error(body)
        if refused:
            self._send_json(400, error_body(refused, "invalid_request_error", None, "messages"))
            return
        windows = dict(self.fake.model_list())
        if model not in windows:
            self._send_json(404, error_body(f"The model `{model}` does not exist.", "NotFoundError", 404, "model"))
            return
        window = windows[model]
        asked = body.get("max_tokens") if isinstance(body.get("max_tokens"), int) else 0
        tokens = prompt_tokens(messages)
        llama = self.fake.llama_cpp
        if llama is not None and tokens >= llama.n_ctx:
            self._llama_refusal(llama, tokens, str(model), body.get("stream") is True)
            return
        if window is not None and tokens + asked > window:
            self._send_json(400, error_body(
                f"This model's maximum context length is {window} tokens. However, you requested {tokens + asked} "
                f"tokens ({tokens} in the messages, {asked} in the completion). Please reduce the length of the "
                "messages or completion.", "BadRequestError", 400))
            return
        if body.get("tools") and not self.fake.tool_calling:
            self._send_json(*tools_off_refusal(llama))
            return
        reply = self.fake._next_reply(body)
        stream = body.get("stream") is True
        options = body.get("stream_options") if isinstance(body.get("stream_options"), dict) else {}
        if isinstance(reply, PlainReply):
            self._send_plain(reply)
        elif isinstance(reply, RawReply):
            self._send_raw(reply)
        elif stream:
            self._send_stream(reply, str(model), tokens, bool(options.get("include_usage")))
        else:
            self._send_whole(reply, str(model), tokens)

    def _llama_refusal(self, llama: LlamaCpp, tokens: int, model: str, stream: bool) -> None:
        """A prompt over llama.cpp's window: refused before the stream, or (streaming, "after") once it started."""
        if llama.when == "before" or not stream:
            self._send_json(400, llama.refusal(tokens))
            return
        self._start_stream(200, SSE_TYPE)
        self._write_chunk(sse(chunk(completion_id(), model, {"role": "assistant"})))
        self._write_chunk(sse({"error": llama.stream_error(tokens)["error"]}))
        self._end_stream()

    def _send_whole(self, reply: StreamedReply, model: str, tokens: int) -> None:
        self._pause(reply.first_delay)
        if reply.gate.hold_after is not None:
            self._hold(reply.gate)
        n = len(reply.content)
        obj = completion(model, "".join(reply.content), "".join(reply.reasoning), reply.reasoning_field,
                         reply.finish_reason or "stop", _pick(reply.prompt_tokens, tokens),
                         _pick(reply.completion_tokens, n + len(reply.reasoning) + len(reply.tool_calls)), reply.tool_calls)
        if reply.cut_after is not None:
            self._send_truncated(dumps(obj), reply.cut_mode)
        elif reply.error_after is not None:
            self._send_json(500, reply.error)
        else:
            self._send_json(200, obj)
            reply.gate._advance(n)
        reply.gate._finish()

    def _send_stream(self, reply: StreamedReply, model: str, tokens: int, include_usage: bool) -> None:
        """role chunk, reasoning chunks, content chunks, tool call chunks, the finish chunk, the usage chunk,
        [DONE]; each event one HTTP chunk. A cut or an error event (followed by [DONE], as vLLM does) replaces
        the end. Counts are of content and tool call chunks together."""
        cid, gate, nl = completion_id(), reply.gate, reply.newline
        deltas = [{"content": piece} for piece in reply.content]
        deltas += [{"tool_calls": [entry]} for entry in tool_chunks(reply.tool_calls, reply.tool_style, reply.interleave)]
        n = len(deltas)
        cut_at = None if reply.cut_after is None else min(reply.cut_after, n)
        error_at = None if reply.error_after is None else min(reply.error_after, n)
        cut = cut_at is not None and (error_at is None or cut_at <= error_at)
        stop_at = cut_at if cut else error_at if error_at is not None else n

        def event(delta: dict[str, Any], finish: str | None = None) -> bytes:
            return sse(chunk(cid, model, delta, finish, include_usage=include_usage), nl)

        self._pause(reply.first_delay)
        if gate.hold_after == 0:
            self._hold(gate)
        self._start_stream(200, SSE_TYPE)
        self._event(reply, event({"role": "assistant", "content": ""}))
        for piece in reply.reasoning:
            self._event(reply, event({reply.reasoning_field: piece}), pause=True)
        for delta in deltas[:stop_at]:
            self._event(reply, event(delta), pause=True)
            gate._advance()
            if gate.sent == gate.hold_after:
                self._hold(gate)
        if gate.hold_after is not None and gate.sent < gate.hold_after:
            self._hold(gate)
        if cut:
            self._cut(reply.cut_mode)
            gate._finish()
            return
        if error_at is not None:
            self._event(reply, sse(reply.error, nl), pause=True)
        else:
            if reply.finish_reason is not None:
                self._event(reply, event({}, reply.finish_reason), pause=True)
            if include_usage and reply.usage:
                self._event(reply, sse(usage_chunk(cid, model, _pick(reply.prompt_tokens, tokens),
                                                   _pick(reply.completion_tokens, n + len(reply.reasoning))), nl))
        if reply.done:
            self._event(reply, DONE.replace(b"\n", nl.encode()))
        self._end_stream()
        gate._finish()

    def _event(self, reply: StreamedReply, data: bytes, *, pause: bool = False) -> None:
        if pause:
            self._pause(reply.chunk_delay)
        if reply.keep_alive:
            self._write_chunk(KEEP_ALIVE)
        self._write_split(data, reply.split_writes)

    def _write_split(self, data: bytes, split: bool) -> None:
        """One HTTP chunk; with `split`, two, cut inside a multi-byte character when there is one."""
        if split and len(data) > 1:
            cut = split_point(data)
            self._write_chunk(data[:cut])
            self._pause(0.01)  # pacing: the halves leave as separate TCP segments
            self._write_chunk(data[cut:])
        else:
            self._write_chunk(data)

    def _send_raw(self, reply: RawReply) -> None:
        chunks = reply.chunks if reply.cut_after is None else reply.chunks[:reply.cut_after]
        if reply.gate.hold_after == 0:
            self._hold(reply.gate)
        self._start_stream(reply.status, reply.content_type)
        for data in chunks:
            self._write_split(data, reply.split_writes)
            reply.gate._advance()
            if reply.gate.sent == reply.gate.hold_after:
                self._hold(reply.gate)
        if reply.cut_after is not None:
            self._cut(reply.cut_mode)
        else:
            self._end_stream()
        reply.gate._finish()


def _pick(value: int | None, default: int) -> int:
    return default if value is None else value

