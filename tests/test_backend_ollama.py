"""The Ollama backend against the fake server: what goes over the wire, and every error a user can meet."""

import socket

import pytest

from ollama_chat.backends.base import (
    IncompleteReply,
    ModelNotFound,
    ReadTimeout,
    ServerError,
    ServerUnreachable,
    WrongServer,
)
from ollama_chat.backends.network import network_reason
from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.types import ChatRequest, Message
from ollama_chat.ui.wording import for_command_line

REQ = ChatRequest(model="llama3.2:latest", messages=(Message("user", "안녕"),))


def collect(client, request=REQ):
    chunks = list(client.chat(request))
    return "".join(c.content for c in chunks), "".join(c.thinking for c in chunks), chunks[-1].stats


def test_streams_content_thinking_and_stats(fake_ollama):
    fake_ollama.reply(["안녕", "하세요", "!"], thinking=["음", "…"], eval_count=3, eval_duration=1_500_000_000)
    text, thinking, stats = collect(OllamaBackend(fake_ollama.url))
    assert (text, thinking) == ("안녕하세요!", "음…")
    assert stats.eval_count == 3 and stats.tokens_per_second == pytest.approx(2.0)


def test_request_body_on_the_wire(fake_ollama):
    fake_ollama.add_model("qwen3:8b", capabilities=("completion", "thinking"))
    request = ChatRequest(
        model="qwen3:8b",
        messages=(Message("system", "스님"), Message("user", "q")),
        options={"temperature": 0.1, "stop": ["###"]},
        format="json",
        think="high",
        keep_alive="10m",
    )
    collect(OllamaBackend(fake_ollama.url), request)
    body = fake_ollama.last_chat
    assert body == {
        "model": "qwen3:8b",
        "messages": [{"role": "system", "content": "스님"}, {"role": "user", "content": "q"}],
        "stream": True,
        "options": {"temperature": 0.1, "stop": ["###"]},
        "format": "json",
        "think": "high",
        "keep_alive": "10m",
        "truncate": False,  # a prompt over the window is refused, never silently cut
    }
    assert fake_ollama.requests[-1].headers["Content-Type"] == "application/json"


def test_no_optional_fields_when_unset(fake_ollama):
    collect(OllamaBackend(fake_ollama.url))
    assert set(fake_ollama.last_chat) == {"model", "messages", "stream", "truncate"}


def test_lines_split_inside_korean_characters(fake_ollama):
    lines = [b'{"message":{"role":"assistant","content":"\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"},"done":false}\n',
             b'{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","eval_count":1}\n']
    fake_ollama.reply_raw(lines, split_writes=True)
    assert collect(OllamaBackend(fake_ollama.url))[0] == "한국어"


def test_recorded_korean_stream(fake_ollama, fixtures_dir):
    fake_ollama.replay(fixtures_dir / "korean.ndjson")
    text, _, stats = collect(OllamaBackend(fake_ollama.url))
    assert text.startswith("안녕하세요! 딕셔너리") and stats.cut_by_length


def test_non_streaming_call(fake_ollama):
    fake_ollama.reply("전체 답변입니다", thinking="생각")
    (chunk,) = OllamaBackend(fake_ollama.url).chat(ChatRequest(model="llama3.2:latest", messages=REQ.messages, stream=False))
    assert (chunk.content, chunk.thinking, chunk.done) == ("전체 답변입니다", "생각", True)
    assert fake_ollama.last_chat["stream"] is False


def test_server_down_names_the_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ServerUnreachable) as e:
        OllamaBackend(f"http://127.0.0.1:{port}").chat(REQ)
    assert f"http://127.0.0.1:{port}" in e.value.message and "connection refused" in e.value.message
    hint = for_command_line(e.value).hint
    assert "ollama serve" in hint and "OLLAMA_HOST" in hint


def test_unknown_model_suggests_pull(fake_ollama):
    with pytest.raises(ModelNotFound) as e:
        OllamaBackend(fake_ollama.url).chat(ChatRequest(model="mistral", messages=()))
    assert "'mistral'" in e.value.message and "ollama-chat models pull mistral" in for_command_line(e.value).hint


@pytest.mark.parametrize(
    "status, body, words",
    [
        (500, {"error": "llama runner process has terminated"}, "HTTP 500: llama runner process has terminated"),
        (503, {"error": "server busy, please try again.  maximum pending requests exceeded"}, "HTTP 503: server busy"),
        (400, {"error": '"llama3.2:latest" does not support thinking'}, "does not support thinking"),
    ],
)
def test_http_errors_carry_ollamas_text(fake_ollama, status, body, words):
    fake_ollama.reply_status(status, body)
    with pytest.raises(ServerError) as e:
        OllamaBackend(fake_ollama.url).chat(REQ)
    assert words in e.value.message and e.value.status == status and fake_ollama.url in e.value.message
    assert for_command_line(e.value).hint


def test_think_on_a_model_that_cannot(fake_ollama):
    with pytest.raises(ServerError) as e:
        OllamaBackend(fake_ollama.url).chat(ChatRequest(model="llama3.2", messages=(), think=True))
    assert "does not support thinking" in e.value.message and "can't think" in for_command_line(e.value).hint


def test_mid_stream_error_keeps_the_partial_text(fake_ollama):
    fake_ollama.reply(["첫 ", "부분", "은 보임", "끝"], error_after=2)
    chunks = []
    with pytest.raises(IncompleteReply) as e:
        for chunk in OllamaBackend(fake_ollama.url).chat(REQ):
            chunks.append(chunk.content)
    assert "".join(chunks) == "첫 부분"
    assert "after 4 characters" in e.value.message
    assert "incomplete" in e.value.message and "an error was encountered while running the model" in e.value.message


@pytest.mark.parametrize("mode, words", [("eof", "the stream ended before Ollama said it was done"), ("reset", "the connection was cut")])
def test_cut_connection_is_an_incomplete_reply(fake_ollama, mode, words):
    fake_ollama.reply("a long answer that never ends", cut_after=3, cut_mode=mode)
    with pytest.raises(IncompleteReply) as e:
        collect(OllamaBackend(fake_ollama.url))
    assert "incomplete after 9 characters" in e.value.message and words in e.value.message


def test_html_server_is_not_ollama(fake_ollama):
    fake_ollama.reply_status(200, "<html><body>Welcome to nginx</body></html>", content_type="text/html")
    with pytest.raises(WrongServer) as e:
        OllamaBackend(fake_ollama.url).chat(REQ)
    assert "does not look like Ollama" in e.value.message and "nginx" in e.value.message


def test_non_json_lines_are_not_ollama(fake_ollama):
    fake_ollama.reply_raw([b"hello there\n", b"more\n"])
    with pytest.raises(IncompleteReply, match="the server sent a line that is not JSON"):
        collect(OllamaBackend(fake_ollama.url))


def test_404_page_is_not_ollama(fake_ollama):
    fake_ollama.override("/api/chat", 404, "404 page not found", content_type="text/plain")
    with pytest.raises(WrongServer):
        OllamaBackend(fake_ollama.url).chat(REQ)


def test_read_timeout_says_how_long_and_how_to_raise_it(fake_ollama):
    fake_ollama.reply("late", hold_after=0)  # never answers (the gate is not released): the timeout must run out
    with pytest.raises(ReadTimeout) as e:
        OllamaBackend(fake_ollama.url, timeout=0.3).chat(REQ)
    assert "0.3 s" in e.value.message and "--timeout" in for_command_line(e.value).hint


def test_timeout_between_chunks(fake_ollama):
    fake_ollama.reply(["a", "b", "c"], hold_after=1)  # "a", then nothing until the gate is released: never
    with pytest.raises(ReadTimeout):
        collect(OllamaBackend(fake_ollama.url, timeout=0.3))


def test_list_models_and_show(fake_ollama):
    fake_ollama.add_model("qwen3:8b")
    client = OllamaBackend(fake_ollama.url)
    assert client.list_models() == ["llama3.2:latest", "qwen3:8b"]
    assert client.model_info("qwen3:8b").name == "qwen3:8b"
    with pytest.raises(ModelNotFound):
        client.model_info("nope")


def test_close_drops_the_connection(fake_ollama):
    gate = fake_ollama.reply(["x"] * 200, hold_after=1)  # the rest waits: the reply cannot end by itself
    stream = OllamaBackend(fake_ollama.url).chat(REQ)
    it = iter(stream)
    next(it)
    stream.close()
    assert fake_ollama.wait_for_disconnect() and not gate.complete


def test_unknown_model_suggests_an_installed_tag(fake_ollama):
    fake_ollama.add_model("gemma3:1b")
    with pytest.raises(ModelNotFound) as e:
        OllamaBackend(fake_ollama.url).chat(ChatRequest(model="gemma3", messages=(Message("user", "q"),)))
    assert e.value.hint == "Did you mean gemma3:1b?" and "pull" not in e.value.hint


def test_network_failures_are_told_apart_by_type_and_errno():
    import errno
    import socket as sock

    import requests

    def wrapped(inner):
        try:
            try:
                raise inner
            except OSError as e:
                raise requests.exceptions.ConnectionError("anything at all") from e
        except requests.exceptions.ConnectionError as outer:
            return outer

    assert network_reason(wrapped(ConnectionRefusedError(errno.ECONNREFUSED, "x"))) == "connection refused"
    assert network_reason(wrapped(OSError(errno.EHOSTUNREACH, "x"))) == "no route to host"
    assert network_reason(wrapped(sock.gaierror(sock.EAI_NONAME, "x"))) == "unknown host name"
    assert network_reason(wrapped(OSError(errno.EPERM, "Connection refused"))) == "connection failed"  # text is not read
