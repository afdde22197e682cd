"""ui/live.py: the redrawn tail on an in-memory terminal: folded to the width, cropped to the screen,
throttled by the clock, synchronized, and repaired after a resize."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from ui_helpers import LONG_REPLY, FakeClock, chunked, one_go, screen_lines, stream, trim, tty_console

from ollama_chat.ui import markdown, terminal
from ollama_chat.ui.live import fold, terminal_reflows
from ollama_chat.ui.terminal import TerminalOutput


def texts(rows) -> list[str]:
    return ["".join(segment.text for segment in row) for row in rows]


def test_fold_cuts_where_a_terminal_wraps():
    bold = Style(bold=True)
    line = [Segment("abcdef", bold), Segment("가나다"), Segment("xy")]  # 6 + 6 + 2 cells
    assert texts(fold(line, 20)) == ["abcdef가나다xy"]
    assert texts(fold(line, 4)) == ["abcd", "ef가", "나다", "xy"]
    assert texts(fold(line, 7)) == ["abcdef", "가나다x", "y"]  # "가" does not fit in the 7th cell: next row
    assert fold(line, 4)[0] == [Segment("abcd", bold)]  # styles kept
    assert fold([], 10) == [[]]


def test_which_terminals_reflow():
    assert terminal_reflows({"TERM": "xterm-256color", "VTE_VERSION": "7200"})
    assert terminal_reflows({"TERM": "tmux-256color", "TMUX": "/tmp/x"})
    assert terminal_reflows({"TERM": "xterm-256color", "XTERM_VERSION": "XTerm(390)", "TMUX": "/tmp/x"})
    assert not terminal_reflows({"TERM": "xterm", "XTERM_VERSION": "XTerm(390)"})
    assert not terminal_reflows({"TERM": "rxvt-unicode-256color"})
    assert not terminal_reflows({"TERM": "st-256color"})


@pytest.mark.parametrize("height", [24, 8])
def test_terminal_scrollback_holds_each_line_once(height):
    console = tty_console(80, height)
    clock = FakeClock()
    stream(TerminalOutput(console, clock=clock), chunked(LONG_REPLY, 5), clock=clock)
    assert screen_lines(console.file.getvalue(), 80, height) == one_go(LONG_REPLY, 80)


def test_a_tall_open_fence_is_cropped_to_the_screen_while_it_streams():
    console = tty_console(60, 10)
    clock = FakeClock()
    reply = TerminalOutput(console, clock=clock).reply()
    text = "Before the code.\n\n```python\n" + "".join(f"value_{i} = {i}\n" for i in range(60))
    for chunk in chunked(text, 4):
        clock.now += 0.07  # every chunk is drawn
        reply.content(chunk)
    rows = screen_lines(console.file.getvalue(), 60, 10)
    code_rows = [row for row in rows if "value_" in row]
    assert len(code_rows) <= 9  # the live region never grew past the screen, so nothing spilled into history
    assert "value_59 = 59" in code_rows[-1]
    reply.content("```\n\nAfter.\n")
    reply.finish()
    rows = screen_lines(console.file.getvalue(), 60, 10)
    assert rows == one_go(text + "```\n\nAfter.\n", 60)
    assert [row for row in rows if "value_" in row] == [f"value_{i} = {i}" for i in range(60)]


def test_an_open_fence_of_long_lines_is_folded_and_cropped_to_the_screen():
    console = tty_console(30, 8)
    clock = FakeClock()
    reply = TerminalOutput(console, clock=clock).reply()
    code = [f"call_{i:02d}(" + "argument, " * 6 + ")" for i in range(12)]  # 72 characters: 3 rows each
    for chunk in chunked("```python\n" + "\n".join(code), 6):
        clock.now += 0.07
        reply.content(chunk)
    live = screen_lines(console.file.getvalue(), 30, 8)
    assert len(live) <= 7 and live[-1] == code[-1][60:]  # the last rows of the last line, folded as it will be
    reply.content("\n```\n")
    reply.finish()
    rows = screen_lines(console.file.getvalue(), 30, 8)
    assert rows == ["[1] python", *[line[i : i + 30] for line in code for i in range(0, len(line), 30)]]


def test_live_region_is_redrawn_at_most_15_times_a_second(monkeypatch):
    draws = []
    original = terminal.TerminalReply._draw
    monkeypatch.setattr(terminal.TerminalReply, "_draw", lambda self: draws.append(clock()) or original(self))
    clock = FakeClock()
    reply = TerminalOutput(tty_console(), clock=clock).reply()
    for chunk in chunked(LONG_REPLY, 4)[:1000]:
        clock.now += 0.002  # 500 chunks a second for 2 seconds
        reply.content(chunk)
    reply.finish()
    assert 30 <= len(draws) <= 31  # drawn all along, at the rate and no faster
    assert all(b - a >= 1 / 15 for a, b in zip(draws, draws[1:]))


def test_a_slow_rendering_spaces_the_draws_out_by_the_injected_clock(monkeypatch):
    """The next draw waits for twice what rendering the open block took, timed on the reply's clock: a test's
    fake clock decides every draw, however long the rendering really takes on a busy machine."""
    clock = FakeClock()
    render = markdown.markdown_lines

    def slow_render(*args, **kwargs):
        clock.now += 0.2  # rendering the open block takes 0.2 s
        return render(*args, **kwargs)

    monkeypatch.setattr(markdown, "markdown_lines", slow_render)  # loaded by the renderer at its first reply
    console = tty_console()
    reply = TerminalOutput(console, clock=clock).reply()
    reply.content("Hello")  # drawn at once: started at 0, rendered by 0.2
    assert screen_lines(console.file.getvalue(), 80, 24)[-1] == "Hello"
    clock.now += 0.1  # 0.3: past the refresh interval (1/15 s), not yet twice the rendering (0.4)
    reply.content(", world")
    assert screen_lines(console.file.getvalue(), 80, 24)[-1] == "Hello"
    clock.now += 0.1  # 0.4
    reply.content("!")
    assert screen_lines(console.file.getvalue(), 80, 24)[-1] == "Hello, world!"
    reply.finish()


def test_a_long_open_table_is_drawn_from_its_header_and_last_rows():
    console = tty_console(60, 10)
    clock = FakeClock()
    reply = TerminalOutput(console, clock=clock).reply()
    text = "| name | n |\n|---|---|\n" + "".join(f"| row {i} | {i} |\n" for i in range(200))
    for chunk in chunked(text, 50):
        clock.now += 0.1
        reply.content(chunk)
    screen = screen_lines(console.file.getvalue(), 60, 10)
    assert len(screen) <= 9 and "row 199" in screen[-1]
    reply.content("\nEnd.")
    reply.finish()
    assert screen_lines(console.file.getvalue(), 60, 10) == one_go(text + "\nEnd.", 60)


def test_the_first_chunk_is_drawn_at_once_and_later_ones_wait():
    console = tty_console()
    clock = FakeClock()
    reply = TerminalOutput(console, clock=clock).reply()
    reply.content("Hello")
    assert "Hello" in screen_lines(console.file.getvalue(), 80, 24)[-1]
    reply.content(", world")
    assert screen_lines(console.file.getvalue(), 80, 24)[-1] == "Hello"
    clock.now += 0.1
    reply.content("!")
    assert screen_lines(console.file.getvalue(), 80, 24)[-1] == "Hello, world!"
    reply.finish()
    assert screen_lines(console.file.getvalue(), 80, 24) == ["Hello, world!"]


def test_synchronized_output_brackets_each_frame():
    console = tty_console()
    clock = FakeClock()
    stream(TerminalOutput(console, clock=clock), chunked(LONG_REPLY, 40), clock=clock)
    raw = console.file.getvalue()
    assert raw.count("\x1b[?2026h") == raw.count("\x1b[?2026l") > 0


@pytest.mark.parametrize("reflows, ups", [(True, 3), (False, 1)])
def test_after_the_terminal_narrows_the_erase_covers_the_rewrapped_rows(reflows, ups):
    console = tty_console(100, 24)
    clock = FakeClock()
    reply = TerminalOutput(console, clock=clock, reflows=reflows).reply()
    reply.content("w" * 98 + " " + "x" * 20)  # one paragraph, drawn live as two lines: 98 and 20 cells
    console.width = 45  # a reflowing terminal now shows them on 3 + 1 rows
    clock.now += 1
    reply.content(" more")
    last_frame = console.file.getvalue().rsplit("\x1b[?2026h", 1)[1]
    reset = last_frame.split("w", 1)[0]
    assert reset.count("\x1b[1A") == ups
    reply.finish()


def test_a_dumb_terminal_gets_the_final_text_and_no_cursor_movement(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    console = Console(file=io.StringIO(), width=60, height=10, force_terminal=True, color_system=None)
    assert console.is_dumb_terminal
    clock = FakeClock()
    stream(TerminalOutput(console, clock=clock), chunked(LONG_REPLY[:2000], 5), clock=clock)
    raw = console.file.getvalue()
    assert "\x1b" not in raw
    assert trim(raw.split("\n")) == one_go(LONG_REPLY[:2000], 60)
