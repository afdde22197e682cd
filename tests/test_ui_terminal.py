"""ui/terminal.py: a reply streamed through the terminal renderer looks exactly like the whole reply rendered
in one go; code copies cleanly from the screen; thinking, stats, interrupted and failed replies; structured
output; the wait for the first chunk; hostile model text."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from ui_helpers import (
    HOSTILE,
    STATS,
    LONG_REPLY,
    FakeClock,
    chunked,
    chunkings,
    documents,
    file_console,
    fixture_chunks,
    one_go,
    screen_lines,
    stream,
    streamed_text,
    trim,
    tty_console,
)

from ollama_chat.types import Stats
from ollama_chat.ui.blocks import code_blocks
from ollama_chat.ui.lines import Lines
from ollama_chat.ui.markdown import markdown_lines
from ollama_chat.ui.terminal import TerminalOutput
from ollama_chat.ui.marks import format_stats


# --------------------------------------------------------------------------------------------------------------
# code copies cleanly from the screen
# --------------------------------------------------------------------------------------------------------------


def test_code_lines_start_at_column_0_and_copy_cleanly():
    """rich draws code with a one-column margin (Syntax padding=1): copied code got a stray leading space."""
    console = tty_console(60, 20)
    clock = FakeClock()
    text = "Here:\n\n```python\ndef f():\n    return 1\n```\n\nDone."
    stream(TerminalOutput(console, clock=clock), chunked(text, 3), clock=clock)
    rows = screen_lines(console.file.getvalue(), 60, 20)
    assert rows == ["Here:", "", "[1] python", "def f():", "    return 1", "", "", "Done."]


def test_long_code_lines_reach_the_terminal_whole():
    """rich word-wraps a long code line with hard line breaks, so it copied as several lines. It is now written
    whole and the terminal wraps it (and copies it as the one line it is), also while it streams live."""
    console = tty_console(40, 12)
    clock = FakeClock()
    code = "total = sum(price * quantity for price, quantity in zip(prices, quantities))  # 합계"
    text = f"Sum:\n\n```python\n{code}\nprint(total)\n```\n\nDone."
    stream(TerminalOutput(console, clock=clock), chunked(text, 3), clock=clock)
    raw = console.file.getvalue()
    last_print = raw.rsplit("\x1b[?2026h", 1)[-1]
    assert code in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", last_print).split("\n")  # no line break inside it
    rows = screen_lines(raw, 40, 12)
    folded = [code[i : i + 40].rstrip() for i in range(0, len(code), 40)]  # ASCII up to the last row
    assert rows == ["Sum:", "", "[1] python", *folded, "print(total)", "", "", "Done."]


# --------------------------------------------------------------------------------------------------------------
# code blocks numbered as `/copy code N` numbers them
# --------------------------------------------------------------------------------------------------------------

_LABEL = re.compile(r"\[(\d+)\](?: (\S+))?$")


def labels(rows: list[str]) -> list[tuple[int, str]]:
    return [(int(m[1]), m[2] or "") for m in map(_LABEL.search, rows) if m]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_streamed_code_blocks_carry_the_numbers_copy_code_uses(data):
    text = data.draw(documents())
    chunks = data.draw(chunkings(text))
    expected = [(i, block.language) for i, block in enumerate(code_blocks(text), 1)]
    assert labels(streamed_text(chunks, 80, steps=[0.05])) == expected


def test_the_live_tail_shows_the_number_the_block_will_keep():
    console = tty_console(60, 20)
    clock = FakeClock()
    reply = TerminalOutput(console, clock=clock).reply()
    for chunk in chunked("Intro\n\n```py\na = 1\n```\n\n- item\n\n  ```js\n  let b = 2;\n  ", 4):
        clock.now += 0.1
        reply.content(chunk)
    live = screen_lines(console.file.getvalue(), 60, 20)  # the js block is still open, drawn in the live tail
    assert live == ["Intro", "", "[1] py", "a = 1", "", "", " • item", "   [2] js", "   let b = 2;"]
    reply.content("```\n\n```\nlast\n")
    reply.finish(interrupted=True)  # an unclosed fence is still numbered
    rows = screen_lines(console.file.getvalue(), 60, 20)
    assert labels(rows) == [(1, "py"), (2, "js"), (3, "")]
    assert rows[rows.index("[3]") + 1] == "last"


# --------------------------------------------------------------------------------------------------------------
# streamed output == the whole reply rendered in one go
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["markdown-code", "long-table", "korean", "length-cut", "json-format", "few-shot"])
@pytest.mark.parametrize("width", [80, 37])
def test_streamed_fixture_equals_one_go(fixtures_dir, name, width):
    chunks = fixture_chunks(fixtures_dir / f"{name}.ndjson")
    assert streamed_text(chunks, width) == one_go("".join(chunks), width)


@pytest.mark.parametrize("size", [1, 3, 7, 50])
@pytest.mark.parametrize("width", [100, 40])
def test_streamed_long_reply_equals_one_go(size, width):
    assert streamed_text(chunked(LONG_REPLY, size), width) == one_go(LONG_REPLY, width)


def test_streamed_equals_one_go_when_the_tail_is_redrawn_on_every_chunk():
    console = file_console(60)
    stream(TerminalOutput(console, refresh_per_second=0), chunked(LONG_REPLY, 5))
    assert trim(console.file.getvalue().split("\n")) == one_go(LONG_REPLY, 60)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_streamed_equals_one_go_for_any_document_and_chunking(data):
    text = data.draw(documents())
    chunks = data.draw(chunkings(text))
    steps = data.draw(st.lists(st.sampled_from([0.0, 0.01, 0.05, 0.2]), min_size=1, max_size=8))
    width = data.draw(st.sampled_from([30, 80]))
    assert streamed_text(chunks, width, steps=steps) == one_go(text, width)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_on_a_terminal_the_screen_shows_each_line_of_the_one_go_rendering_once(data):
    text = data.draw(documents())
    chunks = data.draw(chunkings(text))
    steps = data.draw(st.lists(st.sampled_from([0.0, 0.01, 0.05, 0.2]), min_size=1, max_size=8))
    width, height = data.draw(st.sampled_from([(30, 6), (80, 24)]))
    console = tty_console(width, height)
    clock = FakeClock()
    stream(TerminalOutput(console, clock=clock), chunks, clock=clock, steps=steps)
    reference = file_console(width, height)  # the one-go rendering, wrapped by the same terminal emulator
    reference.print(Lines(markdown_lines(reference, text.replace("\t", "    "))), crop=False)
    expected = screen_lines(reference.file.getvalue(), width, height)
    assert screen_lines(console.file.getvalue(), width, height) == expected


def test_committed_styles_equal_one_go_styles():
    console = file_console(80, color="truecolor")
    clock = FakeClock()
    stream(TerminalOutput(console, clock=clock), chunked(LONG_REPLY, 6), clock=clock)
    reference = file_console(80, color="truecolor")
    reference.print(Lines(markdown_lines(reference, LONG_REPLY)), crop=False)
    assert console.file.getvalue() == reference.file.getvalue()
    assert "\x1b[" in reference.file.getvalue()


def test_committed_lines_have_no_trailing_padding():
    console = file_console(80, color="truecolor")
    stream(TerminalOutput(console), chunked(LONG_REPLY, 9))
    for line in console.file.getvalue().split("\n"):
        assert not re.sub(r"\x1b\[[0-9;]*m", "", line).endswith(" "), repr(line)


def test_terminal_output_works_with_any_console_and_adds_the_theme():
    console = Console(file=io.StringIO(), width=40)  # highlight on, no theme of ours
    stream(TerminalOutput(console), ["# Title\n\nsome 123 text 'quoted'\n"], thinking=["hmm\n"])
    assert "some 123 text 'quoted'" in console.file.getvalue()


def test_hostile_reply_reaches_the_terminal_neutralised():
    console = tty_console(80, 24)
    chunks = ["Before\n\n", "```\n", *HOSTILE, "\n```\n\nText ", *HOSTILE, " `", HOSTILE[0], "`\n\nAfter"]
    clock = FakeClock()
    stream(TerminalOutput(console, clock=clock), chunks, clock=clock, thinking=["thinking ", *HOSTILE, "\n"])
    raw = console.file.getvalue()
    for bad in ("\x1b[2J", "\x1b[H", "\x1b]", "\x07", "\x08", "\x9b", "\x7f", "\x00", "\x0b", "\x0c"):
        assert bad not in raw, repr(bad)
    rows = screen_lines(raw, 80, 24)
    assert rows[0] == "Thinking"  # nothing cleared the screen
    assert any("␛[2J␛[H" in row for row in rows)
    assert any("␛]52;c;cm0gLXJmIH4=␇" in row for row in rows)
    assert rows[-1] == "After"


# --------------------------------------------------------------------------------------------------------------
# finish: interrupted, failed, empty
# --------------------------------------------------------------------------------------------------------------


def test_interrupted_reply_stays_formatted_with_a_mark():
    console = file_console(60)
    text = "Here is code:\n\n```python\ndef f():\n    return 1"  # the fence never closes
    stream(TerminalOutput(console), chunked(text, 3), interrupted=True)
    lines = trim(console.file.getvalue().split("\n"))
    assert lines[-2:] == ["", "[interrupted]"]
    assert trim(lines[:-2]) == one_go(text, 60)
    assert "def f():" in lines and "    return 1" in lines  # rendered as code, not as raw text


def test_interrupted_on_a_terminal_leaves_no_live_region_behind():
    console = tty_console(60, 12)
    clock = FakeClock()
    text = LONG_REPLY[:3000]
    stream(TerminalOutput(console, clock=clock), chunked(text, 5), clock=clock, interrupted=True)
    assert screen_lines(console.file.getvalue(), 60, 12) == [*one_go(text, 60), "", "[interrupted]"]


def test_interrupted_while_thinking():
    console = file_console()
    stream(TerminalOutput(console), [], thinking=["still thinking"], interrupted=True)
    assert trim(console.file.getvalue().split("\n")) == ["Thinking", "  still thinking", "", "[interrupted]"]


def test_failed_reply_keeps_the_partial_answer_and_adds_nothing():
    console = file_console()
    stream(TerminalOutput(console), ["Partial **ans", "wer"])  # finish() without stats, as after an error
    assert trim(console.file.getvalue().split("\n")) == ["Partial **answer"]


def test_empty_reply_prints_nothing_and_finish_is_idempotent():
    console = tty_console()
    reply = TerminalOutput(console).reply(show_stats=True)
    reply.content("")
    reply.finish()
    reply.finish(Stats(eval_count=3))
    assert screen_lines(console.file.getvalue(), 80, 24) == []


def test_text_after_finish_is_ignored():
    console = file_console()
    reply = TerminalOutput(console).reply()
    reply.content("done")
    reply.finish()
    reply.content(" more")
    reply.thinking("late")
    assert trim(console.file.getvalue().split("\n")) == ["done"]


# --------------------------------------------------------------------------------------------------------------
# thinking
# --------------------------------------------------------------------------------------------------------------


def test_thinking_comes_first_dimmed_and_set_apart():
    console = file_console(40, color="truecolor")
    stream(
        TerminalOutput(console),
        ["# Answer\n\nThe answer is 42."],
        thinking=["\n", "Let me think. # not a heading\n\n\n", "Second ", "thought", "\n\n"],
    )
    raw = console.file.getvalue()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", raw)
    assert trim(plain.split("\n")) == [
        "Thinking",
        "  Let me think. # not a heading",
        "",
        "  Second thought",
        "",
        *one_go("# Answer\n\nThe answer is 42.", 40),
    ]
    assert "\x1b[2;3mLet me think" in raw  # dim italic
    assert "The answer is 42" not in raw.split("\x1b[2;3m", 1)[0]


def test_thinking_lines_wrap_inside_their_indent():
    console = file_console(20)
    stream(TerminalOutput(console), ["ok"], thinking=["생각 " * 12])
    lines = trim(console.file.getvalue().split("\n"))
    assert lines[0] == "Thinking"
    assert all(line.startswith("  ") for line in lines[1:-2]) and len(lines) > 4
    assert lines[-2:] == ["", "ok"]


def test_hidden_thinking_is_never_printed():
    console = tty_console()
    clock = FakeClock()
    output = TerminalOutput(console, hide_thinking=True, clock=clock)
    stream(output, ["Answer."], clock=clock, thinking=["secret plans\n"])
    raw = console.file.getvalue()
    assert "secret" not in raw
    assert screen_lines(raw, 80, 24) == ["Answer."]
    assert "thinking…" in raw  # a transient indicator while the hidden thinking streamed


def test_thinking_only_reply():
    console = file_console()
    stream(TerminalOutput(console), [], thinking=["just thinking"])
    assert trim(console.file.getvalue().split("\n")) == ["Thinking", "  just thinking"]


def test_thinking_after_the_answer_started_is_not_mixed_into_it():
    console = file_console()
    reply = TerminalOutput(console).reply()
    reply.content("Para one.\n\nPara ")
    reply.thinking("late thought")
    reply.content("two.")
    reply.finish()
    lines = trim(console.file.getvalue().split("\n"))
    assert lines == ["Para one.", "", "Para two.", "", "Thinking", "  late thought"]


def test_whitespace_content_during_thinking_does_not_end_it():
    console = file_console()
    reply = TerminalOutput(console).reply()
    reply.thinking("first ")
    reply.content("\n\n")
    reply.thinking("second")
    reply.content("Answer")
    reply.finish()
    assert trim(console.file.getvalue().split("\n")) == ["Thinking", "  first second", "", "Answer"]


# --------------------------------------------------------------------------------------------------------------
# stats
# --------------------------------------------------------------------------------------------------------------


def test_stats_are_shown_only_for_the_replies_that_ask():
    console = file_console()
    output = TerminalOutput(console)
    stream(output, ["One."], stats=STATS)
    stream(output, ["Two."], stats=STATS, show_stats=True)  # /stats on
    stream(output, ["Three."], stats=None, show_stats=True)
    lines = trim(console.file.getvalue().split("\n"))
    assert lines == ["One.", "Two.", format_stats(STATS), "Three."]


def test_stats_after_an_interrupted_reply():
    console = file_console()
    stream(TerminalOutput(console), ["Par"], stats=STATS, show_stats=True, interrupted=True)
    assert trim(console.file.getvalue().split("\n")) == ["Par", "", "[interrupted]", format_stats(STATS)]


def test_a_cut_reply_is_marked_even_without_stats():
    console = file_console()
    stream(TerminalOutput(console), ["Par"], stats=Stats(done_reason="length"))
    assert trim(console.file.getvalue().split("\n"))[-1].startswith("[cut: ")


# --------------------------------------------------------------------------------------------------------------
# structured output and the wait for the first chunk
# --------------------------------------------------------------------------------------------------------------


def test_json_reply_is_shown_as_sent_not_as_markdown():
    reply_text = '{\n  "category": "tech",\n  "answer": "__init__ 과 *args, **kwargs** 설명",\n  "tags": ["# 제목", "- 목록"]\n}'
    console = file_console(80)
    reply = TerminalOutput(console).reply(language="json")
    for piece in chunked(reply_text, 3):
        reply.content(piece)
    reply.finish()
    rows = screen_lines(console.file.getvalue(), 80, 24)
    assert [row for row in rows if row.strip()] == reply_text.splitlines()  # indentation and all, at column 0


def test_waiting_spinner_shows_until_the_first_chunk_then_vanishes():
    console = tty_console(80)
    reply = TerminalOutput(console).reply(waiting="waiting for llama3.2:latest…")
    assert "waiting for llama3.2:latest…" in console.file.getvalue()  # drawn at once, not on a timer
    reply.content("첫 답입니다.")
    reply.finish()
    assert screen_lines(console.file.getvalue(), 80, 24) == ["첫 답입니다."]


def test_waiting_spinner_is_cleared_on_interrupt_before_any_text():
    console = tty_console(80)
    reply = TerminalOutput(console).reply(waiting="waiting for m…")
    assert "waiting for m…" in console.file.getvalue()
    reply.finish(interrupted=True)
    assert screen_lines(console.file.getvalue(), 80, 24) == ["[interrupted]"]


def test_no_spinner_when_nothing_is_animated():
    console = file_console()
    reply = TerminalOutput(console).reply(waiting="waiting for m…")
    reply.content("Hi")
    reply.finish()
    assert console.file.getvalue() == "Hi\n"


@pytest.mark.parametrize(
    "text",
    [
        " ".join(f"단어{i}" for i in range(200)),  # one paragraph taller than the screen
        "\n".join(f"줄 {i}" for i in range(50)),
        "```\n" + "\n".join(f"x = {i}" for i in range(50)) + "\n```",
    ],
)
def test_a_reply_taller_than_the_screen_ends_showing_its_tail(text):
    """The open block's rows were drawn again after the final print and then erased: the screen ended blank
    but for the reply's last line."""
    import pyte

    width, height = 40, 10
    console = tty_console(width, height)
    clock = FakeClock()
    stream(TerminalOutput(console, clock=clock), chunked(text, 7), clock=clock, steps=[0.1])
    screen = pyte.Screen(width, height)
    screen.set_mode(pyte.modes.LNM)
    pyte.Stream(screen).feed(console.file.getvalue())
    visible = trim([row.rstrip() for row in screen.display])
    assert len(visible) >= height - 2  # the screen is full of the reply, not blank
    assert visible == one_go(text, width)[-len(visible) :]
