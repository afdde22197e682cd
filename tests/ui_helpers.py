"""What the ui tests share: consoles in memory, a fake clock, streaming a reply, the reference rendering of a
whole reply in one go, a terminal emulator's view of the output, and generated Markdown documents."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyte
from hypothesis import strategies as st
from rich.console import Console

from ollama_chat.types import Stats
from ollama_chat.ui.markdown import ReplyMarkdown
from ollama_chat.ui.terminal import TerminalOutput
from ollama_chat.text import sanitize

REPO = Path(__file__).resolve().parent.parent


# Text a hostile model could send: each would act on a terminal if it reached one raw.
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

STATS = Stats(
    done_reason="stop",
    eval_count=42,
    eval_duration=1_333_333_333,
    prompt_eval_count=26,
    prompt_eval_duration=100_000_000,
    load_duration=1_300_000_000,
    total_duration=4_900_000_000,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def still_output(console: Console) -> TerminalOutput:
    """The renderer for in-process chat tests, on a clock that stands still: a reply's first chunk is drawn
    live and the rest when it ends, and no timer thread draws late, so what the console shows does not depend
    on how busy the machine is. (The live frames themselves are tested on a FakeClock in test_ui_live.py and
    test_ui_terminal.py.)"""
    return TerminalOutput(console, clock=lambda: 0.0)


def file_console(width: int = 80, height: int = 24, color: str | None = None) -> Console:
    """A console that is not a terminal: only what is final gets printed, nothing animated."""
    return Console(file=io.StringIO(), width=width, height=height, color_system=color, highlight=False)


def tty_console(width: int = 80, height: int = 24) -> Console:
    """An in-memory terminal: Live draws, moves the cursor and erases, as on a real one."""
    return Console(
        file=io.StringIO(), width=width, height=height, force_terminal=True, color_system="truecolor", highlight=False
    )


def trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines.pop()
    return lines


def one_go(text: str, width: int = 80) -> list[str]:
    """The whole reply rendered at once by rich, each line stripped of trailing padding. Not cropped: a long
    top-level code line is one line here, as it is one line for the terminal (which wraps it)."""
    console = file_console(width)
    console.print(ReplyMarkdown(sanitize(text)), crop=False)
    return trim([line.rstrip() for line in console.file.getvalue().split("\n")])


def stream(
    output, chunks, *, clock: FakeClock | None = None, steps=None, thinking=(), stats=None, show_stats=False, **finish
) -> None:
    reply = output.reply(show_stats=show_stats)
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
    stream(TerminalOutput(console, clock=clock), chunks, clock=clock, **kwargs)
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
# Markdown documents for property tests: the kinds of blocks models write, joined by one or two newlines.
# --------------------------------------------------------------------------------------------------------------

_word = st.sampled_from(
    ["alpha", "beta", "`code`", "**bold**", "*em*", "한국어", "딕셔너리를", "x", "1.", "-", "#", "|", ">", "[a](http://b)"]
)
_words = st.lists(_word, min_size=1, max_size=12).map(" ".join)
_line = _words.filter(lambda s: not s.startswith(("-", "#", "1.", "|", ">")))
# Code lines, some wider than the narrowest test terminal (30 columns) and some with wide characters.
_code_line = st.sampled_from(
    [
        "x = 1",
        "  if x:",
        "",
        "print('한')",
        "```not",
        "# comment",
        "result = compute(alpha, beta, gamma) + other_function(delta)",
        "    print('한국어 문장이 아주 길어서 터미널의 폭을 넘어갑니다', end='')",
        "\tindented_by_a_tab = True",
    ]
)


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
        if draw(st.booleans()):
            body += "\n\n   ```\n   " + draw(_code_line) + "\n   ```"  # code inside the last item
        return body
    if kind == "fence":
        fence = draw(st.sampled_from(["```", "~~~", "````"]))
        lang = draw(st.sampled_from(["", "python", "js", "bash"]))
        code = draw(st.lists(_code_line, max_size=6))
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
