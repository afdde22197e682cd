"""Tests of the fake Ollama server's scripting: the reply queue, recorded streams, raw bytes and overrides, the
request log and disconnects, pacing, gates (a reply held after N pieces until released), and running it by hand.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from fake_ollama import MID_STREAM_ERROR, PATIENCE, FakeOllama, Gate, content_line, split_text
from helpers import default_signals
from raw_http import (
    chat_body,
    nothing_more,
    parse_raw,
    pieces_in,
    raw_exchange,
    raw_request,
    read_to_end,
    read_until,
    streamed_content,
)

# Scripting: queue, status replies, replays, raw bytes, overrides.


def test_replies_are_consumed_in_order_then_echo(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("one")
    fake_ollama.reply(["t", "wo"])
    assert fake_ollama.pending_replies == 2
    got = []
    for _ in range(3):
        response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body("x"), stream=True, timeout=PATIENCE)
        got.append(streamed_content(response)[0])
    assert got == ["one", "two", "echo: x"]
    assert fake_ollama.pending_replies == 0


def test_validation_errors_do_not_consume_the_queue(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("scripted")
    missing = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(model="missing"), timeout=PATIENCE)
    assert missing.status_code == 404
    assert fake_ollama.pending_replies == 1
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=PATIENCE)
    assert streamed_content(response)[0] == "scripted"


def test_reply_status(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply_status(500, {"error": "llama runner process has terminated"})
    fake_ollama.reply_status(503, "server busy", content_type="text/plain")
    fake_ollama.reply_status(200, "<html><body>Welcome to nginx!</body></html>", content_type="text/html")
    first = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=PATIENCE)
    assert (first.status_code, first.json()) == (500, {"error": "llama runner process has terminated"})
    second = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=PATIENCE)
    assert (second.status_code, second.text) == (503, "server busy")
    third = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=PATIENCE)
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
    obj = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(stream=False), timeout=PATIENCE).json()
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
        response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=PATIENCE)
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
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=PATIENCE)
    assert streamed_content(response)[0] == "안녕하세요"  # the client side reassembles


def test_reply_raw_is_exact(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply_raw([b"<html>", b"oops"], content_type="text/html")
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    assert raw.headers["content-type"] == "text/html"
    assert raw.chunks == [b"<html>", b"oops"] and raw.terminated


def test_override_other_endpoints(fake_ollama: FakeOllama) -> None:
    fake_ollama.override("/api/show", 500, {"error": "boom"})
    fake_ollama.override("/", 200, "<html>router login</html>", content_type="text/html", method="GET")
    assert requests.post(f"{fake_ollama.url}/api/show", json={"model": "llama3.2"}, timeout=PATIENCE).status_code == 500
    assert requests.get(fake_ollama.url, timeout=PATIENCE).text == "<html>router login</html>"
    fake_ollama.clear_overrides()
    assert requests.get(fake_ollama.url, timeout=PATIENCE).text == "Ollama is running"


# --------------------------------------------------------------------------------------------------------------
# Request log, disconnects, delays.


def test_request_log(fake_ollama: FakeOllama) -> None:
    requests.get(fake_ollama.url, timeout=PATIENCE)
    first = chat_body("first", options={"temperature": 0.1})
    requests.post(f"{fake_ollama.url}/api/chat", json=first, timeout=PATIENCE)
    requests.post(f"{fake_ollama.url}/api/chat", data=b"{broken", timeout=PATIENCE)
    requests.post(f"{fake_ollama.url}/api/chat", json=chat_body("second"), headers={"X-Test": "1"}, timeout=PATIENCE)
    assert fake_ollama.wait_for_requests(4)
    assert fake_ollama.wait_for_requests(3, path="/api/chat")
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
    """Seen while the handler is in an hour-long pause between pieces or held at a gate never released: not
    at its next write, which would come an hour later, or never."""
    if waiting == "paced":
        gate = fake_ollama.reply(split_text("x" * 300), chunk_delay=3600)
    else:
        gate = fake_ollama.reply(split_text("x" * 300), hold_after=1)
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=PATIENCE)
    lines = response.iter_lines()
    next(lines)
    assert fake_ollama.disconnects == 0
    response.close()  # what the client does on Ctrl+C
    assert fake_ollama.wait_for_disconnect()
    assert fake_ollama.disconnects == 1 and gate.sent == 1 and not gate.complete


def test_completed_replies_are_not_disconnects(fake_ollama: FakeOllama) -> None:
    gates = [fake_ollama.reply("done"), fake_ollama.reply_status(500, {"error": "x"}), fake_ollama.reply("again")]
    for _ in gates:
        requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=PATIENCE)
    assert all(gate.wait_complete() for gate in gates)  # nothing is left to go wrong...
    assert fake_ollama.disconnects == 0  # ...and nothing did


def test_first_delay_triggers_client_read_timeout(fake_ollama: FakeOllama) -> None:
    gate = fake_ollama.reply("late", first_delay=3600)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=(PATIENCE, 0.2))
    assert fake_ollama.wait_for_disconnect()  # the server noticed the client gave up, within its hour-long delay
    assert gate.sent == 0


def test_chunk_delay_paces_the_stream(fake_ollama: FakeOllama) -> None:
    """Three pauses of `chunk_delay` (between the pieces and before the done line). Only a lower bound is
    asserted: a busy machine makes the exchange longer, never shorter. (Gaps seen by the client are no
    measure: a client that reads late sees two pieces at once.)"""
    fake_ollama.reply(["a", "b", "c"], chunk_delay=0.05)
    started = time.monotonic()
    raw = raw_exchange(fake_ollama, "POST", "/api/chat", chat_body())
    assert time.monotonic() - started >= 3 * 0.05
    assert [line["message"]["content"] for line in raw.lines] == ["a", "b", "c", ""]


# --------------------------------------------------------------------------------------------------------------
# Gates: a reply that stops after N pieces until the test releases it.


def test_hold_after_sends_n_pieces_then_waits_for_release(fake_ollama: FakeOllama) -> None:
    gate = fake_ollama.reply(["a", "b", "c", "d"], hold_after=2)
    assert isinstance(gate, Gate) and not gate.held and gate.sent == 0
    with socket.create_connection(("127.0.0.1", fake_ollama.port), timeout=PATIENCE) as sock:
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
    with socket.create_connection(("127.0.0.1", fake_ollama.port), timeout=PATIENCE) as sock:
        sock.sendall(raw_request(fake_ollama, "POST", "/api/chat", chat_body()))
        assert gate.wait_held()
        assert nothing_more(sock) and gate.sent == 0
        fake_ollama.release()  # the server-wide release works too
        raw = parse_raw(*read_to_end(sock))
    assert raw.status == 200 and "".join(line["message"]["content"] for line in raw.lines) == "slow start"


def test_thinking_is_not_counted_and_short_replies_hold_before_the_end(fake_ollama: FakeOllama) -> None:
    fake_ollama.add_model("qwen3", capabilities=("completion", "thinking"))
    gate = fake_ollama.reply(["x", "y"], thinking=["t1", "t2"], hold_after=5)
    with socket.create_connection(("127.0.0.1", fake_ollama.port), timeout=PATIENCE) as sock:
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
    response = requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), stream=True, timeout=PATIENCE)
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
        results.append(requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(stream=False), timeout=PATIENCE))

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
    assert requests.get(f"{fake_ollama.url}/api/version", timeout=PATIENCE).ok  # other paths are not held
    with socket.create_connection(("127.0.0.1", fake_ollama.port), timeout=PATIENCE) as sock:
        sock.sendall(raw_request(fake_ollama, "POST", "/api/show", {"model": "llama3.2"}))
        assert gate.wait_held() and nothing_more(sock)
        gate.release()
        raw = parse_raw(*read_to_end(sock))
    assert raw.status == 200 and "capabilities" in json.loads(raw.chunks[0])
    assert gate.wait_complete()
    assert requests.post(f"{fake_ollama.url}/api/show", json={"model": "llama3.2"}, timeout=PATIENCE).ok  # once only


def test_stop_and_hang_up_while_held(fake_ollama: FakeOllama) -> None:
    gate = fake_ollama.reply(["a", "b"], hold_after=0)
    with pytest.raises(requests.exceptions.ReadTimeout):  # the model "never starts": a client read timeout
        requests.post(f"{fake_ollama.url}/api/chat", json=chat_body(), timeout=(PATIENCE, 0.1))
    assert fake_ollama.wait_for_disconnect() and gate.held and not gate.complete
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
                            stdout=subprocess.PIPE, text=True, cwd=tests_dir if how == "module" else "/",
                            preexec_fn=default_signals)  # stopped with Ctrl+C, however pytest was started
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        url = banner.split()[4]
        assert url.startswith("http://127.0.0.1:")
        response = requests.post(f"{url}/api/chat", json=chat_body("ping"), timeout=PATIENCE)
        assert "".join(json.loads(line)["message"]["content"] for line in response.text.splitlines()) == "echo: ping"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=PATIENCE) == 0
