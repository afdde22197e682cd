"""A reply that is one long paragraph (a model that never writes a blank line): the splitter parses only the new
lines of the open paragraph, not all of it again, and what the terminal ends up showing is the whole reply
rendered at once."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ui_helpers import FakeClock, chunked, one_go, screen_lines, stream, tty_console

from ollama_chat.ui import blocks
from ollama_chat.ui.blocks import BlockSplitter, top_level_blocks
from ollama_chat.ui.terminal import TerminalOutput

LINE = "파이썬 딕셔너리는 키와 값의 쌍으로 이루어진 자료구조입니다. **Lists**, `dicts` and sets.\n"


def test_a_long_open_paragraph_is_parsed_a_bounded_piece_at_a_time(monkeypatch):
    parsed: list[int] = []

    parse = blocks.block_spans

    def counting(source: str):
        parsed.append(len(source))
        return parse(source)

    monkeypatch.setattr(blocks, "block_spans", counting)
    splitter = BlockSplitter()
    for _ in range(2000):
        assert splitter.feed(LINE) == []
    assert splitter.kind == "paragraph" and splitter.text == LINE * 2000
    assert len(parsed) == 2000
    assert max(parsed[10:]) <= 3 * len(LINE)  # the last known line and the new one, not the whole paragraph


@pytest.mark.parametrize(
    "after",
    [
        "plain more\n\nnext paragraph\n",  # a blank line ends it
        "=====\nnext\n",  # a setext underline turns the whole paragraph into a heading
        "---\nnext\n",
        "| a | b |\n|---|---|\n| 1 | 2 |\n\nafter\n",  # the last line becomes a table's header
        "# heading\nnext\n",  # interruptions
        "- item\n- item\n\nafter\n",
        "1. one\n\nafter\n",
        "2. not a list\n    not code\n> quote\nafter\n",
        "```py\nx = 1\n```\nafter\n",
        "***\nafter\n",
        "\n[a]: /u\nplain words\n=====\n",  # a blank line, then a reference: the paragraph ended at the blank
        "\n[a]: /u\nplain words\nmore\n",
    ],
)
def test_a_long_paragraph_splits_as_the_whole_text_does(after):
    text = LINE * 30 + "| a | b |\n" + after
    splitter = BlockSplitter()
    got = []
    for chunk in chunked(text, 7):
        got += splitter.feed(chunk)
    got += splitter.flush()
    assert "".join(block.text for block in got) == text
    starts = top_level_blocks(text)
    assert [block.kind for block in got] == [kind for _, kind in starts]
    assert [block.text.count("\n") for block in got[:-1]] == [
        starts[i + 1][0] - starts[i][0] for i in range(len(starts) - 1)
    ]


@pytest.mark.parametrize("width,height", [(80, 24), (37, 10)])
def test_a_long_paragraph_ends_on_the_screen_as_rendered_at_once(width, height):
    text = LINE * 400 + "last line, no newline"
    console = tty_console(width, height)
    clock = FakeClock()
    stream(TerminalOutput(console, clock=clock), chunked(text, 3), clock=clock)
    assert screen_lines(console.file.getvalue(), width, height) == one_go(text, width)



_LINES = ["plain words", "more **bold** words", "=====", "---", "| a | b |", "|---|---|", "- x", "1. y", "2. z",
          "    indented", "> quote", "```", "", "# h", "[a]: /u", "***", "  lazy"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_LINES), min_size=1, max_size=30), st.integers(1, 9))
def test_paragraphs_followed_by_anything_split_as_the_whole_text_does(lines, size):
    text = "\n".join(["paragraph one", "paragraph two", *lines]) + "\n"
    splitter = BlockSplitter()
    got = []
    for chunk in chunked(text, size):
        got += splitter.feed(chunk)
    got += splitter.flush()
    assert "".join(block.text for block in got) == text
    whole = [kind for _, kind in top_level_blocks(text)]
    assert [block.kind for block in got] == whole[: len(got)]
    assert len(got) == len(whole) or (not text.strip("\n") and not whole)
