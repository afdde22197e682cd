"""A fake Ollama HTTP server for tests, benchmarks and manual runs. Standard library only.

It speaks the parts of Ollama's wire protocol that ollama-chat relies on (Ollama's docs/api.md) closely enough
that a client which works against it works against the real server: HTTP/1.1, NDJSON lines written one per
HTTP chunk exactly like Go's `json.Marshal` writes them (compact, `<`, `>`, `&` escaped), Ollama's error
bodies and statuses, mid-stream error lines, and streams that just stop.

Tests script the `/api/chat` replies through a FIFO queue (`reply`, `replay`, `reply_raw`, `reply_status`);
with an empty queue the server echoes the last user message, which is what end-to-end tests want. Every
request is logged (`requests`, `chat_requests`, `last_chat`, `wait_for_requests`), and a client that hangs up
before its reply is complete is counted (`disconnects`, `wait_for_disconnect`), which is how tests prove that
Ctrl+C really closed the HTTP response.

Gates: synchronise on the reply, never sleep
--------------------------------------------
Every queuing method returns a `Gate` for that reply. With `hold_after=N` the fake sends the first N pieces,
then waits until the test calls `gate.release()` (`fake.release()` releases every gate); `hold_after=0`
holds it before anything, even the response headers. A piece is a content piece for `reply` (thinking goes
first, uncounted) and a line for `replay` / `reply_raw`. A held reply still sees the client hang up.
`fake.hold_next(path)` holds the next request to any other endpoint (e.g. the /api/show a client sends as it
starts) before it is answered, and returns its gate too.

    gate.wait_for_sent(n) -> bool   at least n pieces have been written to the client
    gate.wait_held() -> bool        the reply is at its gate (its hold_after pieces are out)
    gate.wait_complete() -> bool    the reply was sent to its end (done line, error, cut)
    gate.release()                  let it go on;  gate.sent, .held, .released, .complete

Each `wait_*` (and `wait_for_requests`, `wait_for_disconnect`) waits up to PATIENCE (30 s) by default: a busy
machine only makes it wait longer. A test passes a short `timeout` only to show that something does NOT
happen.

"The reply is mid-stream now" is then a fact, not a guess:

    gate = fake.reply([f"줄 {i}\\n\\n" for i in range(400)], hold_after=4)
    type_line(child, "길게 말해 줘")
    assert gate.wait_held()               # pieces 0-3 are out, 4.. wait for release()
    child.expect_exact("줄 0")            # (what the screen shows of 0-3 is the client's business)
    child.sendintr()                      # Ctrl+C while pieces 4.. are still to come
    assert fake.wait_for_disconnect()     # the held reply saw the client hang up
    # ...or gate.release() to let the rest of the reply stream out.

`chunk_delay` / `first_delay` remain for pacing (a slow model, a read timeout), not for synchronisation.

Tool calls: `fake.reply("", tool_calls=[tool_call("get_weather", {"city": "Seoul"})])` streams them whole, as
Ollama does (a line with `message.tool_calls`, then the done line); a model whose capabilities lack "tools"
(`add_model(name, ("completion", "tools"))` has them) is answered HTTP 400 "registry.ollama.ai/library/NAME
does not support tools" when a request offers tools. What was offered and sent back is in `chat_requests`.
A whole round trip without queuing: `fake.script_tools([("read_file", {"path": "a.txt"})])` makes the fake a
tool-calling model (`tool_model.py`; by hand `--tool-call NAME[:JSON]`): a question asked with tools gets those
calls, the results a text quoting them (`answer=` instead). `FakeOpenAI.script_tools` is the same in its wire.

Servers that never finish: `fake.trickle_next(path, "headers" | "body" | "comments", every=S)` answers the next
request to `path` a byte (or, for SSE, a `: ping` comment) every S seconds for ever, until the client hangs up.
Many models: `add_models(names)`; `hold_show(name)` holds that model's next /api/show; `unshowable` names
models whose /api/show fails; `most_in_flight(path)` is the most requests to `path` answered at one time.

Manual use:  python tests/fake_ollama [--port N] [--chunk-delay S] [--replay FILE]   (or `python -m fake_ollama`
from tests/), then `export OLLAMA_HOST=127.0.0.1:PORT`.
"""

from __future__ import annotations

from .replies import PATIENCE, Gate, LinesReply, QueuedReply, ScriptedReply, StatusReply
from .server import FakeOllama
from .wire import (
    DEFAULT_MODEL,
    JSON_TYPE,
    MID_STREAM_ERROR,
    NDJSON_TYPE,
    OLLAMA_VERSION,
    PIECE_SIZE,
    PULL_ERROR,
    TEXT_TYPE,
    CutMode,
    Headers,
    ModelInfo,
    Request,
    content_line,
    created_at,
    done_line,
    go_json,
    normalize_model,
    registry_name,
    split_text,
    tool_call,
    tool_call_line,
)

__all__ = [
    "DEFAULT_MODEL", "JSON_TYPE", "MID_STREAM_ERROR", "NDJSON_TYPE", "OLLAMA_VERSION", "PATIENCE", "PIECE_SIZE",
    "PULL_ERROR", "TEXT_TYPE", "CutMode", "FakeOllama", "Gate", "Headers", "LinesReply", "ModelInfo",
    "QueuedReply", "Request", "ScriptedReply", "StatusReply", "content_line", "created_at", "done_line", "go_json",
    "normalize_model", "registry_name", "split_text", "tool_call", "tool_call_line",
]
