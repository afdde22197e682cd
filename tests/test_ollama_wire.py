"""Ollama's wire format as pure functions: lines reassembled from reads of any size, typed events out,
and requests built from typed messages."""

import json

import pytest

from ollama_chat.backends.ndjson import NotJSONLine, decode_line
from ollama_chat.backends.streaming import LineSplitter
from ollama_chat.backends.ollama_wire import LineError, NotChat, event_from, request_body
from ollama_chat.backends.ollama_models import model_info_from
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
        "truncate": False,
    }


def test_model_info_reads_the_maximum_window():
    info = model_info_from("qwen3:8b", {
        "model_info": {"general.architecture": "qwen3", "qwen3.context_length": 40960},
        "details": {"family": "qwen3", "parameter_size": "8.2B", "quantization_level": "Q4_K_M"},
        "capabilities": ["completion", "thinking"],
    })
    assert (info.context_length, info.capabilities, info.family) == (40960, ("completion", "thinking"), "qwen3")
    assert model_info_from("x", []).context_length is None


# -- hostile streams: bounded, and every corruption a clear error ---------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ollama_chat.backends.streaming import BadStream  # noqa: E402


def test_a_line_that_never_ends_is_refused_at_the_limit():
    splitter = LineSplitter(limit=1000)
    splitter.feed(b"x" * 600)
    with pytest.raises(BadStream, match="longer than"):
        splitter.feed(b"y" * 600)
    with pytest.raises(BadStream):
        LineSplitter(limit=1000).feed(b"z" * 2000 + b"\n")


def test_deeply_nested_json_is_malformed_not_a_crash():
    with pytest.raises(NotJSONLine):
        decode_line(b"[" * 100_000 + b"]" * 100_000)


def test_lone_surrogates_become_replacement_characters():
    event = event_from(json.loads('{"message": {"content": "a\\ud800b", "thinking": "\\udfff"}, "done": false}'))
    assert event.content == "a\ufffdb" and event.thinking == "\ufffd"
    event.content.encode("utf-8")  # printable and savable


STREAM = line("안녕하세요, ") + b"\n" + line("딕셔너리는 {}로 만듭니다.") + b"\n" + FINAL + b"\n"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_split_into_reads_gives_the_same_text(cuts):
    points = sorted(set(cuts))
    pieces = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)])]
    splitter = LineSplitter()
    events = [parse_chat_line(x) for p in pieces for x in splitter.feed(p)]
    assert splitter.flush() == b""
    assert "".join(e.content for e in events if e) == "안녕하세요, 딕셔너리는 {}로 만듭니다." and events[-1].done


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(STREAM) - 1), st.binary(min_size=1, max_size=8))
def test_any_corruption_is_a_clear_error_or_still_a_stream(at, garbage):
    corrupt = STREAM[:at] + garbage + STREAM[at + 1 :]
    splitter = LineSplitter()
    try:
        for x in [*splitter.feed(corrupt), splitter.flush()]:
            parse_chat_line(x)
    except (BadStream, NotChat, LineError):
        pass  # each is worded for the user by the backend; nothing else may escape
