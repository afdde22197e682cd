"""A long paragraph is committed a part at a time (issue 22, item 2): rendered whole, a 2 MB paragraph made ~35 MB
of small objects at once and the REPL's allocators kept much of it. The parts must show exactly what the whole
paragraph shows, and rendering them must not cost memory in proportion to the paragraph."""

from __future__ import annotations

import io
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from ui_helpers import FakeClock, chunked, one_go, screen_lines, stream, tty_console

from ollama_chat.ui import markdown
from ollama_chat.ui.blocks import top_level_blocks
from ollama_chat.ui.lines import Line, Lines
from ollama_chat.ui.markdown import markdown_lines, paragraph_cuts, paragraph_part_lines
from ollama_chat.ui.terminal import TerminalOutput

LINE = "파이썬 딕셔너리는 키와 값의 쌍으로 이루어진 자료구조입니다. Lists, dicts and sets are built in.\n"

# Lines that continue a paragraph, with inline constructs that may span line breaks (emphasis, code, links,
# strikethrough), a backslash hard break, and starts that would open a block on a line of their own.
_LINES = ["plain words", "*open", "close* here", "**bold**", "a `code", "span` b", "[link", "text](/u", '"t")',
          "end\\", "~~strike", "done~~", "2. z", "    indented", "under_score_word", "two spaces  ", "x * y", "가나다 라"]


def _console(width: int) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor", highlight=False)


def _written(lines: list[Line], width: int) -> str:
    """What printing `lines` writes to a terminal: escape sequences and text (a segment's null style and no
    style write the same)."""
    console = _console(width)
    console.print(Lines(lines), crop=False)
    return console.file.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_LINES), min_size=1, max_size=25), st.integers(1, 60), st.sampled_from([12, 40]),
       st.booleans())
def test_the_parts_of_a_paragraph_render_exactly_as_the_whole(lines, size, width, after_block):
    text = "\n".join(["first line", *lines]) + "\n"
    if [kind for _, kind in top_level_blocks(text)] != ["paragraph"]:
        return  # not one paragraph: the splitter never gives such a block
    console = _console(width)
    cuts = paragraph_cuts(text, size)
    assert cuts == sorted(set(cuts)) and all(0 < cut < len(text) and text[cut - 1] == "\n" for cut in cuts)
    parts = [text[start:end] for start, end in zip([0, *cuts], [*cuts, len(text)])]
    got = []
    for i, part in enumerate(parts):
        got += paragraph_part_lines(console, part, after_block=after_block, continued=i > 0)
    assert _written(got, width) == _written(markdown_lines(console, text, after_block=after_block), width)


def test_a_paragraph_is_cut_only_outside_what_could_span_a_line_break():
    text = "plain\n" * 10 + "*a\n" + "plain\n" * 10 + "b*\n" + "plain\n" * 10
    cuts = paragraph_cuts(text, 6)
    first, last = text.index("*a"), text.index("b*")
    assert cuts and all(cut <= first or cut > last + 3 for cut in cuts)
    assert any(cut <= first for cut in cuts) and any(cut > last for cut in cuts)
    assert paragraph_cuts("a\\\nb\n", 1) == []  # a backslash before the line break: its hard break stays whole


class _Screen(io.StringIO):
    """A terminal that keeps nothing of what is written, so only what rendering holds is measured."""

    def write(self, text: str) -> int:
        return len(text)

    def isatty(self) -> bool:
        return True


def test_a_long_paragraph_is_committed_without_memory_in_proportion_to_it():
    text = LINE * 5000  # ~400,000 characters, one paragraph: all of it is committed when the reply ends
    console = Console(file=_Screen(), width=100, height=40, force_terminal=True, color_system="truecolor")
    clock = FakeClock()
    reply = TerminalOutput(console, clock=clock).reply()
    for chunk in chunked(text, 4096):
        reply.content(chunk)
        clock.now += 1
    tracemalloc.start()
    try:
        reply.finish()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Rendered whole, the paragraph took ~30 bytes per character at once (~11 MiB here); in parts ~1.4 MiB,
    # what one part takes, whatever the length of the paragraph.
    assert peak < 64 * markdown.PARAGRAPH_PART, f"{peak / 2**20:.1f} MiB at once to commit a {len(text):,}-character paragraph"


def test_a_long_paragraph_committed_in_parts_ends_on_the_screen_as_rendered_at_once(monkeypatch):
    monkeypatch.setattr(markdown, "PARAGRAPH_PART", 300)
    text = "".join(f"{i}. line **{i}** of a `long` paragraph\n" if i % 7 else f"*x{i}\n" for i in range(1, 120))
    console = tty_console(60, 12)
    clock = FakeClock()
    stream(TerminalOutput(console, clock=clock), chunked(text, 5), clock=clock)
    assert screen_lines(console.file.getvalue(), 60, 12) == one_go(text, 60)
