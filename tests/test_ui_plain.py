"""ui/plain.py: the reply's bytes as received on `out`; thinking, marks and stats on `err` only."""

from __future__ import annotations

import io

import pytest
from ui_helpers import stream

from ollama_chat.types import Stats
from ollama_chat.ui.plain import PlainOutput
from ollama_chat.ui.marks import format_stats

STATS = Stats(eval_count=42, eval_duration=1_333_333_333, prompt_eval_count=26, total_duration=4_900_000_000)


class Flushes(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[bytes] = []

    def flush(self) -> None:
        self.flushed.append(self.getvalue())


def test_plain_is_byte_faithful_and_flushed_per_chunk():
    out, err = Flushes(), io.StringIO()
    chunks = ["# Title\n", "*raw* ", "\x1b[2J", " 한국", "어 \r\n", "\x07tail ", "\ud800"]
    stream(PlainOutput(out, err=err), chunks)
    expected = "".join(chunks).encode("utf-8", "replace")
    assert out.getvalue() == expected + b"\n"
    assert out.flushed[: len(chunks)] == [
        "".join(chunks[: i + 1]).encode("utf-8", "replace") for i in range(len(chunks))
    ]
    assert err.getvalue() == ""


@pytest.mark.parametrize(
    "chunks, expected", [([], b""), (["a\n"], b"a\n"), (["a", "b"], b"ab\n"), (["\n"], b"\n"), (["x\n\n"], b"x\n\n")]
)
def test_plain_ends_with_one_added_newline_only_if_missing(chunks, expected):
    out = io.BytesIO()
    stream(PlainOutput(out), chunks)
    assert out.getvalue() == expected


def test_plain_thinking_stats_and_marks_go_to_err_only():
    out, err = io.BytesIO(), io.StringIO()
    stream(
        PlainOutput(out, err=err),
        ["Answer"],
        thinking=["I think \x1b]2;x\x07", "so"],
        stats=STATS,
        show_stats=True,
        interrupted=True,
    )
    assert out.getvalue() == b"Answer\n"
    assert err.getvalue() == f"I think ␛]2;x␇so\n[interrupted]\n{format_stats(STATS)}\n"


def test_plain_stats_only_for_the_replies_that_ask():
    out, err = io.BytesIO(), io.StringIO()
    output = PlainOutput(out, err=err)
    stream(output, ["One"], stats=STATS)
    stream(output, ["Two"], stats=STATS, show_stats=True)
    assert out.getvalue() == b"One\nTwo\n"
    assert err.getvalue() == format_stats(STATS) + "\n"


def test_plain_hide_thinking_and_no_err():
    out, err = io.BytesIO(), io.StringIO()
    stream(PlainOutput(out, err=err, hide_thinking=True), ["A"], thinking=["secret"])
    stream(PlainOutput(out), ["B"], thinking=["secret"], stats=STATS, show_stats=True)
    assert out.getvalue() == b"A\nB\n"
    assert err.getvalue() == ""


def test_plain_sanitized_for_a_terminal():
    out = io.BytesIO()
    stream(PlainOutput(out, sanitized=True), ["a\x1b[2Jb"])
    assert out.getvalue() == "a␛[2Jb\n".encode()


def test_plain_ignores_the_language():
    out = io.BytesIO()
    reply = PlainOutput(out).reply(language="json", waiting="waiting…")
    reply.content('{"a": 1}')
    reply.finish()
    assert out.getvalue() == b'{"a": 1}\n'
