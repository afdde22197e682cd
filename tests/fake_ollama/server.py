"""The `FakeOllama` server object: lifecycle, models, the reply queue and the request log."""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Iterable

from .base import FakeServerBase
from .handler import Handler, Server
from .tool_model import ToolModel
from .web import WebIndex
from .replies import (DEFAULT_WINDOW, Gate, LinesReply, QueuedReply, ScriptedReply, StatusReply, Tokenizer, fake_tokens,
                      last_user_content, message_tokens, pieces, prompt_tokens)
from .wire import (
    DEFAULT_MODEL,
    MID_STREAM_ERROR,
    NDJSON_TYPE,
    CutMode,
    ModelInfo,
    Request,
    body_bytes,
    normalize_model,
    read_lines,
    split_text,
    tool_call,
)


def _indexed(calls: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Calls with `function.index` set to their place, as Ollama numbers the calls of a reply."""
    out = []
    for i, call in enumerate(calls):
        call = dict(call)
        if isinstance(call.get("function"), dict):
            call["function"] = {**call["function"], "index": i}
        out.append(call)
    return out


class FakeOllama(FakeServerBase):
    """A fake Ollama server on 127.0.0.1 and a free port. Use as a context manager or `start()` / `stop()`.

    Thread-safe: tests queue replies and read the logs while handler threads serve the client.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, chunk_delay: float = 0.0,
                 replay: str | Path | None = None, log: Callable[[str], None] | None = None,
                 tokens: Tokenizer = fake_tokens) -> None:
        self.host = host
        self.tokens = tokens  # the model's tokenizer: prompt and reply counts, and what is over the window
        self.default_window = DEFAULT_WINDOW  # a model's window when num_ctx is not given (OLLAMA_CONTEXT_LENGTH)
        self._requested_port = port
        self.chunk_delay = chunk_delay  # pacing of echo replies, pull progress and the default replay
        self.default_replay: Path | None = Path(replay) if replay else None  # replayed when the queue is empty
        self.models: set[str] = {DEFAULT_MODEL}
        self.unpullable: set[str] = set()
        self.unshowable: set[str] = set()  # models whose /api/show fails (HTTP 500), as a broken manifest's does
        self._show_holds: dict[str, Gate] = {}  # model -> the gate its next /api/show waits at (hold_show)
        self._log = log
        self._info: dict[str, ModelInfo] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[Request] = []
        self._queue: deque[QueuedReply] = deque()
        self._gates: list[Gate] = []  # of every queued reply and hold, for release()
        self._holds: list[tuple[str | None, str, Gate]] = []  # (method, path, gate) of hold_next()
        self._trickles: list[tuple[str | None, str, Any]] = []  # (method, path, Trickle) of trickle_next()
        self._in_flight: dict[str, int] = {}  # path -> requests being answered now
        self._most_in_flight: dict[str, int] = {}
        self._overrides: dict[tuple[str | None, str], StatusReply] = {}
        self._loaded: dict[str, float] = {}
        self._windows: dict[str, int] = {}  # model -> the window it is loaded with (num_ctx, else 4096)
        self._prompt_cache: dict[str, list[Any]] = {}  # model -> the messages of its last prompt
        self.cut_prompts: list[Any] = []  # chat requests whose prompt was over the window and cut, as Ollama does
        self.web = WebIndex()  # what /api/experimental/web_search and web_fetch answer once signed in (web.py)
        self.tool_model: ToolModel | None = None  # script_tools(): a tool-calling model when nothing is queued
        self.web_signed_in = False  # as a fresh Ollama: its web search proxy answers 401 until `ollama signin`
        self.cloud_disabled = False  # OLLAMA_NO_CLOUD on the server: the proxy answers 403
        self._disconnects = 0
        self._stop = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> FakeOllama:
        if self._server is not None:
            return self
        self._stop.clear()
        self._server = Server((self.host, self._requested_port), Handler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fake-ollama-{self.port}", daemon=True)
        self._thread.start()
        return self

    def __enter__(self) -> FakeOllama:
        return self.start()

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
            if want not in self.models and not any(normalize_model(m) == want for m in self.models):
                return None
            return self._info.get(want) or ModelInfo(want)

    # -- scripting replies ----------------------------------------------------------------------------------

    def reply(self, content: str | list[str], *, thinking: str | list[str] = "", done_reason: str = "stop",
              eval_count: int | None = None, eval_duration: int | None = None,
              prompt_eval_count: int | None = None, prompt_eval_duration: int | None = None,
              load_duration: int | None = None, total_duration: int | None = None,
              chunk_delay: float = 0.0, first_delay: float = 0.0, error_after: int | None = None,
              error_text: str = MID_STREAM_ERROR, cut_after: int | None = None,
              cut_mode: CutMode = "eof", hold_after: int | None = None,
              tool_calls: Iterable[dict[str, Any]] = (), tool_calls_each: bool = False,
              tool_calls_on_done: bool = False) -> Gate:
        """Queue a chat reply. A str is split into 3-character pieces, a list is sent piece by piece.

        `tool_calls`: whole calls (`wire.tool_call(name, arguments)`, their `index` set here to their place), sent
        after the content as Ollama sends them: together in one line (`"content": ""`), then the done line with
        done_reason "stop"; `tool_calls_each`: a line per call; `tool_calls_on_done`: on the done line itself.
        The lines count as pieces after the content for `hold_after`; they go out before a `cut_after` equal to
        the number of content pieces (a cut between the calls and the done line). With "stream": false they are
        the message's `tool_calls`.

        Thinking pieces go first. Metrics left as None get plausible values (eval_count = number of pieces);
        pass 0 to leave one out. `error_after=N`: N content pieces, then an `{"error": error_text}` line
        instead of the done line (the status stays 200). `cut_after=N`: N content pieces, then the stream
        stops with no done line: "eof" ends the chunked body cleanly, "reset" drops the connection (RST).
        If both are given the smaller wins, a tie goes to the cut. `first_delay` delays the response headers
        (a slow model load); `chunk_delay` paces the lines (a slow model). `hold_after=N`: N content pieces,
        then wait for `release()` on the returned `Gate` (with "stream": false the whole answer waits).
        """
        if cut_mode not in ("eof", "reset"):
            raise ValueError(f"cut_mode must be 'eof' or 'reset', not {cut_mode!r}")
        return self._enqueue(ScriptedReply(
            content=pieces(content), thinking=pieces(thinking), done_reason=done_reason,
            eval_count=eval_count, eval_duration=eval_duration, prompt_eval_count=prompt_eval_count,
            prompt_eval_duration=prompt_eval_duration, load_duration=load_duration,
            total_duration=total_duration, chunk_delay=chunk_delay, first_delay=first_delay,
            error_after=error_after, error_text=error_text, cut_after=cut_after, cut_mode=cut_mode,
            gate=Gate(hold_after), tool_calls=tuple(_indexed(tool_calls)), tool_calls_each=tool_calls_each,
            tool_calls_on_done=tool_calls_on_done))

    def reply_status(self, status: int, body: bytes | str | dict[str, Any], content_type: str = "application/json",
                     *, first_delay: float = 0.0, hold_after: int | None = None) -> Gate:
        """Queue a plain answer: `reply_status(500, {"error": "boom"})`, or an HTML page with 200.
        It has no pieces: `hold_after=0` holds it whole until `release()`; other counts are refused."""
        if hold_after not in (None, 0):
            raise ValueError("a status reply has no pieces: hold_after can only be 0")
        return self._enqueue(StatusReply(status, body_bytes(body), content_type, first_delay, Gate(hold_after)))

    def replay(self, path: str | Path, *, chunk_delay: float = 0.0, first_delay: float = 0.0,
               cut_after: int | None = None, cut_mode: CutMode = "eof", hold_after: int | None = None) -> Gate:
        """Queue a recorded .ndjson stream, sent byte for byte, one HTTP chunk per line.

        `cut_after=N` stops after N lines (no done line); `hold_after=N` waits after N lines for `release()`.
        A request with "stream": false gets the recording folded into one JSON object, as Ollama would have
        answered it.
        """
        return self._enqueue(LinesReply(read_lines(Path(path)), chunk_delay, first_delay, cut_after, cut_mode,
                                        aggregate=True, gate=Gate(hold_after)))

    def reply_raw(self, lines: list[bytes], *, split_writes: bool = False, chunk_delay: float = 0.0,
                  first_delay: float = 0.0, status: int = 200, content_type: str = NDJSON_TYPE,
                  cut_after: int | None = None, cut_mode: CutMode = "eof", hold_after: int | None = None) -> Gate:
        """Queue arbitrary bytes, each item one HTTP chunk, exactly as given (add your own newlines).

        `split_writes=True` sends every item as two chunks, cut inside a multi-byte UTF-8 character when
        there is one, with a short pause between: the client must reassemble lines and characters.
        `hold_after=N` waits after N items for `release()`.
        """
        return self._enqueue(LinesReply(tuple(lines), chunk_delay, first_delay, cut_after, cut_mode, split_writes,
                                        status, content_type, gate=Gate(hold_after)))

    def hold_next(self, path: str, *, method: str | None = None) -> Gate:
        """Hold the next request to `path` (any method unless `method`) at a gate, then answer it as usual.

        For endpoints other than /api/chat (whose replies take `hold_after`): e.g. the /api/show a client sends
        as it starts, to keep it starting while a test types ahead. Holds stack up, first come first served.
        """
        gate = Gate(0)
        with self._lock:
            self._holds.append((method.upper() if method else None, path, gate))
            self._gates.append(gate)
        return gate

    def hold_show(self, name: str) -> Gate:
        """Hold the next /api/show of model `name` (its full name) at a gate, then answer it as usual."""
        gate = Gate(0)
        with self._lock:
            self._show_holds[normalize_model(name)] = gate
            self._gates.append(gate)
        return gate

    def add_models(self, names: Iterable[str]) -> None:
        """Many models at once, with the defaults (a benchmark's thousands)."""
        with self._lock:
            for name in names:
                full = normalize_model(name)
                self._info[full] = ModelInfo(full)
                self.models.add(full)

    def override(self, path: str, status: int, body: bytes | str | dict[str, Any],
                 content_type: str = "application/json", *, method: str | None = None) -> None:
        """Answer every request to `path` (any method unless `method`) with this, until `clear_overrides()`.
        For endpoints other than /api/chat, e.g. a /api/show that fails or a web server that is not Ollama."""
        with self._lock:
            self._overrides[(method.upper() if method else None, path)] = StatusReply(
                status, body_bytes(body), content_type)

    def script_tools(self, calls: Iterable[tuple[str, Any]], *, answer: str | None = None, thinking: str = "") -> None:
        """From now on, with no reply queued, act as a tool-calling model (`tool_model.ToolModel`): a request
        that offers tools and ends with the user's message gets `calls` ((name, arguments) pairs, whole, in one
        line, fresh IDs; `thinking` first when the request asks to think), one that ends with the tools' results
        an answer in text (`answer`, or one quoting each result). `calls=()` stops it."""
        calls = tuple(calls)
        self.tool_model = ToolModel(calls, answer, thinking) if calls else None

    def clear_replies(self) -> None:
        with self._lock:
            self._queue.clear()

    # -- what was received ----------------------------------------------------------------------------------

    # -- used by the handler --------------------------------------------------------------------------------

    def _next_reply(self, request: dict[str, Any]) -> QueuedReply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        model = self.tool_model
        turn = model.turn(request) if model is not None else None
        if model is not None and turn == "call":
            thinking = model.thinking if request.get("think") not in (None, False) else ""
            return ScriptedReply(content=(), thinking=tuple(split_text(thinking)), chunk_delay=self.chunk_delay,
                                 tool_calls=tuple(_indexed(tool_call(name, arguments) for name, arguments in model.calls)))
        if model is not None and turn == "answer":
            return ScriptedReply(content=tuple(split_text(model.answer_text(request))), chunk_delay=self.chunk_delay)
        if self.default_replay is not None:
            return LinesReply(read_lines(self.default_replay), self.chunk_delay, aggregate=True)
        return ScriptedReply(content=tuple(split_text("echo: " + last_user_content(request))),
                             chunk_delay=self.chunk_delay)

    def _mark_loaded(self, name: str, num_ctx: int | None = None) -> None:
        """Load the model, with `num_ctx` or Ollama's default window (a different num_ctx reloads it)."""
        with self._lock:
            self._loaded[normalize_model(name)] = time.time()
            self._windows[normalize_model(name)] = num_ctx or self.default_window

    def evaluate(self, request: dict[str, Any]) -> int:
        """The prompt tokens Ollama reports for `request`: those it evaluated. The messages this model saw
        last time, as far as they are the same, are in its cache and not evaluated again (0 when all are:
        the count is then omitted, as Ollama omits zero metrics). A prompt over the window is cut first."""
        model = normalize_model(str(request.get("model")))
        messages = request.get("messages") if isinstance(request.get("messages"), list) else []
        total, cut = prompt_tokens(messages, self.window_of(model), self.tokens)
        with self._lock:
            before = self._prompt_cache.get(model, [])
            self._prompt_cache[model] = messages
        if cut:
            return total
        shared = 0
        while shared < min(len(before), len(messages)) and before[shared] == messages[shared]:
            shared += 1
        return total - sum(message_tokens(m, self.tokens) for m in messages[:shared])

    def window_of(self, name: str) -> int:
        """The window the model is loaded with (the server's default until a request loads it otherwise)."""
        with self._lock:
            return self._windows.get(normalize_model(name), self.default_window)
