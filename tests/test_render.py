"""render.py: sanitising, block splitting, streamed == rendered in one go, the live region, thinking, stats,
the plain renderer and the one switch between them."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pyte
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.markdown import Markdown

from ollama_chat import render_terminal as render
from ollama_chat.render import PlainOutput, format_stats, make_console, make_output, plain_output, sanitize
from ollama_chat.render_terminal import (
    CODE_THEME,
    Block,
    BlockSplitter,
    ReplyMarkdown,
    TerminalOutput,
    markdown_lines,
    terminal_output,
)
from ollama_chat.stream import Stats

REPO = Path(__file__).resolve().parent.parent
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# --------------------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def file_console(width: int = 80, height: int = 24, color: str | None = None) -> Console:
    """A console that is not a terminal: only what is final gets printed, nothing animated."""
    return Console(file=io.StringIO(), width=width, height=height, color_system=color, highlight=False)


def tty_console(width: int = 80, height: int = 24) -> Console:
    """An in-memory terminal: Live draws, moves the cursor and erases, as on a real one."""
    return Console(
        file=io.StringIO(), width=width, height=height, force_terminal=True, color_system="truecolor", highlight=False
    )


def one_go(text: str, width: int = 80) -> list[str]:
    """The whole reply rendered at once by rich, each line stripped of trailing padding."""
    console = file_console(width)
    console.print(ReplyMarkdown(sanitize(text)))
    lines = [line.rstrip() for line in console.file.getvalue().split("\n")]
    return trim(lines)


def trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines.pop()
    return lines


def stream(output, chunks, *, clock: FakeClock | None = None, steps=None, thinking=(), stats=None, **finish) -> None:
    reply = output.reply()
    try:
        for piece in thinking:
            reply.thinking(piece)
        for i, chunk in enumerate(chunks):
            if clock is not None:
                clock.now += steps[i % len(steps)] if steps else 0.01
            reply.content(chunk)
    finally:
        reply.finish(stats, **finish)


def streamed_text(chunks, width: int = 80, **kwargs) -> list[str]:
    console = file_console(width)
    clock = FakeClock()
    stream(terminal_output(console, clock=clock), chunks, clock=clock, **kwargs)
    return trim(console.file.getvalue().split("\n"))


def screen_lines(data: str | bytes, width: int, height: int) -> list[str]:
    """Scrollback + screen of a terminal that was sent `data`, each row stripped, trailing blank rows dropped."""
    screen = pyte.HistoryScreen(width, height, history=100_000)
    if isinstance(data, str):
        screen.set_mode(pyte.modes.LNM)  # what the tty's onlcr does for a real terminal: "\n" -> "\r\n"
        pyte.Stream(screen).feed(data)
    else:
        pyte.ByteStream(screen).feed(data)
    rows = ["".join(line[x].data for x in range(width)).rstrip() for line in screen.history.top]
    rows += [row.rstrip() for row in screen.display]
    return trim(rows)


def chunked(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def fixture_chunks(path: Path) -> list[str]:
    out = []
    for line in path.read_bytes().splitlines():
        if line.strip():
            out.append(json.loads(line).get("message", {}).get("content", ""))
    return out


LONG_REPLY = "\n\n".join(
    [
        "# A long reply",
        "Intro paragraph with `inline code`, **bold** and a [link](https://example.com/x).",
        "\n".join(f"- item {i}: " + "word " * (i % 7) for i in range(30)),
        "```python\n" + "\n".join(f"line_{i} = {i} * 2  # 코드 {i}" for i in range(40)) + "\n```",
        "| name | 설명 | n |\n|---|---|---:|\n" + "\n".join(f"| row{i} | 한국어 셀 {i} | {i * 7} |" for i in range(12)),
        "한국어 문단입니다. " * 30,
        "> a quote that goes on " * 8,
        "---",
        "\n\n".join(f"Paragraph {i:02d} " + "lorem ipsum dolor sit amet " * (i % 5 + 1) for i in range(25)),
        "1. one\n2. two\n\n   continued after a blank line\n3. three",
        "Final words.",
    ]
)

# --------------------------------------------------------------------------------------------------------------
# sanitize
# --------------------------------------------------------------------------------------------------------------

HOSTILE = [
    "\x1b[2J\x1b[H",  # clear screen, home
    "\x1b]52;c;cm0gLXJmIH4=\x07",  # OSC 52: set the clipboard
    "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 link
    "\x1b]2;pwned\x1b\\",  # window title
    "\x1b]0;unterminated title",  # an OSC that would swallow the rest
    "bell\x07 back\x08space carriage\rreturn",
    "\x9b2J",  # 8-bit CSI
    "del\x7f nul\x00 vt\x0b ff\x0c",
]


def test_sanitize_removes_or_shows_every_control_character():
    for text in HOSTILE:
        clean = sanitize(text)
        assert CONTROL.search(clean) is None, repr(clean)
    assert sanitize("\x1b[2J") == "␛[2J"
    assert sanitize("\x9b2J") == "␛[2J"
    assert sanitize("a\x07b\x08c") == "a␇b␈c"
    assert sanitize("\x7f\x00") == "␡␀"


def test_sanitize_keeps_newlines_tabs_and_ordinary_text():
    text = "line\n\tindented 한국어 ①※… emoji 🙂 \u00a0nbsp"
    assert sanitize(text) == text


def test_sanitize_drops_carriage_returns():
    assert sanitize("a\r\nb") == "a\nb"
    assert sanitize("50%\r100%") == "50%100%"


@given(st.text(), st.text())
def test_sanitize_is_the_same_per_chunk_or_at_once(a, b):
    assert sanitize(a) + sanitize(b) == sanitize(a + b)
    clean = sanitize(a)
    assert CONTROL.search(clean) is None
    assert clean.count("\n") == a.count("\n") and clean.count("\t") == a.count("\t")


def test_hostile_reply_reaches_the_terminal_neutralised():
    console = tty_console(80, 24)
    chunks = ["Before\n\n", "```\n", *HOSTILE, "\n```\n\nText ", *HOSTILE, " `", HOSTILE[0], "`\n\nAfter"]
    stream(terminal_output(console), chunks, thinking=["thinking ", *HOSTILE, "\n"])
    raw = console.file.getvalue()
    for bad in ("\x1b[2J", "\x1b[H", "\x1b]", "\x07", "\x08", "\x9b", "\x7f", "\x00", "\x0b", "\x0c"):
        assert bad not in raw, repr(bad)
    rows = screen_lines(raw, 80, 24)
    assert rows[0] == "Thinking"  # nothing cleared the screen
    assert any("␛[2J␛[H" in row for row in rows)
    assert any("␛]52;c;cm0gLXJmIH4=␇" in row for row in rows)
    assert rows[-1] == "After"


# --------------------------------------------------------------------------------------------------------------
# block splitting (pure)
# --------------------------------------------------------------------------------------------------------------


def feed_all(chunks: list[str]) -> tuple[list[list[Block]], list[Block]]:
    splitter = BlockSplitter()
    per_chunk = [splitter.feed(chunk) for chunk in chunks]
    return per_chunk, splitter.flush()


def test_fence_that_closes_across_chunks():
    per_chunk, rest = feed_all(["Intro\n\n```py\n", "x = 1\n", "``", "`", "\n", "Af", "ter\n"])
    assert per_chunk[0] == [Block("paragraph", "Intro\n\n")]
    assert per_chunk[1:5] == [[], [], [], []]  # the fence is open until the line after its closing line
    assert per_chunk[6] == [Block("fence", "```py\nx = 1\n```\n")]
    assert rest == [Block("paragraph", "After\n")]


def test_fence_is_not_closed_by_a_fence_line_with_an_info_string():
    splitter = BlockSplitter()
    assert splitter.feed("```\na\n```not-a-close\nb\n") == []
    assert splitter.kind == "fence"
    assert splitter.feed("```\nnext\n") == [Block("fence", "```\na\n```not-a-close\nb\n```\n")]


def test_list_that_continues_after_a_blank_line():
    per_chunk, rest = feed_all(["- one\n", "\n", "- two\n\n", "  still two\n", "\n", "Para", "graph\n"])
    assert per_chunk[:5] == [[], [], [], [], []]
    assert per_chunk[6] == [Block("bullet_list", "- one\n\n- two\n\n  still two\n\n")]
    assert rest == [Block("paragraph", "Paragraph\n")]


def test_table_that_is_still_growing():
    splitter = BlockSplitter()
    assert splitter.feed("| a | b |\n") == []
    assert splitter.kind == "paragraph"  # a header row alone is text ...
    assert splitter.feed("|---|---|\n") == []
    assert splitter.kind == "table"  # ... until the delimiter row arrives
    for i in range(5):
        assert splitter.feed(f"| {i} | {i * i} |\n") == []
    blocks = splitter.feed("\nDone.\n")
    assert [b.kind for b in blocks] == ["table"]
    assert blocks[0].text.count("\n") == 8


def test_korean_text_split_across_chunks():
    text = "안녕하세요. 파이썬 딕셔너리는\n중괄호로 만듭니다.\n\n다음 문단입니다.\n"
    per_chunk, rest = feed_all(chunked(text, 3))
    finished = [block for blocks in per_chunk for block in blocks] + rest
    assert finished == [
        Block("paragraph", "안녕하세요. 파이썬 딕셔너리는\n중괄호로 만듭니다.\n\n"),
        Block("paragraph", "다음 문단입니다.\n"),
    ]


def test_a_partial_line_never_finishes_a_block():
    splitter = BlockSplitter()
    assert splitter.feed("Foo\n#") == []  # "#" alone would be a heading, but "#x" continues the paragraph
    assert splitter.feed("x\n") == []
    assert splitter.text == "Foo\n#x\n"
    assert splitter.feed("\n# Heading\n") == [Block("paragraph", "Foo\n#x\n\n")]


def test_setext_heading_turns_the_open_paragraph_into_a_heading():
    per_chunk, rest = feed_all(["Title\n", "=====\n", "Text\n"])
    assert per_chunk[2] == [Block("heading", "Title\n=====\n")]
    assert rest == [Block("paragraph", "Text\n")]


def test_pop_finished_parses_only_when_a_line_was_completed(monkeypatch):
    calls = []
    original = render.top_level_blocks
    monkeypatch.setattr(render, "top_level_blocks", lambda s: calls.append(s) or original(s))
    splitter = BlockSplitter()
    for word in "one two three four".split():
        splitter.append(word + " ")
        assert splitter.pop_finished() == []
    assert calls == []
    splitter.append("\n\nnext ")
    splitter.pop_finished()
    assert calls == ["one two three four \n\n"]


# Markdown documents for property tests: the kinds of blocks models write, joined by one or two newlines.
_word = st.sampled_from(
    ["alpha", "beta", "`code`", "**bold**", "*em*", "한국어", "딕셔너리를", "x", "1.", "-", "#", "|", ">", "[a](http://b)"]
)
_words = st.lists(_word, min_size=1, max_size=12).map(" ".join)
_line = _words.filter(lambda s: not s.startswith(("-", "#", "1.", "|", ">")))


@st.composite
def _block(draw) -> str:
    kind = draw(st.sampled_from(["p", "h", "setext", "ul", "ol", "fence", "indented", "table", "quote", "hr", "html"]))
    if kind == "p":
        return "\n".join(draw(st.lists(_line, min_size=1, max_size=3)))
    if kind == "h":
        return "#" * draw(st.integers(1, 4)) + " " + draw(_words)
    if kind == "setext":
        return draw(_line) + "\n" + draw(st.sampled_from(["===", "---"]))
    if kind in ("ul", "ol"):
        items = draw(st.lists(_words, min_size=1, max_size=5))
        sep = draw(st.sampled_from(["\n", "\n\n"]))
        marker = (lambda i: "- ") if kind == "ul" else (lambda i: f"{i + 1}. ")
        body = sep.join(marker(i) + item for i, item in enumerate(items))
        if draw(st.booleans()):
            body += "\n\n   " + draw(_words)  # a continuation paragraph
        return body
    if kind == "fence":
        fence = draw(st.sampled_from(["```", "~~~", "````"]))
        lang = draw(st.sampled_from(["", "python", "js", "bash"]))
        code = draw(st.lists(st.sampled_from(["x = 1", "  if x:", "", "print('한')", "```not", "# comment"]), max_size=6))
        return fence + lang + "\n" + "\n".join(code) + ("\n" if code else "") + fence
    if kind == "indented":
        return "\n".join("    " + line for line in draw(st.lists(_line, min_size=1, max_size=3)))
    if kind == "table":
        rows = draw(st.lists(st.tuples(_word, _word), min_size=0, max_size=4))
        return "| a | 설명 |\n|---|:---:|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    if kind == "quote":
        return "\n".join("> " + line for line in draw(st.lists(_words, min_size=1, max_size=3)))
    if kind == "hr":
        return draw(st.sampled_from(["---", "***", "___"]))
    return "<!-- note -->"


@st.composite
def documents(draw) -> str:
    blocks = draw(st.lists(_block(), min_size=1, max_size=8))
    text = ""
    for block in blocks:
        text += block + draw(st.sampled_from(["\n\n", "\n\n", "\n", "\n\n\n"]))
    if draw(st.booleans()):
        text = text.rstrip("\n")
    return text


@st.composite
def chunkings(draw, text: str) -> list[str]:
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=40))))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_splitting_keeps_every_character_and_finds_the_blocks_of_the_whole(data):
    text = data.draw(documents())
    chunks = data.draw(chunkings(text))
    per_chunk, rest = feed_all(chunks)
    blocks = [block for finished in per_chunk for block in finished] + rest
    joined = "".join(block.text for block in blocks)
    assert text.endswith(joined) and not text[: len(text) - len(joined)].strip()
    assert [block.kind for block in blocks][:-1] == [kind for _, kind in render.top_level_blocks(text)][: len(blocks) - 1]


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
    stream(terminal_output(console, refresh_per_second=0), chunked(LONG_REPLY, 5))
    assert trim(console.file.getvalue().split("\n")) == one_go(LONG_REPLY, 60)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_streamed_equals_one_go_for_any_document_and_chunking(data):
    text = data.draw(documents())
    chunks = data.draw(chunkings(text))
    steps = data.draw(st.lists(st.sampled_from([0.0, 0.01, 0.05, 0.2]), min_size=1, max_size=8))
    width = data.draw(st.sampled_from([30, 80]))
    assert streamed_text(chunks, width, steps=steps) == one_go(text, width)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents().filter(lambda text: "<" not in text))
def test_reply_markdown_is_richs_markdown_apart_from_html_line_breaks_and_cut_cells(text):
    class Richs(Markdown):
        elements = {**Markdown.elements, "table_open": render.FoldingTable}

    console = file_console(50, color="truecolor")
    richs = Richs(text, code_theme=CODE_THEME, hyperlinks=False)
    for token in richs.parsed:  # the one intended difference: a single newline stays a line break
        for child in token.children or ():
            if child.type == "softbreak":
                child.type = "hardbreak"
    console.print(richs)
    ours = file_console(50, color="truecolor")
    ours.print(ReplyMarkdown(text))
    assert ours.file.getvalue() == console.file.getvalue()


def test_html_in_a_reply_is_shown_as_text_not_dropped():
    text = "<<Introduction>>\n\nUse a <div> here.\n\n<div>\nblock\n</div>\n"
    assert streamed_text(chunked(text, 3)) == ["<<Introduction>>", "", "Use a <div> here.", "", "<div>", "block", "</div>"]


def test_korean_table_cells_wrap_without_losing_characters():
    table = "| 프레임워크 | 장점 | 단점 |\n|---|---|---|\n| Flask | 가볍고 단순함, 배우기 쉬움 | 직접 골라야 할 것이 많음 |\n"
    for width in (30, 40, 60, 80):
        text = "".join(streamed_text(chunked(table, 5), width=width))
        assert "…" not in text
        for word in ("배우기", "쉬움", "골라야", "많음"):
            assert word in text, (width, text)


def test_single_newlines_stay_line_breaks():
    text = "산에 산에 꽃이 피네\n꽃이 피네\n갈 봄 여름 없이\n\n- 첫째\n  이어지는 줄"
    assert streamed_text(chunked(text, 2)) == ["산에 산에 꽃이 피네", "꽃이 피네", "갈 봄 여름 없이", "", " • 첫째", "   이어지는 줄"]


def test_committed_styles_equal_one_go_styles():
    console = file_console(80, color="truecolor")
    clock = FakeClock()
    stream(terminal_output(console, clock=clock), chunked(LONG_REPLY, 6), clock=clock)
    reference = file_console(80, color="truecolor")
    reference.print(render._Lines(markdown_lines(reference, LONG_REPLY)))
    assert console.file.getvalue() == reference.file.getvalue()
    assert "\x1b[" in reference.file.getvalue()


def test_committed_lines_have_no_trailing_padding():
    console = file_console(80, color="truecolor")
    stream(terminal_output(console), chunked(LONG_REPLY, 9))
    for line in console.file.getvalue().split("\n"):
        assert not re.sub(r"\x1b\[[0-9;]*m", "", line).endswith(" "), repr(line)


# --------------------------------------------------------------------------------------------------------------
# the terminal: live region, cropping, refresh rate
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("height", [24, 8])
def test_terminal_scrollback_holds_each_line_once(height):
    console = tty_console(80, height)
    clock = FakeClock()
    stream(terminal_output(console, clock=clock), chunked(LONG_REPLY, 5), clock=clock)
    assert screen_lines(console.file.getvalue(), 80, height) == one_go(LONG_REPLY, 80)


def test_a_tall_open_fence_is_cropped_to_the_screen_while_it_streams():
    console = tty_console(60, 10)
    clock = FakeClock()
    reply = terminal_output(console, clock=clock).reply()
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
    assert [row.strip() for row in rows if "value_" in row] == [f"value_{i} = {i}" for i in range(60)]


def test_live_region_is_redrawn_at_most_15_times_a_second(monkeypatch):
    draws = []
    original = render.TerminalReply._draw
    monkeypatch.setattr(render.TerminalReply, "_draw", lambda self: draws.append(self._clock()) or original(self))
    clock = FakeClock()
    reply = terminal_output(tty_console(), clock=clock).reply()
    for chunk in chunked(LONG_REPLY, 4)[:1000]:
        clock.now += 0.002  # 500 chunks a second for 2 seconds
        reply.content(chunk)
    reply.finish()
    assert len(draws) <= 31
    assert all(b - a >= 1 / 15 for a, b in zip(draws, draws[1:]))


def test_a_long_open_table_is_drawn_from_its_header_and_last_rows():
    console = tty_console(60, 10)
    clock = FakeClock()
    reply = terminal_output(console, clock=clock).reply()
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
    reply = terminal_output(console, clock=clock).reply()
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
    stream(terminal_output(console), chunked(LONG_REPLY, 40))
    raw = console.file.getvalue()
    assert raw.count("\x1b[?2026h") == raw.count("\x1b[?2026l") > 0


def test_terminal_output_works_with_any_console_and_adds_the_theme():
    console = Console(file=io.StringIO(), width=40)  # highlight on, no theme of ours
    output = terminal_output(console)
    assert isinstance(output, TerminalOutput)
    stream(output, ["# Title\n\nsome 123 text 'quoted'\n"], thinking=["hmm\n"])
    assert "some 123 text 'quoted'" in console.file.getvalue()


# --------------------------------------------------------------------------------------------------------------
# finish: interrupted, failed, empty
# --------------------------------------------------------------------------------------------------------------


def test_interrupted_reply_stays_formatted_with_a_mark():
    console = file_console(60)
    text = "Here is code:\n\n```python\ndef f():\n    return 1"  # the fence never closes
    stream(terminal_output(console), chunked(text, 3), interrupted=True)
    lines = trim(console.file.getvalue().split("\n"))
    assert lines[-2:] == ["", "[interrupted]"]
    assert trim(lines[:-2]) == one_go(text, 60)
    assert " def f():" in lines  # rendered as code, not as raw text


def test_interrupted_on_a_terminal_leaves_no_live_region_behind():
    console = tty_console(60, 12)
    clock = FakeClock()
    text = LONG_REPLY[:3000]
    stream(terminal_output(console, clock=clock), chunked(text, 5), clock=clock, interrupted=True)
    assert screen_lines(console.file.getvalue(), 60, 12) == [*one_go(text, 60), "", "[interrupted]"]


def test_failed_reply_keeps_the_partial_answer_and_adds_nothing():
    console = file_console()
    stream(terminal_output(console), ["Partial **ans", "wer"])  # finish() without stats, as after an error
    assert trim(console.file.getvalue().split("\n")) == ["Partial **answer"]


def test_empty_reply_prints_nothing_and_finish_is_idempotent():
    console = tty_console()
    reply = terminal_output(console, show_stats=True).reply()
    reply.content("")
    reply.finish()
    reply.finish(Stats(eval_count=3))
    assert screen_lines(console.file.getvalue(), 80, 24) == []


def test_text_after_finish_is_ignored():
    console = file_console()
    reply = terminal_output(console).reply()
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
        terminal_output(console),
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
    stream(terminal_output(console), ["ok"], thinking=["생각 " * 12])
    lines = trim(console.file.getvalue().split("\n"))
    assert lines[0] == "Thinking"
    assert all(line.startswith("  ") for line in lines[1:-2]) and len(lines) > 4
    assert lines[-2:] == ["", "ok"]


def test_hidden_thinking_is_never_printed():
    console = tty_console()
    stream(terminal_output(console, hide_thinking=True), ["Answer."], thinking=["secret plans\n"])
    raw = console.file.getvalue()
    assert "secret" not in raw
    assert screen_lines(raw, 80, 24) == ["Answer."]
    assert "thinking…" in raw  # a transient indicator while the hidden thinking streamed


def test_thinking_only_reply():
    console = file_console()
    stream(terminal_output(console), [], thinking=["just thinking"])
    assert trim(console.file.getvalue().split("\n")) == ["Thinking", "  just thinking"]


def test_thinking_after_the_answer_started_is_not_mixed_into_it():
    console = file_console()
    reply = terminal_output(console).reply()
    reply.content("Para one.\n\nPara ")
    reply.thinking("late thought")
    reply.content("two.")
    reply.finish()
    lines = trim(console.file.getvalue().split("\n"))
    assert lines == ["Para one.", "", "Para two.", "", "Thinking", "  late thought"]


def test_whitespace_content_during_thinking_does_not_end_it():
    console = file_console()
    reply = terminal_output(console).reply()
    reply.thinking("first ")
    reply.content("\n\n")
    reply.thinking("second")
    reply.content("Answer")
    reply.finish()
    assert trim(console.file.getvalue().split("\n")) == ["Thinking", "  first second", "", "Answer"]


# --------------------------------------------------------------------------------------------------------------
# stats
# --------------------------------------------------------------------------------------------------------------

STATS = Stats(
    done_reason="stop",
    eval_count=42,
    eval_duration=1_333_333_333,
    prompt_eval_count=26,
    prompt_eval_duration=100_000_000,
    load_duration=1_300_000_000,
    total_duration=4_900_000_000,
)


def test_format_stats():
    assert format_stats(STATS) == "42 tokens · 31.5 tok/s · prompt 26 tokens · load 1.3 s · total 4.9 s"
    cut = Stats(done_reason="length", eval_count=1, eval_duration=0, load_duration=25_000_000)
    assert format_stats(cut) == "1 token · load 25 ms · cut by length (raise num_predict or num_ctx)"
    assert format_stats(Stats()) == "0 tokens"


def test_stats_are_shown_only_when_asked():
    console = file_console()
    output = terminal_output(console)
    stream(output, ["One."], stats=STATS)
    output.show_stats = True  # /stats on
    stream(output, ["Two."], stats=STATS)
    stream(output, ["Three."], stats=None)
    lines = trim(console.file.getvalue().split("\n"))
    assert lines == ["One.", "Two.", format_stats(STATS), "Three."]


def test_stats_after_an_interrupted_reply():
    console = file_console()
    stream(terminal_output(console, show_stats=True), ["Par"], stats=STATS, interrupted=True)
    assert trim(console.file.getvalue().split("\n")) == ["Par", "", "[interrupted]", format_stats(STATS)]


# --------------------------------------------------------------------------------------------------------------
# plain
# --------------------------------------------------------------------------------------------------------------


class Flushes(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[bytes] = []

    def flush(self) -> None:
        self.flushed.append(self.getvalue())


def test_plain_is_byte_faithful_and_flushed_per_chunk():
    out, err = Flushes(), io.StringIO()
    chunks = ["# Title\n", "*raw* ", "\x1b[2J", " 한국", "어 \r\n", "\x07tail ", "\ud800"]
    stream(plain_output(out, err=err), chunks)
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
    stream(plain_output(out), chunks)
    assert out.getvalue() == expected


def test_plain_thinking_stats_and_marks_go_to_err_only():
    out, err = io.BytesIO(), io.StringIO()
    output = plain_output(out, err=err, show_stats=True)
    stream(output, ["Answer"], thinking=["I think \x1b]2;x\x07", "so"], stats=STATS, interrupted=True)
    assert out.getvalue() == b"Answer\n"
    assert err.getvalue() == f"I think ␛]2;x␇so\n[interrupted]\n{format_stats(STATS)}\n"


def test_plain_hide_thinking_and_no_err():
    out, err = io.BytesIO(), io.StringIO()
    stream(plain_output(out, err=err, hide_thinking=True), ["A"], thinking=["secret"])
    stream(plain_output(out), ["B"], thinking=["secret"], stats=STATS)
    assert out.getvalue() == b"A\nB\n"
    assert err.getvalue() == ""


def test_plain_sanitized_for_a_terminal():
    out = io.BytesIO()
    stream(plain_output(out, sanitized=True), ["a\x1b[2Jb"])
    assert out.getvalue() == "a␛[2Jb\n".encode()


# --------------------------------------------------------------------------------------------------------------
# the one switch
# --------------------------------------------------------------------------------------------------------------


def test_make_output_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    output = make_output(stdout_is_terminal=True, plain=False, show_stats=True, hide_thinking=True)
    assert isinstance(output, TerminalOutput)
    assert output.show_stats and output.hide_thinking
    assert output.console._highlight is False
    assert not output.console.no_color
    output.console.get_style("thinking")


def test_make_console():
    console = make_console(io.StringIO())
    assert console._highlight is False and not console.is_terminal
    for name in ("thinking", "stats", "interrupted", "notice", "hint", "warning", "error", "banner"):
        console.get_style(name)


def test_make_output_respects_no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    output = make_output(stdout_is_terminal=True, plain=False, show_stats=False, hide_thinking=False)
    assert output.console.no_color


@pytest.mark.parametrize("terminal, plain", [(False, False), (False, True), (True, True)])
def test_make_output_plain(terminal, plain):
    output = make_output(stdout_is_terminal=terminal, plain=plain, show_stats=False, hide_thinking=False)
    assert isinstance(output, PlainOutput)
    assert output.out is sys.stdout.buffer and output.err is sys.stderr
    assert output.sanitized is terminal  # --plain on a terminal: still no raw escape codes on it


def test_render_imports_neither_requests_nor_prompt_toolkit():
    code = "import sys, ollama_chat.render; print([m for m in ('requests', 'prompt_toolkit') if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_interrupted_while_thinking():
    console = file_console()
    stream(terminal_output(console), [], thinking=["still thinking"], interrupted=True)
    assert trim(console.file.getvalue().split("\n")) == ["Thinking", "  still thinking", "", "[interrupted]"]


@pytest.mark.parametrize("reflows, ups", [(True, 3), (False, 1)])
def test_after_the_terminal_narrows_the_erase_covers_the_rewrapped_rows(reflows, ups):
    console = tty_console(100, 24)
    clock = FakeClock()
    reply = terminal_output(console, clock=clock, reflows=reflows).reply()
    reply.content("w" * 98 + " " + "x" * 20)  # one paragraph, drawn live as two lines: 98 and 20 cells
    console.width = 45  # a reflowing terminal now shows them on 3 + 1 rows
    clock.now += 1
    reply.content(" more")
    last_frame = console.file.getvalue().rsplit("\x1b[?2026h", 1)[1]
    reset = last_frame.split("w", 1)[0]
    assert reset.count("\x1b[1A") == ups
    reply.finish()


def test_which_terminals_reflow():
    assert render.terminal_reflows({"TERM": "xterm-256color", "VTE_VERSION": "7200"})
    assert render.terminal_reflows({"TERM": "tmux-256color", "TMUX": "/tmp/x"})
    assert render.terminal_reflows({"TERM": "xterm-256color", "XTERM_VERSION": "XTerm(390)", "TMUX": "/tmp/x"})
    assert not render.terminal_reflows({"TERM": "xterm", "XTERM_VERSION": "XTerm(390)"})
    assert not render.terminal_reflows({"TERM": "rxvt-unicode-256color"})
    assert not render.terminal_reflows({"TERM": "st-256color"})


def test_a_dumb_terminal_gets_the_final_text_and_no_cursor_movement(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    console = Console(file=io.StringIO(), width=60, height=10, force_terminal=True, color_system=None)
    assert console.is_dumb_terminal
    clock = FakeClock()
    stream(terminal_output(console, clock=clock), chunked(LONG_REPLY[:2000], 5), clock=clock)
    raw = console.file.getvalue()
    assert "\x1b" not in raw
    assert trim(raw.split("\n")) == one_go(LONG_REPLY[:2000], 60)


# --------------------------------------------------------------------------------------------------------------
# structured output and the wait for the first chunk
# --------------------------------------------------------------------------------------------------------------


def test_json_reply_is_shown_as_sent_not_as_markdown():
    reply_text = '{\n  "category": "tech",\n  "answer": "__init__ 과 *args, **kwargs** 설명",\n  "tags": ["# 제목", "- 목록"]\n}'
    console = file_console(80)
    reply = terminal_output(console).reply(language="json")
    for piece in chunked(reply_text, 3):
        reply.content(piece)
    reply.finish()
    rows = screen_lines(console.file.getvalue(), 80, 24)
    assert [row.strip() for row in rows if row.strip()] == [line.strip() for line in reply_text.splitlines()]


def test_waiting_spinner_shows_until_the_first_chunk_then_vanishes():
    console = tty_console(80)
    reply = terminal_output(console).reply(waiting="waiting for llama3.2:latest…")
    time.sleep(0.35)
    assert "waiting for llama3.2:latest…" in console.file.getvalue()
    reply.content("첫 답입니다.")
    reply.finish()
    assert screen_lines(console.file.getvalue(), 80, 24) == ["첫 답입니다."]


def test_waiting_spinner_is_cleared_on_interrupt_before_any_text():
    console = tty_console(80)
    reply = terminal_output(console).reply(waiting="waiting for m…")
    time.sleep(0.15)
    reply.finish(interrupted=True)
    assert screen_lines(console.file.getvalue(), 80, 24) == ["[interrupted]"]
