"""Tests of the fake Ollama server itself: every other test trusts it to speak Ollama's wire protocol.

Raw sockets check the bytes (chunk boundaries, terminators, resets); `requests` checks what a client sees.
Scripting, the request log, gates and running it by hand: test_fake_ollama_scripting.py.
"""

from __future__ import annotations

import http.client
import json
import threading

import pytest
import requests

from fake_ollama import MID_STREAM_ERROR, PATIENCE, FakeOllama, go_json, normalize_model
from raw_http import chat_body, raw_exchange, streamed_content

# --------------------------------------------------------------------------------------------------------------
# Lifecycle.


def test_start_stop_and_addresses() -> None:
    fake = FakeOllama().start()
    try:
        url = fake.url
        assert url == f"http://127.0.0.1:{fake.port}"
        assert fake.host_port == f"127.0.0.1:{fake.port}"
        assert fake.port > 0
        assert requests.get(url, timeout=PATIENCE).text == "Ollama is running"
    finally:
        fake.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=0.5)
    fake.stop()  # idempotent


def test_context_manager_gives_separate_servers() -> None:
    with FakeOllama() as a, FakeOllama() as b:
        assert a.port != b.port
        assert requests.get(f"{a.url}/api/version", timeout=PATIENCE).json() == {"version": "0.12.6"}


def stops(fake: FakeOllama) -> bool:
    """Stop `fake` from another thread: True once `stop()` has returned. It is given PATIENCE, where a stop
    that waited for the reply in flight would wait an hour."""
    stopping = threading.Thread(target=fake.stop, daemon=True)
    stopping.start()
    stopping.join(PATIENCE)
    return not stopping.is_alive()


@pytest.mark.parametrize("waiting", ["paced", "held"])
def test_stop_is_quick_during_a_slow_stream(fake_ollama: FakeOllama, waiting: str) -> None:
    """The handler is mid-reply: in an hour-long pause between pieces, or held at a gate never released."""
    if waiting == "paced":
        gate = fake_ollama.reply(["a"] * 50, chunk_delay=3600)
    else:
        gate = fake_ollama.reply(["a"] * 50, hold_after=1)
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=PATIENCE)
    lines = response.iter_lines()  # keep a reference: a collected generator closes the connection
    next(lines)
    if waiting == "held":
        assert gate.wait_held()
    assert stops(fake_ollama)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        list(lines)  # the reply was abandoned: its body ends unfinished, an hour early
    assert fake_ollama.disconnects == 0 and not gate.complete  # stopping is not the client hanging up
    response.close()


def test_stop_is_quick_with_idle_keepalive_connection(fake_ollama: FakeOllama) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fake_ollama.port, timeout=PATIENCE)
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"Ollama is running"  # connection stays open, handler waits
    assert stops(fake_ollama)
    assert conn.sock.recv(1) == b""  # the server closed the idle connection instead of waiting on it
    conn.close()


# --------------------------------------------------------------------------------------------------------------
# Simple endpoints.


def test_root_version_and_unknown_paths(fake_ollama: FakeOllama) -> None:
    root = requests.get(fake_ollama.url, timeout=PATIENCE)
    assert (root.status_code, root.text) == (200, "Ollama is running")
    assert root.headers["Content-Type"].startswith("text/plain")
    assert requests.get(f"{fake_ollama.url}/api/version", timeout=PATIENCE).json() == {"version": "0.12.6"}
    for method, path in [("GET", "/nope"), ("GET", "/api/chat"), ("POST", "/api/tags")]:
        response = requests.request(method, fake_ollama.url + path, timeout=PATIENCE)
        assert (response.status_code, response.text) == (404, "404 page not found")


def test_head_root_has_no_body(fake_ollama: FakeOllama) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fake_ollama.port, timeout=PATIENCE)
    conn.request("HEAD", "/")
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b""
    conn.request("GET", "/api/version")  # the connection is still in sync
    assert json.loads(conn.getresponse().read()) == {"version": "0.12.6"}
    conn.close()


def test_tags_lists_models(fake_ollama: FakeOllama) -> None:
    fake_ollama.add_model("qwen3:8b", capabilities=("completion", "thinking"))
    models = requests.get(f"{fake_ollama.url}/api/tags", timeout=PATIENCE).json()["models"]
    assert [m["name"] for m in models] == ["llama3.2:latest", "qwen3:8b"]
    first = models[0]
    assert first["model"] == "llama3.2:latest"
    assert {"modified_at", "size", "digest", "details"} <= first.keys()
    assert first["details"]["format"] == "gguf"


def test_show(fake_ollama: FakeOllama) -> None:
    fake_ollama.add_model("qwen3", capabilities=("completion", "thinking"), context_length=40960)
    shown = requests.post(f"{fake_ollama.url}/api/show", json={"model": "qwen3:latest"}, timeout=PATIENCE).json()
    assert shown["capabilities"] == ["completion", "thinking"]
    assert shown["model_info"]["llama.context_length"] == 40960
    assert {"modelfile", "parameters", "template", "details"} <= shown.keys()
    missing = requests.post(f"{fake_ollama.url}/api/show", json={"model": "nope"}, timeout=PATIENCE)
    assert (missing.status_code, missing.json()) == (404, {"error": "model 'nope' not found"})


def test_pull_streams_progress_and_adds_the_model(fake_ollama: FakeOllama) -> None:
    response = requests.post(f"{fake_ollama.url}/api/pull", json={"model": "phi4"}, stream=True, timeout=PATIENCE)
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
    response = requests.post(f"{fake_ollama.url}/api/pull", json={"model": "x", "stream": False}, timeout=PATIENCE)
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
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(text), stream=True, timeout=PATIENCE)
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
    assert raw.lines[-1]["done"] is True and raw.lines[-1]["eval_count"] == 1 + 4  # "Hi!"; "Let" "me" "th|ink"


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
    conn = http.client.HTTPConnection("127.0.0.1", fake_ollama.port, timeout=PATIENCE)
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
        response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(f"n{i}"), timeout=PATIENCE)
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
    response = requests.post(f"{fake_ollama.url}/api/chat", data=body, timeout=PATIENCE)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"error": error}


def test_bad_json_and_bad_think_value(fake_ollama: FakeOllama) -> None:
    bad = requests.post(f"{fake_ollama.url}/api/chat", data=b'{"model": ', timeout=PATIENCE)
    assert bad.status_code == 400 and bad.json()["error"]
    wrong = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(think="extreme"), timeout=PATIENCE)
    assert wrong.status_code == 400 and "invalid think value" in wrong.json()["error"]


def test_model_names_match_like_ollama(fake_ollama: FakeOllama) -> None:
    assert normalize_model("llama3.2") == "llama3.2:latest"
    assert normalize_model("host:5000/ns/m") == "host:5000/ns/m:latest"
    assert normalize_model("qwen3:8b") == "qwen3:8b"
    for name in ("llama3.2", "llama3.2:latest"):
        assert requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(model=name), timeout=PATIENCE).ok
    assert requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(model="llama3.2:1b"),
                         timeout=PATIENCE).status_code == 404
    fake_ollama.remove_model("llama3.2")
    assert requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=PATIENCE).status_code == 404


def test_thinking_model_accepts_think(fake_ollama: FakeOllama) -> None:
    fake_ollama.add_model("qwen3", capabilities=("completion", "thinking"))
    for think in (True, False, "low", "medium", "high"):
        response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(model="qwen3", think=think),
                                 timeout=PATIENCE)
        assert response.status_code == 200
    assert requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(think=False), timeout=PATIENCE).ok


def test_error_after_sends_an_error_line_and_ends_properly(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply(["a", "b", "c", "d"], error_after=2)
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    assert raw.status == 200 and raw.terminated and not raw.reset
    assert [line.get("message", {}).get("content") for line in raw.lines[:2]] == ["a", "b"]
    assert raw.lines[2:] == [{"error": MID_STREAM_ERROR}]


def test_error_after_without_streaming_is_a_500(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("abc", error_after=1, error_text="out of memory")
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(stream=False), timeout=PATIENCE)
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
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=PATIENCE)
    received = []
    try:
        for line in response.iter_lines():
            received.append(json.loads(line)["message"]["content"])
    except requests.exceptions.ChunkedEncodingError as exc:
        response_error = exc
    assert received == ["a"] and response_error is not None


def test_cut_without_streaming_truncates_the_body(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("a fairly long answer", cut_after=1)
    conn = http.client.HTTPConnection("127.0.0.1", fake_ollama.port, timeout=PATIENCE)
    conn.request("POST", "/api/chat", json.dumps(chat_body(stream=False)))
    response = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    conn.close()


# --------------------------------------------------------------------------------------------------------------
