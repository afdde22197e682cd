"""Every fault a server can commit, in one-shot mode and in the REPL: one message naming the host and what to
do, the right exit code, no traceback; the REPL still usable afterwards and its log well-formed."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from helpers import PATIENCE
from ui_helpers import still_output

from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.cli.main import main
from ollama_chat.environment import Environment
from ollama_chat.chat.personas import load_persona
from ollama_chat.chat.session import ChatSession
from ollama_chat.chat.settings import Flags
from ollama_chat.chat.layers import build_layers
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.commands import handle_line
from ollama_chat.ui.chat import ConsoleNotify

EVIL = "\x1b[2J\x1b]0;pwned\x07"

# name -> (how to queue it on the fake, words the message must hold). A stall is a reply held at a gate that is
# never released, so the client's 0.5 s must run out, however slow the machine; every other fault runs with a
# timeout no busy machine reaches, so it cannot turn into a stall either.
FAULTS = {
    "stall before the reply": (lambda f: f.reply("late", hold_after=0), "sent nothing for 0.5 s"),
    "stall mid-reply": (lambda f: f.reply(["a", "b", "c"], hold_after=1), "sent nothing for 0.5 s"),
    "reset mid-reply": (lambda f: f.reply("잘린 답변입니다 정말로", cut_after=2, cut_mode="reset"), "the connection was cut"),
    "end mid-reply": (lambda f: f.reply("잘린 답변입니다 정말로", cut_after=2, cut_mode="eof"), "ended before Ollama said it was done"),
    "half a line, then the end": (lambda f: f.reply_raw([b'{"message":{"role":"assistant","con']), "ended in the middle of a line"),
    "garbage": (lambda f: f.reply_raw([b"\x00\xff\xfe not json at all\n"]), "not JSON"),
    "JSON that is not a chat": (lambda f: f.reply_raw([b'{"status":"ok"}\n']), "not Ollama's stream"),
    "a line that never ends": (lambda f: f.reply_raw([b"x" * (1 << 20)] * 9), "longer than 8 MiB"),
    "error line mid-reply": (lambda f: f.reply(["부분 ", "답"], error_after=1, error_text=f"model crashed{EVIL}"), "model crashed"),
    "500 with Ollama's error": (lambda f: f.reply_status(500, {"error": f"runner died{EVIL}"}), "HTTP 500: runner died"),
    "502 from a proxy (HTML)": (lambda f: f.reply_status(502, "<html>Bad Gateway</html>", content_type="text/html"), "does not look like Ollama"),
    "503 busy": (lambda f: f.reply_status(503, {"error": "server busy, please try again."}), "wait a moment"),
    "200 HTML page": (lambda f: f.reply_status(200, "<html>nginx</html>", content_type="text/html"), "does not look like Ollama"),
}
STALL_TIMEOUT = 0.5


def timeout_for(fault: str) -> float:
    return STALL_TIMEOUT if fault.startswith("stall") else PATIENCE


@pytest.mark.parametrize("fault", FAULTS)
def test_one_shot(fault, fake_ollama, tmp_path, capsys):
    queue, words = FAULTS[fault]
    queue(fake_ollama)
    env = Environment.in_memory(b"", {"HOME": str(tmp_path), "OLLAMA_HOST": fake_ollama.host_port})
    with pytest.raises(SystemExit) as exit_:
        main(["--timeout", f"{timeout_for(fault):g}", "질문"], env)
    err = env.stderr.buffer.getvalue().decode() + capsys.readouterr().err
    assert exit_.value.code == 1, err
    assert words in err and fake_ollama.host_port in err, err
    assert "Traceback" not in err and "\x1b" not in err


@pytest.fixture
def chat(fake_ollama, tmp_path):
    layers = build_layers(Flags(timeout=PATIENCE), {}, {"OLLAMA_HOST": fake_ollama.host_port},
                          load_persona("monk", tmp_path))
    console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system=None)
    backend = OllamaBackend(layers.resolve().host, PATIENCE)
    return Chat(ChatSession(layers, backend, still_output(console), ConsoleNotify(console), tmp_path), console)


@pytest.mark.parametrize("fault", FAULTS)
def test_the_repl_survives(fault, chat, fake_ollama):
    handle_line(chat, "첫 질문")
    queue, words = FAULTS[fault]
    queue(fake_ollama)
    chat.session.backend.timeout = timeout_for(fault)  # for this question only: the others are answered
    assert handle_line(chat, "문제의 질문")
    chat.session.backend.timeout = PATIENCE
    shown = chat.console.file.getvalue()
    assert words in " ".join(shown.split()) and "Nothing was added to the history" in shown  # wrapped at words
    assert "\x1b[2J" not in shown and "\x1b]0;" not in shown
    assert [e.question.content for e in chat.session.conversation.exchanges] == ["첫 질문"]
    assert handle_line(chat, "다음 질문")  # still usable, and what it sends is well-formed
    assert [m["content"] for m in fake_ollama.last_chat["messages"][1:]] == ["첫 질문", "echo: 첫 질문", "다음 질문"]
    handle_line(chat, "/retry")
    assert [e.question.content for e in chat.session.conversation.exchanges] == ["첫 질문", "다음 질문"]


def test_a_server_that_never_answers_the_start_up_check_does_not_hold_the_prompt(chat, fake_ollama):
    gate = fake_ollama.hold_next("/api/show")  # never released while the check waits: only its timeout ends it
    chat.session.check_model(timeout=0.5)
    assert gate.held and fake_ollama.wait_for_disconnect()  # it gave up on the server, not the other way round
    assert "sent nothing for 0.5 s" in chat.console.file.getvalue() and "once the server answers, just ask" in chat.console.file.getvalue()
    gate.release()


# -- compressed answers: a server may send gzip though none was asked for -------------------------------------


def gzip_server(body: bytes):
    """A one-route HTTP server answering every POST with `body` as a gzip-encoded NDJSON stream."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for i in range(0, len(body), 1 << 16):
                    part = body[i : i + (1 << 16)]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass  # the client gave up, as it should

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.handle_error = lambda request, address: None  # the client hanging up is the point, not a failure
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def one_shot(host: str, tmp_path, capsys) -> tuple[int, str]:
    env = Environment.in_memory(b"", {"HOME": str(tmp_path), "OLLAMA_HOST": host})
    with pytest.raises(SystemExit) as exit_:
        main(["질문"], env)
    return exit_.value.code, env.stderr.buffer.getvalue().decode() + capsys.readouterr().err


def test_a_gzip_bomb_is_refused_at_the_line_limit(tmp_path, capsys):
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join(packer.compress(b"\0" * (1 << 20)) for _ in range(256)) + packer.flush()  # 256 MiB in ~250 KiB
    server = gzip_server(bomb)
    try:
        code, err = one_shot(f"127.0.0.1:{server.server_address[1]}", tmp_path, capsys)
    finally:
        server.shutdown()
    assert code == 1 and "longer than 8 MiB" in err and "Traceback" not in err


def test_a_corrupt_compressed_stream_is_worded(tmp_path, capsys):
    import gzip

    good = gzip.compress(b'{"message":{"role":"assistant","content":"hi"},"done":false}\n' * 50)
    server = gzip_server(good[:40] + b"\xff" * 200 + good[240:])
    try:
        code, err = one_shot(f"127.0.0.1:{server.server_address[1]}", tmp_path, capsys)
    finally:
        server.shutdown()
    assert code == 1 and "compressed stream is corrupt" in err and "Traceback" not in err
