"""Ollama's wire format as pure functions: lines reassembled from reads of any size, typed events out,
and requests built from typed messages."""

import json

import pytest

from ollama_chat.backends.ndjson import LineSplitter, NotJSONLine, decode_line
from ollama_chat.backends.ollama import LineError, NotChat, event_from, model_info_from, request_body
from ollama_chat.types import ChatEvent, ChatRequest, Message, Stats


def parse_chat_line(data):
    value = decode_line(data)
    return None if value is None else event_from(value)

FINAL = (
    b'{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"length",'
    b'"total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,'
    b'"prompt_eval_duration":342546000,"eval_count":282,"eval_duration":4535599000}'
)


def line(content="", thinking=""):
    msg = {"role": "assistant", "content": content}
    if thinking:
        msg["thinking"] = thinking
    return json.dumps({"model": "m", "message": msg, "done": False}, ensure_ascii=False).encode()


def test_content_and_thinking_pieces():
    assert parse_chat_line(line("안녕")) == ChatEvent(content="안녕")
    assert parse_chat_line(line(thinking="hmm")) == ChatEvent(thinking="hmm")
    assert parse_chat_line(b"  \r") is None


def test_final_line_carries_stats():
    chunk = parse_chat_line(FINAL)
    assert chunk.done and chunk.content == ""
    assert chunk.stats == Stats("length", 282, 4535599000, 26, 342546000, 1334875, 4883583458)
    assert chunk.stats.cut_by_length
    assert chunk.stats.tokens_per_second == pytest.approx(282 / 4.535599)


def test_zero_metrics_are_omitted_by_ollama():
    stats = parse_chat_line(b'{"message":{"content":""},"done":true,"done_reason":"stop"}').stats
    assert stats == Stats(done_reason="stop") and stats.tokens_per_second is None


def test_error_line_and_non_json():
    with pytest.raises(LineError) as e:
        parse_chat_line(b'{"error":"an error was encountered while running the model"}')
    assert e.value.text == "an error was encountered while running the model"
    with pytest.raises(NotJSONLine):
        parse_chat_line(b"<html><body>hello</body></html>")
    with pytest.raises(NotChat):
        parse_chat_line(b'{"status":"ok"}')


def test_lines_split_across_reads_at_every_byte():
    data = line("파이썬") + b"\n" + line(" 딕셔너리") + b"\n" + FINAL + b"\n"
    for cut in range(1, len(data)):
        splitter = LineSplitter()
        lines = splitter.feed(data[:cut]) + splitter.feed(data[cut:])
        assert splitter.flush() == b""
        chunks = [parse_chat_line(x) for x in lines]
        assert "".join(c.content for c in chunks) == "파이썬 딕셔너리"
        assert chunks[-1].done


def test_byte_at_a_time_korean():
    data = line("종료합니다") + b"\n"
    splitter = LineSplitter()
    lines = [x for b in data for x in splitter.feed(bytes([b]))]
    assert [parse_chat_line(x).content for x in lines] == ["종료합니다"]


def test_unterminated_last_line_is_flushed():
    splitter = LineSplitter()
    assert splitter.feed(FINAL[:10]) == []
    assert splitter.feed(FINAL[10:]) == []
    assert parse_chat_line(splitter.flush()).done


def test_request_body_from_typed_messages():
    request = ChatRequest(
        model="llava",
        messages=(Message("system", "s"), Message("user", "이 그림은?", images=("aGk=",))),
        options={"temperature": 0.1},
        think=False,
    )
    assert request_body(request) == {
        "model": "llava",
        "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "이 그림은?", "images": ["aGk="]}],
        "stream": True,
        "options": {"temperature": 0.1},
        "think": False,
    }


def test_model_info_reads_the_maximum_window():
    info = model_info_from("qwen3:8b", {
        "model_info": {"general.architecture": "qwen3", "qwen3.context_length": 40960},
        "details": {"family": "qwen3", "parameter_size": "8.2B", "quantization_level": "Q4_K_M"},
        "capabilities": ["completion", "thinking"],
    })
    assert (info.context_length, info.capabilities, info.family) == (40960, ("completion", "thinking"), "qwen3")
    assert model_info_from("x", []).context_length is None
