"""Tests of the fake Ollama server itself: every other test trusts it to speak Ollama's wire protocol.

Raw sockets check the bytes (chunk boundaries, terminators, resets); `requests` checks what a client sees.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from fake_ollama import (
    MID_STREAM_ERROR,
    FakeOllama,
    Gate,
    content_line,
    go_json,
    normalize_model,
    split_text,
)

# --------------------------------------------------------------------------------------------------------------
# Helpers: a raw HTTP/1.1 exchange and a strict chunked-body parser.


class RawResponse:
    def __init__(self, status: int, headers: dict[str, str], chunks: list[bytes], terminated: bool,
                 reset: bool) -> None:
        self.status = status
        self.headers = headers
        self.chunks = chunks  # the HTTP chunks of a chunked body, as sent
        self.terminated = terminated  # the `0\r\n\r\n` terminator arrived
        self.reset = reset  # the connection was reset (RST)

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in b"".join(self.chunks).splitlines() if line.strip()]


def raw_request(fake: FakeOllama, method: str, path: str, body: Any = None) -> bytes:
    """The bytes of one request with `Connection: close`."""
    data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    head = (f"{method} {path} HTTP/1.1\r\nHost: {fake.host_port}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
    return head + data


def raw_exchange(fake: FakeOllama, method: str, path: str, body: Any = None) -> RawResponse:
    """Send one request with `Connection: close` and read everything until EOF or reset."""
    with socket.create_connection(("127.0.0.1", fake.port), timeout=5) as sock:
        sock.sendall(raw_request(fake, method, path, body))
        return parse_raw(*read_to_end(sock))


def read_to_end(sock: socket.socket, received: bytes = b"") -> tuple[bytes, bool]:
    """Everything until EOF, and whether the connection was reset."""
    while True:
        try:
            piece = sock.recv(65536)
        except ConnectionResetError:
            return received, True
        if not piece:
            return received, False
        received += piece


def read_until(sock: socket.socket, done: Callable[[bytes], bool]) -> bytes:
    received = b""
    while not done(received):
        piece = sock.recv(65536)
        assert piece, f"EOF after {received!r}"
        received += piece
    return received


def nothing_more(sock: socket.socket) -> bool:
    """Nothing is waiting to be read (nor an EOF): call it when the server can have sent nothing more."""
    sock.setblocking(False)
    try:
        sock.recv(1)
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)
    return False


def parse_raw(received: bytes, reset: bool) -> RawResponse:
    header_blob, _, rest = received.partition(b"\r\n\r\n")
    status_line, *header_lines = header_blob.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    chunks: list[bytes] = []
    terminated = False
    if headers.get("transfer-encoding") == "chunked":
        while rest:
            size_line, sep, rest = rest.partition(b"\r\n")
            assert sep, f"unfinished chunk size line: {size_line!r}"
            size = int(size_line, 16)
            if size == 0:
                assert rest == b"\r\n", f"junk after terminator: {rest!r}"
                terminated = True
                break
            assert len(rest) >= size + 2, "chunk cut short"
            assert rest[size:size + 2] == b"\r\n"
            chunks.append(rest[:size])
            rest = rest[size + 2:]
    else:
        chunks = [rest]
    return RawResponse(int(status_line.split()[1]), headers, chunks, terminated, reset)


def pieces_in(data: bytes) -> int:
    """Complete streamed pieces (chunks of a `"done":false` line) in the bytes received so far."""
    return data.count(b'"done":false}\n\r\n')


def chat_body(content: str = "hi", model: str = "llama3.2", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def streamed_content(response: requests.Response) -> tuple[str, list[dict[str, Any]]]:
    objs = [json.loads(line) for line in response.iter_lines() if line]
    return "".join(o.get("message", {}).get("content", "") for o in objs), objs


# --------------------------------------------------------------------------------------------------------------
# Lifecycle.


def test_start_stop_and_addresses() -> None:
    fake = FakeOllama().start()
    try:
        url = fake.url
        assert url == f"http://127.0.0.1:{fake.port}"
        assert fake.host_port == f"127.0.0.1:{fake.port}"
        assert fake.port > 0
        assert requests.get(url, timeout=2).text == "Ollama is running"
    finally:
        fake.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=0.5)
    fake.stop()  # idempotent


def test_context_manager_gives_separate_servers() -> None:
    with FakeOllama() as a, FakeOllama() as b:
        assert a.port != b.port
        assert requests.get(f"{a.url}/api/version", timeout=2).json() == {"version": "0.12.6"}


@pytest.mark.parametrize("waiting", ["paced", "held"])
def test_stop_is_quick_during_a_slow_stream(fake_ollama: FakeOllama, waiting: str) -> None:
    """The handler is mid-reply: in a 1 s pause between pieces, or held at a gate."""
    if waiting == "paced":
        fake_ollama.reply(["a"] * 50, chunk_delay=1.0)
    else:
        gate = fake_ollama.reply(["a"] * 50, hold_after=1)
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=5)
    lines = response.iter_lines()  # keep a reference: a collected generator closes the connection
    next(lines)
    if waiting == "held":
        assert gate.wait_held()
    started = time.monotonic()
    fake_ollama.stop()
    assert time.monotonic() - started < 0.5
    assert fake_ollama.disconnects == 0  # stopping is not the client hanging up
    response.close()


def test_stop_is_quick_with_idle_keepalive_connection(fake_ollama: FakeOllama) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fake_ollama.port, timeout=5)
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"Ollama is running"  # connection stays open, handler waits
    started = time.monotonic()
    fake_ollama.stop()
    assert time.monotonic() - started < 0.5
    conn.close()


# --------------------------------------------------------------------------------------------------------------
# Simple endpoints.


def test_root_version_and_unknown_paths(fake_ollama: FakeOllama) -> None:
    root = requests.get(fake_ollama.url, timeout=2)
    assert (root.status_code, root.text) == (200, "Ollama is running")
    assert root.headers["Content-Type"].startswith("text/plain")
    assert requests.get(f"{fake_ollama.url}/api/version", timeout=2).json() == {"version": "0.12.6"}
    for method, path in [("GET", "/nope"), ("GET", "/api/chat"), ("POST", "/api/tags")]:
        response = requests.request(method, fake_ollama.url + path, timeout=2)
        assert (response.status_code, response.text) == (404, "404 page not found")


def test_head_root_has_no_body(fake_ollama: FakeOllama) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fake_ollama.port, timeout=5)
    conn.request("HEAD", "/")
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b""
    conn.request("GET", "/api/version")  # the connection is still in sync
    assert json.loads(conn.getresponse().read()) == {"version": "0.12.6"}
    conn.close()


def test_tags_lists_models(fake_ollama: FakeOllama) -> None:
    fake_ollama.add_model("qwen3:8b", capabilities=("completion", "thinking"))
    models = requests.get(f"{fake_ollama.url}/api/tags", timeout=2).json()["models"]
    assert [m["name"] for m in models] == ["llama3.2:latest", "qwen3:8b"]
    first = models[0]
    assert first["model"] == "llama3.2:latest"
    assert {"modified_at", "size", "digest", "details"} <= first.keys()
    assert first["details"]["format"] == "gguf"


def test_show(fake_ollama: FakeOllama) -> None:
    fake_ollama.add_model("qwen3", capabilities=("completion", "thinking"), context_length=40960)
    shown = requests.post(f"{fake_ollama.url}/api/show", json={"model": "qwen3:latest"}, timeout=2).json()
    assert shown["capabilities"] == ["completion", "thinking"]
    assert shown["model_info"]["llama.context_length"] == 40960
    assert {"modelfile", "parameters", "template", "details"} <= shown.keys()
    missing = requests.post(f"{fake_ollama.url}/api/show", json={"model": "nope"}, timeout=2)
    assert (missing.status_code, missing.json()) == (404, {"error": "model 'nope' not found"})


def test_pull_streams_progress_and_adds_the_model(fake_ollama: FakeOllama) -> None:
    response = requests.post(f"{fake_ollama.url}/api/pull", json={"model": "phi4"}, stream=True, timeout=5)
    assert response.headers["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in response.iter_lines() if line]
    statuses = [line["status"] for line in lines]
    assert statuses[0] == "pulling manifest" and statuses[-1] == "success"
    assert "verifying sha256 digest" in statuses and "writing manifest" in statuses
    progress = [line for line in lines if "digest" in line]
    assert progress and all(line["total"] == 1000 for line in progress)
    assert [line.get("completed") for line in progress] == [None, 500, 1000]
    assert fake_ollama.model_info("phi4") is not None and "phi4:latest" in fake_ollama.models


def test_pull_of_unknown_model_fails_mid_stream(fake_ollama: FakeOllama) -> None:
    fake_ollama.unpullable.add("nonexistent")
    raw = raw_exchange(fake_ollama, "POST", "/api/pull", {"model": "nonexistent"})
    assert raw.status == 200 and raw.terminated
    assert raw.lines == [{"status": "pulling manifest"}, {"error": "pull model manifest: file does not exist"}]
    assert fake_ollama.model_info("nonexistent") is None


def test_pull_without_streaming(fake_ollama: FakeOllama) -> None:
    response = requests.post(f"{fake_ollama.url}/api/pull", json={"model": "x", "stream": False}, timeout=2)
    assert response.json() == {"status": "success"}
    assert fake_ollama.model_info("x:latest") is not None


# --------------------------------------------------------------------------------------------------------------
# /api/chat: the wire format.


def test_echo_stream_is_chunked_ndjson_one_line_per_chunk(fake_ollama: FakeOllama) -> None:
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body("hello there"))
    assert raw.status == 200
    assert raw.headers["content-type"] == "application/x-ndjson"
    assert raw.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in raw.headers
    assert raw.terminated
    for chunk in raw.chunks:
        assert chunk.endswith(b"\n") and chunk.count(b"\n") == 1
        assert chunk == go_json(json.loads(chunk)) + b"\n"  # compact, Go-style
    *pieces, final = raw.lines
    assert "".join(p["message"]["content"] for p in pieces) == "echo: hello there"
    assert all(p["done"] is False and p["message"]["role"] == "assistant" for p in pieces)
    assert all(len(p["message"]["content"]) <= 3 for p in pieces)
    assert all(p["model"] == "llama3.2" and p["created_at"].endswith("Z") for p in raw.lines)
    assert final["done"] is True and final["done_reason"] == "stop"
    assert final["message"] == {"role": "assistant", "content": ""}
    assert list(final)[:5] == ["model", "created_at", "message", "done", "done_reason"]
    for key in ("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration",
                "eval_count", "eval_duration"):
        assert isinstance(final[key], int) and final[key] > 0
    assert final["eval_count"] == len(pieces)


def test_korean_echo_survives_splitting(fake_ollama: FakeOllama) -> None:
    text = "파이썬에서 딕셔너리를 만드는 방법은? 😀"
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(text), stream=True, timeout=5)
    content, objs = streamed_content(response)
    assert content == "echo: " + text
    assert objs[-1]["done"] is True


def test_go_style_escaping_on_the_wire(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply(["a<b>", "&c", "\u2028é"])
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    body = b"".join(raw.chunks)
    assert b"a\\u003cb\\u003e" in body and b"\\u0026c" in body and b"\\u2028" in body
    assert "é".encode() in body  # raw UTF-8, not \u00e9
    assert "".join(line["message"].get("content", "") for line in raw.lines) == "a<b>&c\u2028é"
    assert go_json({"a": "<&>", "b": [1, 2]}) == b'{"a":"\\u003c\\u0026\\u003e","b":[1,2]}'


def test_thinking_comes_first(fake_ollama: FakeOllama) -> None:
    fake_ollama.add_model("qwen3", capabilities=("completion", "thinking"))
    fake_ollama.reply(["Hi", "!"], thinking=["Let", " me think"])
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body(model="qwen3", think=True))
    messages = [line["message"] for line in raw.lines]
    assert messages[:2] == [{"role": "assistant", "content": "", "thinking": "Let"},
                            {"role": "assistant", "content": "", "thinking": " me think"}]
    assert [m["content"] for m in messages[2:4]] == ["Hi", "!"]
    assert raw.lines[-1]["done"] is True and raw.lines[-1]["eval_count"] == 4


def test_metrics_given_and_zero_omitted(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("x", done_reason="length", eval_count=7, eval_duration=0, prompt_eval_count=300,
                      prompt_eval_duration=0, load_duration=0, total_duration=123)
    final = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body()).lines[-1]
    assert final["done_reason"] == "length"
    assert {k: final[k] for k in ("eval_count", "prompt_eval_count", "total_duration")} == \
        {"eval_count": 7, "prompt_eval_count": 300, "total_duration": 123}
    assert not {"eval_duration", "prompt_eval_duration", "load_duration"} & final.keys()


def test_non_streamed_reply(fake_ollama: FakeOllama) -> None:
    fake_ollama.add_model("qwen3", capabilities=("completion", "thinking"))
    fake_ollama.reply("The answer is 42.", thinking="Deep thought")
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body(model="qwen3", stream=False))
    assert raw.headers["content-type"].startswith("application/json")
    assert "transfer-encoding" not in raw.headers
    assert int(raw.headers["content-length"]) == len(raw.chunks[0])
    obj = json.loads(raw.chunks[0])
    assert obj["message"] == {"role": "assistant", "content": "The answer is 42.", "thinking": "Deep thought"}
    assert obj["done"] is True and obj["done_reason"] == "stop" and obj["eval_count"] > 0


def test_keep_alive_after_a_stream(fake_ollama: FakeOllama) -> None:
    """The chunked body must end exactly, or the next request on the connection reads garbage."""
    conn = http.client.HTTPConnection("127.0.0.1", fake_ollama.port, timeout=5)
    for text in ("one", "two"):
        conn.request("POST", "/api/chat", json.dumps(chat_body(text)), {"Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.getheader("Transfer-Encoding") == "chunked"
        lines = [json.loads(line) for line in response.read().splitlines()]
        assert "".join(line["message"]["content"] for line in lines) == f"echo: {text}"
    conn.close()


def test_concurrent_clients(fake_ollama: FakeOllama) -> None:
    results: dict[int, str] = {}

    def ask(i: int) -> None:
        response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(f"n{i}"), timeout=5)
        results[i] = "".join(json.loads(line)["message"]["content"] for line in response.text.splitlines())

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: f"echo: n{i}" for i in range(8)}
    assert len(fake_ollama.chat_requests) == 8


# --------------------------------------------------------------------------------------------------------------
# /api/chat: errors and validation.


@pytest.mark.parametrize(("body", "status", "error"), [
    (b"", 400, "missing request body"),
    (b"{}", 400, "model is required"),
    (b'{"model": ""}', 400, "model is required"),
    (json.dumps(chat_body(model="mistral")).encode(), 404, "model 'mistral' not found"),
    (json.dumps(chat_body(think=True)).encode(), 400, '"llama3.2" does not support thinking'),
    (json.dumps(chat_body(think="high")).encode(), 400, '"llama3.2" does not support thinking'),
])
def test_chat_errors(fake_ollama: FakeOllama, body: bytes, status: int, error: str) -> None:
    response = requests.post(f"{fake_ollama.url}/api/chat", data=body, timeout=2)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"error": error}


def test_bad_json_and_bad_think_value(fake_ollama: FakeOllama) -> None:
    bad = requests.post(f"{fake_ollama.url}/api/chat", data=b'{"model": ', timeout=2)
    assert bad.status_code == 400 and bad.json()["error"]
    wrong = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(think="extreme"), timeout=2)
    assert wrong.status_code == 400 and "invalid think value" in wrong.json()["error"]


def test_model_names_match_like_ollama(fake_ollama: FakeOllama) -> None:
    assert normalize_model("llama3.2") == "llama3.2:latest"
    assert normalize_model("host:5000/ns/m") == "host:5000/ns/m:latest"
    assert normalize_model("qwen3:8b") == "qwen3:8b"
    for name in ("llama3.2", "llama3.2:latest"):
        assert requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(model=name), timeout=2).ok
    assert requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(model="llama3.2:1b"),
                         timeout=2).status_code == 404
    fake_ollama.remove_model("llama3.2")
    assert requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=2).status_code == 404


def test_thinking_model_accepts_think(fake_ollama: FakeOllama) -> None:
    fake_ollama.add_model("qwen3", capabilities=("completion", "thinking"))
    for think in (True, False, "low", "medium", "high"):
        response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(model="qwen3", think=think), timeout=2)
        assert response.status_code == 200
    assert requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(think=False), timeout=2).ok


def test_error_after_sends_an_error_line_and_ends_properly(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply(["a", "b", "c", "d"], error_after=2)
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    assert raw.status == 200 and raw.terminated and not raw.reset
    assert [line.get("message", {}).get("content") for line in raw.lines[:2]] == ["a", "b"]
    assert raw.lines[2:] == [{"error": MID_STREAM_ERROR}]


def test_error_after_without_streaming_is_a_500(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("abc", error_after=1, error_text="out of memory")
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(stream=False), timeout=2)
    assert (response.status_code, response.json()) == (500, {"error": "out of memory"})


def test_cut_eof_ends_the_body_without_a_done_line(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply(["a", "b", "c"], cut_after=2)
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    assert raw.terminated and not raw.reset
    assert [line["message"]["content"] for line in raw.lines] == ["a", "b"]
    assert not any(line.get("done") for line in raw.lines)


def test_cut_after_all_pieces_still_has_no_done_line(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply(["a", "b"], cut_after=99)
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    assert [line["message"]["content"] for line in raw.lines] == ["a", "b"]


def test_cut_reset_drops_the_connection_mid_body(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply(["a", "b", "c"], cut_after=2, cut_mode="reset")
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    assert not raw.terminated
    assert [line["message"]["content"] for line in raw.lines] == ["a", "b"]
    response_error: Exception | None = None
    fake_ollama.reply(["a", "b", "c"], cut_after=1, cut_mode="reset")
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=5)
    received = []
    try:
        for line in response.iter_lines():
            received.append(json.loads(line)["message"]["content"])
    except requests.exceptions.ChunkedEncodingError as exc:
        response_error = exc
    assert received == ["a"] and response_error is not None


def test_cut_without_streaming_truncates_the_body(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("a fairly long answer", cut_after=1)
    conn = http.client.HTTPConnection("127.0.0.1", fake_ollama.port, timeout=5)
    conn.request("POST", "/api/chat", json.dumps(chat_body(stream=False)))
    response = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    conn.close()


# --------------------------------------------------------------------------------------------------------------
# Scripting: queue, status replies, replays, raw bytes, overrides.


def test_replies_are_consumed_in_order_then_echo(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("one")
    fake_ollama.reply(["t", "wo"])
    assert fake_ollama.pending_replies == 2
    got = []
    for _ in range(3):
        response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body("x"), stream=True, timeout=5)
        got.append(streamed_content(response)[0])
    assert got == ["one", "two", "echo: x"]
    assert fake_ollama.pending_replies == 0


def test_validation_errors_do_not_consume_the_queue(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("scripted")
    assert requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(model="missing"), timeout=2).status_code == 404
    assert fake_ollama.pending_replies == 1
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=5)
    assert streamed_content(response)[0] == "scripted"


def test_reply_status(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply_status(500, {"error": "llama runner process has terminated"})
    fake_ollama.reply_status(503, "server busy", content_type="text/plain")
    fake_ollama.reply_status(200, "<html><body>Welcome to nginx!</body></html>", content_type="text/html")
    first = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=2)
    assert (first.status_code, first.json()) == (500, {"error": "llama runner process has terminated"})
    second = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=2)
    assert (second.status_code, second.text) == (503, "server busy")
    third = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=2)
    assert third.status_code == 200 and third.headers["Content-Type"] == "text/html"
    assert third.text.startswith("<html>")


def test_replay_sends_the_fixture_byte_for_byte(fake_ollama: FakeOllama, fixtures_dir: Path) -> None:
    fixture = fixtures_dir / "korean.ndjson"
    fake_ollama.replay(fixture)
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    assert raw.terminated
    assert b"".join(raw.chunks) == fixture.read_bytes()
    assert raw.chunks == fixture.read_bytes().splitlines(keepends=True)


def test_replay_without_streaming_folds_the_recording(fake_ollama: FakeOllama, fixtures_dir: Path) -> None:
    fixture = fixtures_dir / "long-table.ndjson"
    lines = [json.loads(line) for line in fixture.read_bytes().splitlines()]
    fake_ollama.replay(fixture)
    obj = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(stream=False), timeout=5).json()
    assert obj["message"]["content"] == "".join(line["message"]["content"] for line in lines)
    assert obj["message"]["content"].startswith("<<")
    assert obj["done"] is True and obj["eval_count"] == lines[-1]["eval_count"]


def test_replay_cut(fake_ollama: FakeOllama, fixtures_dir: Path) -> None:
    fake_ollama.replay(fixtures_dir / "few-shot.ndjson", cut_after=1)
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    assert raw.terminated and len(raw.lines) == 1 and not raw.lines[0]["done"]


def test_every_fixture_replays_through_requests(fake_ollama: FakeOllama, fixtures_dir: Path) -> None:
    fixtures = sorted(fixtures_dir.glob("*.ndjson"))
    assert fixtures
    for fixture in fixtures:
        fake_ollama.replay(fixture)
        response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=5)
        _, objs = streamed_content(response)
        assert objs[-1]["done"] is True, fixture.name


def test_reply_raw_split_writes_cut_inside_a_character(fake_ollama: FakeOllama) -> None:
    line = content_line("안녕하세요")
    fake_ollama.reply_raw([line, b"not json\n"], split_writes=True)
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    assert raw.terminated and len(raw.chunks) == 4
    assert raw.chunks[0] + raw.chunks[1] == line
    with pytest.raises(UnicodeDecodeError):
        raw.chunks[0].decode("utf-8")
    assert raw.chunks[2] + raw.chunks[3] == b"not json\n"
    fake_ollama.reply_raw([line], split_writes=True)
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=5)
    assert streamed_content(response)[0] == "안녕하세요"  # the client side reassembles


def test_reply_raw_is_exact(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply_raw([b"<html>", b"oops"], content_type="text/html")
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    assert raw.headers["content-type"] == "text/html"
    assert raw.chunks == [b"<html>", b"oops"] and raw.terminated


def test_override_other_endpoints(fake_ollama: FakeOllama) -> None:
    fake_ollama.override("/api/show", 500, {"error": "boom"})
    fake_ollama.override("/", 200, "<html>router login</html>", content_type="text/html", method="GET")
    assert requests.post(f"{fake_ollama.url}/api/show", json={"model": "llama3.2"}, timeout=2).status_code == 500
    assert requests.get(fake_ollama.url, timeout=2).text == "<html>router login</html>"
    fake_ollama.clear_overrides()
    assert requests.get(fake_ollama.url, timeout=2).text == "Ollama is running"


# --------------------------------------------------------------------------------------------------------------
# Request log, disconnects, delays.


def test_request_log(fake_ollama: FakeOllama) -> None:
    requests.get(fake_ollama.url, timeout=2)
    requests.post(f"{fake_ollama.url}/api/chat", json=chat_body("first", options={"temperature": 0.1}), timeout=2)
    requests.post(f"{fake_ollama.url}/api/chat", data=b"{broken", timeout=2)
    requests.post(f"{fake_ollama.url}/api/chat", json=chat_body("second"), headers={"X-Test": "1"}, timeout=2)
    assert fake_ollama.wait_for_requests(4, timeout=1)
    assert fake_ollama.wait_for_requests(3, timeout=1, path="/api/chat")
    assert not fake_ollama.wait_for_requests(9, timeout=0.05)
    log = fake_ollama.requests
    assert [(r.method, r.path) for r in log] == [("GET", "/")] + [("POST", "/api/chat")] * 3
    assert log[2].body == b"{broken" and log[2].json is None
    assert log[3].headers["X-Test"] == "1" and log[3].headers["x-test"] == "1" and "CONTENT-TYPE" in log[3].headers
    assert [c["messages"][0]["content"] for c in fake_ollama.chat_requests] == ["first", "second"]
    assert fake_ollama.chat_requests[0]["options"] == {"temperature": 0.1}
    assert fake_ollama.last_chat["messages"][0]["content"] == "second"


@pytest.mark.parametrize("waiting", ["paced", "held"])
def test_client_disconnect_is_recorded(fake_ollama: FakeOllama, waiting: str) -> None:
    """Seen at once whether the handler is pausing between pieces or held at a gate."""
    if waiting == "paced":
        gate = fake_ollama.reply(split_text("x" * 300), chunk_delay=0.05)
    else:
        gate = fake_ollama.reply(split_text("x" * 300), hold_after=1)
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=5)
    lines = response.iter_lines()
    next(lines)
    assert fake_ollama.disconnects == 0
    response.close()  # what the client does on Ctrl+C
    started = time.monotonic()
    assert fake_ollama.wait_for_disconnect(timeout=2)
    assert time.monotonic() - started < 0.5
    assert fake_ollama.disconnects == 1 and not gate.complete


def test_completed_replies_are_not_disconnects(fake_ollama: FakeOllama) -> None:
    gates = [fake_ollama.reply("done"), fake_ollama.reply_status(500, {"error": "x"}), fake_ollama.reply("again")]
    for _ in gates:
        requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=2)
    assert all(gate.wait_complete(timeout=2) for gate in gates)  # nothing is left to go wrong...
    assert fake_ollama.disconnects == 0  # ...and nothing did


def test_first_delay_triggers_client_read_timeout(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("late", first_delay=3)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=(2, 0.2))
    assert time.monotonic() - started < 1
    assert fake_ollama.wait_for_disconnect(timeout=1)  # the server noticed the client gave up


def test_chunk_delay_paces_the_stream(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply(["a", "b", "c"], chunk_delay=0.05)
    started = time.monotonic()
    raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    assert 0.14 < time.monotonic() - started < 1


# --------------------------------------------------------------------------------------------------------------
# Gates: a reply that stops after N pieces until the test releases it.


def test_hold_after_sends_n_pieces_then_waits_for_release(fake_ollama: FakeOllama) -> None:
    gate = fake_ollama.reply(["a", "b", "c", "d"], hold_after=2)
    assert isinstance(gate, Gate) and not gate.held and gate.sent == 0
    with socket.create_connection(("127.0.0.1", fake_ollama.port), timeout=5) as sock:
        sock.sendall(raw_request(fake_ollama, "POST", "/api/chat", chat_body()))
        assert gate.wait_held() and gate.wait_for_sent(2)
        assert (gate.sent, gate.held, gate.released, gate.complete) == (2, True, False, False)
        held = read_until(sock, lambda data: pieces_in(data) == 2)
        assert nothing_more(sock)  # the server wrote nothing after the second piece
        gate.release()
        raw = parse_raw(*read_to_end(sock, held))
    assert [line["message"]["content"] for line in raw.lines[:-1]] == ["a", "b", "c", "d"]
    assert raw.lines[-1]["done"] is True and raw.terminated
    assert gate.wait_complete() and (gate.sent, gate.held, gate.complete) == (4, False, True)


def test_hold_after_zero_sends_nothing_not_even_headers(fake_ollama: FakeOllama) -> None:
    gate = fake_ollama.reply("slow start", hold_after=0)
    with socket.create_connection(("127.0.0.1", fake_ollama.port), timeout=5) as sock:
        sock.sendall(raw_request(fake_ollama, "POST", "/api/chat", chat_body()))
        assert gate.wait_held()
        assert nothing_more(sock) and gate.sent == 0
        fake_ollama.release()  # the server-wide release works too
        raw = parse_raw(*read_to_end(sock))
    assert raw.status == 200 and "".join(line["message"]["content"] for line in raw.lines) == "slow start"


def test_thinking_is_not_counted_and_short_replies_hold_before_the_end(fake_ollama: FakeOllama) -> None:
    fake_ollama.add_model("qwen3", capabilities=("completion", "thinking"))
    gate = fake_ollama.reply(["x", "y"], thinking=["t1", "t2"], hold_after=5)
    with socket.create_connection(("127.0.0.1", fake_ollama.port), timeout=5) as sock:
        sock.sendall(raw_request(fake_ollama, "POST", "/api/chat", chat_body(model="qwen3", think=True)))
        assert gate.wait_held()
        held = read_until(sock, lambda data: pieces_in(data) == 4)  # 2 thinking + 2 content lines...
        assert nothing_more(sock) and gate.sent == 2  # ...and no done line until released
        gate.release()
        raw = parse_raw(*read_to_end(sock, held))
    assert raw.lines[-1]["done"] is True and raw.terminated


def test_hold_before_an_error_line_a_cut_and_in_replays(fake_ollama: FakeOllama, fixtures_dir: Path) -> None:
    failing = fake_ollama.reply(["a", "b", "c"], error_after=1, hold_after=3)
    cut = fake_ollama.reply(["a", "b", "c"], cut_after=2, cut_mode="reset", hold_after=2)
    replay = fake_ollama.replay(fixtures_dir / "few-shot.ndjson", hold_after=1)
    raw_lines = fake_ollama.reply_raw([b"x\n", b"y\n"], hold_after=1)
    for gate in (failing, cut, replay, raw_lines):
        gate.release()  # released before the reply reaches its gate: it never stops
    assert raw_exchange(fake_ollama, "POST", "/api/chat", chat_body()).lines[-1] == {"error": MID_STREAM_ERROR}
    assert raw_exchange(fake_ollama, "POST", "/api/chat", chat_body()).reset
    recorded = (fixtures_dir / "few-shot.ndjson").read_bytes().splitlines(keepends=True)
    assert raw_exchange(fake_ollama, "POST", "/api/chat", chat_body()).chunks == recorded
    assert raw_exchange(fake_ollama, "POST", "/api/chat", chat_body()).chunks == [b"x\n", b"y\n"]
    assert all(gate.wait_complete() and not gate.held for gate in (failing, cut, replay, raw_lines))
    assert (failing.sent, cut.sent, replay.sent, raw_lines.sent) == (1, 2, len(recorded), 2)


def test_replay_hold_counts_lines(fake_ollama: FakeOllama, fixtures_dir: Path) -> None:
    gate = fake_ollama.replay(fixtures_dir / "korean.ndjson", hold_after=3)
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=5)
    lines = response.iter_lines()
    first = [json.loads(next(lines)) for _ in range(3)]
    assert gate.wait_held() and gate.sent == 3 and not first[-1]["done"]
    gate.release()
    assert json.loads(list(lines)[-1])["done"] is True and gate.wait_complete()


def test_non_streamed_and_status_replies_are_held_whole(fake_ollama: FakeOllama) -> None:
    answer = fake_ollama.reply("all at once", hold_after=1)
    status = fake_ollama.reply_status(503, "busy", content_type="text/plain", hold_after=0)
    with pytest.raises(ValueError):
        fake_ollama.reply_status(500, "x", hold_after=2)
    results: list[requests.Response] = []

    def ask() -> None:
        results.append(requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(stream=False), timeout=5))

    for i, gate in enumerate((answer, status)):
        thread = threading.Thread(target=ask)
        thread.start()
        assert gate.wait_held() and len(results) == i
        gate.release()
        thread.join(5)
    assert [r.status_code for r in results] == [200, 503]
    assert results[0].json()["message"]["content"] == "all at once" and results[1].text == "busy"
    assert answer.wait_complete() and status.wait_complete()


def test_hold_next_holds_any_endpoint_once(fake_ollama: FakeOllama) -> None:
    gate = fake_ollama.hold_next("/api/show", method="POST")
    assert requests.get(f"{fake_ollama.url}/api/version", timeout=2).ok  # other paths are not held
    with socket.create_connection(("127.0.0.1", fake_ollama.port), timeout=5) as sock:
        sock.sendall(raw_request(fake_ollama, "POST", "/api/show", {"model": "llama3.2"}))
        assert gate.wait_held() and nothing_more(sock)
        gate.release()
        raw = parse_raw(*read_to_end(sock))
    assert raw.status == 200 and "capabilities" in json.loads(raw.chunks[0])
    assert gate.wait_complete()
    assert requests.post(f"{fake_ollama.url}/api/show", json={"model": "llama3.2"}, timeout=2).ok  # once only


def test_stop_and_hang_up_while_held(fake_ollama: FakeOllama) -> None:
    gate = fake_ollama.reply(["a", "b"], hold_after=0)
    with pytest.raises(requests.exceptions.ReadTimeout):  # the model "never starts": a client read timeout
        requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=(2, 0.1))
    assert fake_ollama.wait_for_disconnect(timeout=1) and gate.held and not gate.complete
    with pytest.raises(ValueError):
        fake_ollama.reply("x", hold_after=-1)


# --------------------------------------------------------------------------------------------------------------
# The recorded streams and the script.


def test_recorded_streams_live_in_the_repository(fixtures_dir: Path) -> None:
    assert fixtures_dir == Path(__file__).resolve().parent / "fixtures" / "streams"
    names = {p.name for p in fixtures_dir.iterdir()}
    assert {"README.md", "korean.ndjson", "markdown-code.ndjson", "long-table.ndjson", "few-shot.ndjson",
            "json-format.ndjson", "length-cut.ndjson"} <= names


@pytest.mark.parametrize("how", ["folder", "module"])
def test_runs_by_hand(how: str) -> None:
    """`python tests/fake_ollama` (as the README says), or `python -m fake_ollama` from tests/."""
    tests_dir = Path(__file__).resolve().parent
    target = [str(tests_dir / "fake_ollama")] if how == "folder" else ["-m", "fake_ollama"]
    proc = subprocess.Popen([sys.executable, *target, "--port", "0", "--chunk-delay", "0", "--quiet"],
                            stdout=subprocess.PIPE, text=True, cwd=tests_dir if how == "module" else "/")
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        url = banner.split()[4]
        assert url.startswith("http://127.0.0.1:")
        response = requests.post(f"{url}/api/chat", json=chat_body("ping"), timeout=5)
        assert "".join(json.loads(line)["message"]["content"] for line in response.text.splitlines()) == "echo: ping"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
