"""The live tail of a long open paragraph: only the part that can be on the screen is rendered on each redraw,
while what ends in the scrollback is the whole reply rendered at once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.segment import Segment
from ui_helpers import FakeClock, chunked, one_go, screen_lines, stream, tty_console

from ollama_chat.ui import markdown
from ollama_chat.ui.lines import split_lines
from ollama_chat.ui.tail_window import visible_source
from ollama_chat.ui.terminal import TerminalOutput

LINE = "파이썬 딕셔너리는 키와 값의 쌍으로 이루어진 자료구조입니다. **Lists**, `dicts` and sets.\n"
WORDS = " ".join(f"word{i % 97} **bold{i % 13}** `c{i % 7}` 한국어{i % 5}" for i in range(3000))  # one line


def _rendered_sources(monkeypatch) -> list[int]:
    sizes: list[int] = []
    render = markdown.markdown_lines

    def counting(console, source, **kwargs):
        sizes.append(len(source))
        return render(console, source, **kwargs)

    monkeypatch.setattr(markdown, "markdown_lines", counting)  # the renderer's tail goes through it
    return sizes


@pytest.mark.parametrize("text", [LINE * 1000, WORDS], ids=["lines", "one-line"])
def test_the_live_tail_renders_a_bounded_piece_of_a_long_open_paragraph(monkeypatch, text):
    sizes = _rendered_sources(monkeypatch)
    console = tty_console(80, 24)
    clock = FakeClock()
    reply = TerminalOutput(console, clock=clock).reply()
    for i, chunk in enumerate(chunked(text, 40)):
        if i % 25 == 0:
            clock.now += 0.1  # a redraw is due
        reply.content(chunk)
    assert len(sizes) > 20 and len(text) > 40_000
    assert max(sizes) <= 4 * 23 * 80 + 2 * 80 * 23  # about a screenful of source, however long the paragraph
    rows = screen_lines(console.file.getvalue(), 80, 24)
    assert len(rows) <= 23 and rows  # the live region never outgrew the screen
    reply.finish()
    assert screen_lines(console.file.getvalue(), 80, 24) == one_go(text, 80)


@pytest.mark.parametrize("width,height", [(80, 24), (37, 10)])
def test_a_long_one_line_paragraph_ends_on_the_screen_as_rendered_at_once(width, height):
    console = tty_console(width, height)
    clock = FakeClock()
    stream(TerminalOutput(console, clock=clock), chunked(WORDS[:20_000], 3), clock=clock, steps=[0.0, 0.0, 0.05])
    assert screen_lines(console.file.getvalue(), width, height) == one_go(WORDS[:20_000], width)


def test_the_tail_of_a_long_paragraph_shows_its_last_lines():
    console = tty_console(80, 24)
    clock = FakeClock()
    reply = TerminalOutput(console, clock=clock).reply()
    text = "".join(f"line {i:04d} of the paragraph\n" for i in range(1000))
    for chunk in chunked(text, 50):
        clock.now += 0.1
        reply.content(chunk)
    rows = screen_lines(console.file.getvalue(), 80, 24)
    assert rows == [f"line {i:04d} of the paragraph" for i in range(977, 1000)]  # the last 23: the screen less one
    reply.finish()


def test_a_window_holds_at_least_a_screenful_and_its_start_moves_in_steps():
    source = LINE * 5000
    window = visible_source(source, "paragraph", 39, 100)
    assert source.endswith(window.split("\n", 1)[1]) and window.count("\n") >= 40
    assert visible_source(LINE * 3, "paragraph", 39, 100) == LINE * 3  # short: all of it
    assert visible_source(source, "bullet_list", 39, 100) == source  # lists are not windowed
    one_line = WORDS * 3
    starts = {len(one_line + "x" * n) - len(visible_source(one_line + "x" * n, "paragraph", 39, 100)) for n in range(50)}
    assert len(starts) == 1  # appending does not move the window's start, so the rows do not re-wrap


_segments = st.lists(
    st.builds(Segment, st.text(alphabet="ab\n한", max_size=8), st.sampled_from([None, "bold"])), max_size=6
)


@given(_segments)
def test_split_lines_gives_the_lines_rich_gives(segments):
    assert list(split_lines(segments)) == list(Segment.split_lines(segments))
