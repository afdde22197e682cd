"""The `FakeOpenAI` server object: lifecycle, models, the key, the reply queue and the request log."""

from __future__ import annotations

import socket
import ssl
import threading
from collections import deque
from pathlib import Path
from typing import Any, Iterable

from fake_ollama.base import FakeServerBase
from fake_ollama.handler import Server
from fake_ollama.replies import Gate, pieces
from fake_ollama.tool_model import ToolModel
from fake_ollama.wire import Request, split_text

from .handler import Handler
from .wire import (
    CHAT_PATH,
    DEFAULT_MODEL,
    DEFAULT_WINDOW,
    HTML_TYPE,
    JSON_TYPE,
    MID_STREAM_ERROR,
    LlamaCpp,
    SSE_TYPE,
    CutMode,
    PlainReply,
    Queued,
    RawReply,
    StreamedReply,
    ToolScript,
    ToolStyle,
    body_bytes,
    error_body,
    last_user_text,
    tool_call,
)


class FakeOpenAI(FakeServerBase):
    CHAT_PATH = CHAT_PATH
    """A fake OpenAI-compatible server on 127.0.0.1 and a free port. Use as a context manager or `start()` /
    `stop()`. Thread-safe: tests queue replies and read the logs while handler threads serve the client.

    `api_key`: when set, every request must carry `Authorization: Bearer <api_key>` (else 401).
    `tls`: (certificate file, key file) to speak https.
    """

    def __init__(self, *, api_key: str | None = None, host: str = "127.0.0.1", port: int = 0,
                 chunk_delay: float = 0.0, tls: tuple[str | Path, str | Path] | None = None) -> None:
        self.host = host
        self.api_key = api_key
        self.chunk_delay = chunk_delay  # pacing of echo replies
        self._requested_port = port
        self._tls = tls
        self._models: dict[str, int | None] = {DEFAULT_MODEL: DEFAULT_WINDOW}
        self.llama_cpp: LlamaCpp | None = None
        self.tool_model: ToolModel | None = None  # script_tools(): a tool-calling model when nothing is queued
        self.tool_calling = True  # False: started without it (`tools_off`), so a request with tools is refused
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[Request] = []
        self._queue: deque[Queued] = deque()
        self._gates: list[Gate] = []
        self._holds: list[tuple[str | None, str, Gate]] = []
        self._trickles: list[tuple[str | None, str, Any]] = []  # (method, path, Trickle) of trickle_next()
        self._in_flight: dict[str, int] = {}  # path -> requests being answered now
        self._most_in_flight: dict[str, int] = {}
        self._overrides: dict[tuple[str | None, str], PlainReply] = {}
        self._disconnects = 0
        self._stop = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        if self._server is not None:
            return self
        self._stop.clear()
        self._server = Server((self.host, self._requested_port), Handler, self)  # type: ignore[arg-type]
        if self._tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(self._tls[0]), str(self._tls[1]))
            # the handshake happens in the handler's thread, at its first read, not in the accepting thread
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True,
                                                      do_handshake_on_connect=False)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fake-openai-{self.port}", daemon=True)
        self._thread.start()
        return self

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    @property
    def root(self) -> str:
        """The server, without the API's path: "http://127.0.0.1:PORT"."""
        return f"{'https' if self._tls else 'http'}://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The API's base URL, as OpenAI clients take it: "http://127.0.0.1:PORT/v1"."""
        return self.root + "/v1"

    # -- models ---------------------------------------------------------------------------------------------

    def add_model(self, name: str, max_model_len: int | None = DEFAULT_WINDOW) -> str:
        """Serve `name`; /v1/models lists its `max_model_len` (None: the field is left out, as OpenAI does),
        and a longer prompt is refused with vLLM's 400."""
        with self._lock:
            self._models[name] = max_model_len
        return name

    def like_llama_cpp(self, n_ctx: int, *, when: str = "before", server: str = "llama-server") -> None:
        """From now on answer as llama.cpp's servers do (see `wire.LlamaCpp`): every model is listed without its
        window, and a prompt of `n_ctx` tokens or more is refused `when` ("before" the stream, or "after" it
        has started)."""
        if when not in ("before", "after") or server not in ("llama-server", "llama-cpp-python"):
            raise ValueError(f"no such llama.cpp behaviour: {when!r}, {server!r}")
        with self._lock:
            self.llama_cpp = LlamaCpp(n_ctx, when, server)
            self._models = dict.fromkeys(self._models)

    def tools_off(self) -> None:
        """From now on answer a request that offers tools as a server started without tool calling does: vLLM
        without --enable-auto-tool-choice (HTTP 400), or, after `like_llama_cpp`, llama-server without --jinja
        (HTTP 500)."""
        self.tool_calling = False

    def script_tools(self, calls: Iterable[tuple[str, Any]], *, answer: str | None = None, thinking: str = "") -> None:
        """From now on, with no reply queued, act as a tool-calling model (fake_ollama's `tool_model.ToolModel`):
        a request that offers tools and ends with the user's message gets `calls` ((name, arguments) pairs,
        streamed in pieces by index as vLLM does, fresh IDs; `thinking` as reasoning first), one that ends with
        the tools' results an answer in text (`answer`, or one quoting each result). `calls=()` stops it."""
        calls = tuple(calls)
        self.tool_model = ToolModel(calls, answer, thinking) if calls else None

    def remove_model(self, name: str) -> None:
        with self._lock:
            self._models.pop(name, None)

    def model_list(self) -> list[tuple[str, int | None]]:
        with self._lock:
            return sorted(self._models.items())

    # -- scripting replies ----------------------------------------------------------------------------------

    def reply(self, content: str | list[str], *, reasoning: str | list[str] = "",
              reasoning_field: str = "reasoning_content", finish_reason: str | None = "auto",
              prompt_tokens: int | None = None, completion_tokens: int | None = None, usage: bool = True,
              done: bool = True, keep_alive: bool = False, newline: str = "\n", split_writes: bool = False,
              chunk_delay: float = 0.0, first_delay: float = 0.0, error_after: int | None = None,
              error: dict[str, Any] | None = None, cut_after: int | None = None, cut_mode: CutMode = "eof",
              hold_after: int | None = None, tool_calls: Iterable[ToolScript] = (), tool_style: ToolStyle = "openai",
              interleave: bool = False) -> Gate:
        """Queue a chat reply. A str is split into 3-character pieces, a list is sent piece by piece, one
        chunk each, reasoning (in `reasoning_field`: "reasoning_content" or "reasoning") first.

        The stream ends with a chunk carrying `finish_reason` (None: no such chunk), the usage chunk when the
        request asked for it (`usage=False`: left out; counts default to the prompt's fake tokens and one token
        a piece), then `data: [DONE]` (`done=False`: left out). `error_after=N`: N content pieces, then
        `data: {"error": ...}` (`error`, OpenAI's shape) and [DONE]; "stream": false gets a 500 with it.
        `cut_after=N`: N content pieces, then the stream stops ("eof": the chunked body ends properly; "reset":
        RST). `hold_after=N`: N content pieces, then wait for `release()` on the returned Gate (0: before the
        headers). `keep_alive`: a `: keep-alive` comment before every event; `newline="\\r\\n"` frames the
        events with CRLF; `split_writes`: every event in two chunks, cut inside a multi-byte character.

        `tool_calls` (`wire.tool_call(name, arguments)`): after the content, streamed as the servers do, a chunk
        per entry of `delta.tool_calls` (`tool_style`, `interleave`: see `wire.ToolScript.deltas` and
        `wire.tool_chunks`); these chunks count as pieces after the content pieces (for `hold_after`,
        `cut_after`, `error_after`). `finish_reason` "auto" is "tool_calls" for a reply with calls, else "stop".
        With "stream": false they are the message's `tool_calls`, whole.
        """
        if cut_mode not in ("eof", "reset"):
            raise ValueError(f"cut_mode must be 'eof' or 'reset', not {cut_mode!r}")
        tool_calls = tuple(tool_calls)
        if finish_reason == "auto":
            finish_reason = "tool_calls" if tool_calls else "stop"
        return self._enqueue(StreamedReply(
            content=pieces(content), reasoning=pieces(reasoning), reasoning_field=reasoning_field,
            finish_reason=finish_reason, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
            usage=usage, done=done, keep_alive=keep_alive, newline=newline, split_writes=split_writes,
            chunk_delay=chunk_delay, first_delay=first_delay, error_after=error_after,
            error=error or error_body(MID_STREAM_ERROR, "internal_server_error", 500), cut_after=cut_after,
            cut_mode=cut_mode, gate=Gate(hold_after), tool_calls=tool_calls, tool_style=tool_style,
            interleave=interleave))

    def reply_status(self, status: int, body: bytes | str | dict[str, Any], content_type: str = JSON_TYPE, *,
                     headers: dict[str, str] | None = None, hold_after: int | None = None) -> Gate:
        """Queue a plain answer: `reply_status(500, error_body("boom", "server_error"))`, an HTML page, a 429 with
        `headers={"Retry-After": "7"}`. `hold_after=0` holds it until `release()`."""
        if hold_after not in (None, 0):
            raise ValueError("a status reply has no pieces: hold_after can only be 0")
        return self._enqueue(PlainReply(status, body_bytes(body), content_type, tuple((headers or {}).items()),
                                        Gate(hold_after)))

    def reply_html(self, status: int = 200, text: str = "<html><body><h1>Welcome to nginx!</h1></body></html>") -> Gate:
        return self.reply_status(status, text, HTML_TYPE)

    def reply_raw(self, chunks: list[bytes], *, status: int = 200, content_type: str = SSE_TYPE,
                  split_writes: bool = False, cut_after: int | None = None, cut_mode: CutMode = "eof",
                  hold_after: int | None = None) -> Gate:
        """Queue arbitrary bytes, each item one HTTP chunk, exactly as given (`wire.sse(obj)` frames an event).
        `cut_after=N` stops after N items; `hold_after=N` waits after N items for `release()`."""
        return self._enqueue(RawReply(tuple(chunks), status, content_type, split_writes, cut_after, cut_mode,
                                      Gate(hold_after)))

    def hold_next(self, path: str, *, method: str | None = None) -> Gate:
        """Hold the next request to `path` (e.g. "/v1/models") at a gate, then answer it as usual."""
        gate = Gate(0)
        with self._lock:
            self._holds.append((method.upper() if method else None, path, gate))
            self._gates.append(gate)
        return gate

    def override(self, path: str, status: int, body: bytes | str | dict[str, Any], content_type: str = JSON_TYPE,
                 *, method: str | None = None, headers: dict[str, str] | None = None) -> None:
        """Answer every request to `path` with this (before the key check), until `clear_overrides()`."""
        with self._lock:
            self._overrides[(method.upper() if method else None, path)] = PlainReply(
                status, body_bytes(body), content_type, tuple((headers or {}).items()))

    # -- what was received ----------------------------------------------------------------------------------

    # -- used by the handler (and fake_ollama's, whose reading and logging it inherits) -------------------

    def _next_reply(self, body: dict[str, Any]) -> Queued:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        model = self.tool_model
        turn = model.turn(body) if model is not None else None
        if model is not None and turn == "call":
            return StreamedReply(content=(), reasoning=tuple(split_text(model.thinking)), finish_reason="tool_calls",
                                 chunk_delay=self.chunk_delay,
                                 tool_calls=tuple(tool_call(name, arguments) for name, arguments in model.calls))
        if model is not None and turn == "answer":
            return StreamedReply(content=tuple(split_text(model.answer_text(body))), chunk_delay=self.chunk_delay)
        return StreamedReply(content=tuple(split_text("echo: " + last_user_text(body))), chunk_delay=self.chunk_delay)
