"""The terminal renderer: streaming Markdown with rich, thinking, stats. `render.make_output` picks it.

`terminal_output` draws Markdown as it streams, without re-rendering what is done:
  - `BlockSplitter` keeps only the uncommitted text. A top-level block (paragraph, heading, list, quote,
    table, fence, ...) is finished once a later top-level block has started on a complete line; markdown-it,
    the parser rich uses, finds the block starts (`token.map` of level-0 tokens) in the uncommitted text only.
  - A finished block is rendered once with rich and printed to the normal scrollback, its lines stripped of
    trailing padding. rich's Markdown separates blocks with a blank line depending on the block before, so
    each batch is rendered with that context (`ReplyMarkdown(after_block=...)`): the printed output is
    exactly the whole reply rendered in one go.
  - Only the open block lives in a transient rich `Live` region, cropped to the screen height - 1 (long open
    fences and tables are rendered from their head and last screenful only). It is redrawn at most 15 times a
    second, by the clock, inside DEC 2026 synchronized-output brackets; a chunk that arrives in between is
    only appended to a list. `finish` always draws the final state (and an "[interrupted]" mark).
  - Thinking comes first, dimmed and indented under a "Thinking" header, committed line by line.

Model text is untrusted: in terminal mode every chunk goes through `sanitize` (control characters shown as
visible symbols) before rich sees it, links are drawn as "text (address)" rather than OSC 8 hyperlinks, and
raw HTML is shown as text (rich would drop it).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable, Mapping, NamedTuple

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.control import ControlType
from rich.errors import MissingStyle
from rich.live import Live
from rich.markdown import Markdown, TableElement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from rich.theme import Theme

from .render import end_marks, sanitize
from .stream import Stats

# --------------------------------------------------------------------------------------------------------------
# Block splitting (pure)
# --------------------------------------------------------------------------------------------------------------


class Block(NamedTuple):
    """A finished top-level Markdown block: its kind and its source lines (with the blank lines after it)."""

    kind: str  # markdown-it's token type without "_open": paragraph, heading, fence, bullet_list, table, hr, ...
    text: str


# The grammar of rich's Markdown ("commonmark" plus tables and strikethrough) without raw HTML: rich draws no
# HTML, so with HTML on, a model's "<div>" or "<<Title>>" would silently vanish from the reply; with it off
# they show as the text they are.
_MARKDOWN_OPTIONS = {"html": False}
_RENDER_PARSER = MarkdownIt("commonmark", _MARKDOWN_OPTIONS).enable("strikethrough").enable("table")


def _keep_line_breaks(state: StateCore) -> None:
    """A single newline in a reply stays a line break (as in chat apps), not a space: poems, addresses and
    line-by-line answers keep their shape. Markdown would join the lines into one paragraph."""
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "softbreak":
                child.type = "hardbreak"


_RENDER_PARSER.core.ruler.push("keep_line_breaks", _keep_line_breaks)


def _make_block_parser() -> MarkdownIt:
    # The same block grammar (strikethrough is an inline rule); only block structure is needed here, so the
    # inline pass is switched off.
    parser = MarkdownIt("commonmark", _MARKDOWN_OPTIONS).enable("table")
    parser.disable("inline")
    return parser


_BLOCK_PARSER = _make_block_parser()


def top_level_blocks(source: str) -> list[tuple[int, str]]:
    """(first line, kind) of each top-level block of `source`, in order. Pure."""
    starts = []
    for token in _BLOCK_PARSER.parse(source):
        if token.level == 0 and token.nesting >= 0 and token.map is not None:
            kind = token.type[:-5] if token.type.endswith("_open") else token.type
            starts.append((token.map[0], kind))
    return starts


class BlockSplitter:
    """Splits streamed Markdown into top-level blocks as soon as they can no longer change.

    A block is finished once a later top-level block has started on a complete line: in CommonMark nothing
    that follows can reach back into it (link reference definitions aside). Only the uncommitted text —
    the open block and the partial line — is ever parsed, so the cost of a parse does not grow with the
    reply. `append` is O(chunk); `pop_finished` parses only if a new line was completed since the last parse.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []  # the uncommitted text, in pieces; starts at the first line of the open block
        self._new_line = False  # a line was completed since the last parse
        self.kind: str | None = None  # kind of the open block as of the last parse

    @property
    def text(self) -> str:
        """The uncommitted text: the last, unfinished block and any partial line."""
        parts = self._parts
        if len(parts) > 1:
            parts[:] = ["".join(parts)]
        return parts[0] if parts else ""

    def append(self, text: str) -> None:
        if text:
            self._parts.append(text)  # a list, not str +=: appending must not copy what is already there
            if "\n" in text:
                self._new_line = True

    def pop_finished(self) -> list[Block]:
        """The blocks finished by the text appended so far, oldest first; they are removed from `text`."""
        if not self._new_line:
            return []
        self._new_line = False
        text = self.text
        cut = text.rfind("\n") + 1
        starts = top_level_blocks(text[:cut])
        if not starts:
            return []
        self.kind = starts[-1][1]
        if len(starts) == 1:
            return []
        offsets = [0]
        for line in text[:cut].split("\n"):
            offsets.append(offsets[-1] + len(line) + 1)
        blocks = [
            Block(kind, text[offsets[first] : offsets[starts[i + 1][0]]])
            for i, (first, kind) in enumerate(starts[:-1])
        ]
        self._parts = [text[offsets[starts[-1][0]] :]]
        return blocks

    def feed(self, text: str) -> list[Block]:
        """append + pop_finished: the blocks this chunk finished."""
        self.append(text)
        return self.pop_finished()

    def flush(self) -> list[Block]:
        """Everything left, as blocks, once the reply has ended. The splitter is empty afterwards."""
        blocks = self.pop_finished()
        rest = self.text
        self._parts = []
        if rest.strip():
            starts = top_level_blocks(rest)
            blocks.append(Block(starts[-1][1] if starts else "paragraph", rest))
        return blocks


# --------------------------------------------------------------------------------------------------------------
# Rendering Markdown to lines
# --------------------------------------------------------------------------------------------------------------

# Code is highlighted with the terminal's own ANSI palette: readable on dark and light backgrounds, and with no
# background band, so code lines can be stripped of trailing padding like every other line.
CODE_THEME = "ansi_dark"

# rich's Markdown puts a blank line before a block when the element closed just before it asks for one (every
# block but a horizontal rule). A block rendered on its own starts with that flag off; a token rich does not
# know, placed first, turns the flag on without drawing anything, so a block rendered after it looks exactly
# as it does in the middle of the whole reply.
_AFTER_BLOCK = "ollama_chat_after_block"


class FoldingTable(TableElement):
    """rich's Markdown table, but a cell too narrow for its text wraps it instead of cutting it with "…"
    (rich's default crops Korean words it mis-measures: "배우기" became "배우 …")."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for table in super().__rich_console__(console, options):
            if isinstance(table, Table):
                for column in table.columns:
                    column.overflow = "fold"
            yield table


class ReplyMarkdown(Markdown):
    """rich's Markdown of a reply or a part of it: code highlighted with CODE_THEME, links shown with their
    address (no OSC 8 hyperlinks from model text), HTML shown as text, table cells folded rather than cut.
    `after_block`: render as if a block that was not a horizontal rule came before."""

    elements = {**Markdown.elements, "table_open": FoldingTable}

    def __init__(self, markup: str, *, after_block: bool = False) -> None:
        # The attributes rich's own __init__ sets, without building a new parser for every block.
        self.__dict__.update(_MARKDOWN_ATTRIBUTES)
        self.markup = markup
        self.parsed = _RENDER_PARSER.parse(markup)
        if after_block:
            self.parsed.insert(0, Token(_AFTER_BLOCK, "", 0))


_MARKDOWN_ATTRIBUTES = dict(vars(Markdown("", code_theme=CODE_THEME, hyperlinks=False)))


def _rstrip_line(line: list[Segment]) -> list[Segment]:
    """Drop trailing padding spaces (rich pads to the full width; padded lines re-wrap badly on resize)."""
    while line:
        segment = line[-1]
        if segment.control:
            break
        stripped = segment.text.rstrip(" ")
        if stripped:
            if len(stripped) != len(segment.text):
                line[-1] = Segment(stripped, segment.style)
            break
        line.pop()
    return line


def render_lines(console: Console, renderable: RenderableType, *, width: int | None = None) -> list[list[Segment]]:
    options = console.options if width is None else console.options.update_width(max(1, width))
    return [_rstrip_line(line) for line in console.render_lines(renderable, options, pad=False)]


def render_markdown(source: str, *, after_block: bool = False) -> Markdown:
    """The rich Markdown renderable used for every part of a reply (and for the reply in one go)."""
    return ReplyMarkdown(source, after_block=after_block)


def markdown_lines(console: Console, source: str, *, after_block: bool = False) -> list[list[Segment]]:
    """`source` rendered as it would appear inside a whole reply; `after_block` if a block came before it
    that was not a horizontal rule. markdown_lines(console, reply) is the whole reply rendered in one go."""
    return render_lines(console, render_markdown(source, after_block=after_block))


class _Lines:
    """Pre-rendered lines as a renderable: printing or live-drawing them costs no Markdown work."""

    __slots__ = ("lines",)

    def __init__(self, lines: list[list[Segment]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        new_line = Segment.line()
        for line in self.lines:
            yield from line
            yield new_line


_NO_LINES = _Lines([])


class _RawControl:
    """An escape sequence written as is to terminals (and dropped for files), for `Console.control`."""

    def __init__(self, text: str) -> None:
        self.segment = Segment(text, None, [(ControlType.BELL,)])  # any code: it only marks the segment as control


# DEC mode 2026: the terminal shows everything between begin and end as one frame (ignored where unsupported).
_SYNC_BEGIN = _RawControl("\x1b[?2026h")
_SYNC_END = _RawControl("\x1b[?2026l")


THEME = Theme(
    {
        "thinking": "dim italic",
        "thinking.header": "dim bold",
        "stats": "dim",
        "interrupted": "bold yellow",
        # the REPL's own messages (session.py)
        "banner": "bold",
        "notice": "cyan",
        "hint": "dim",
        "warning": "yellow",
        "error": "bold red",
    }
)


def terminal_reflows(environ: Mapping[str, str]) -> bool:
    """Whether the terminal re-wraps its lines when it gets narrower. Most do (VTE, Konsole, iTerm2, Terminal.app,
    Windows Terminal, kitty, Alacritty, WezTerm, tmux); xterm, urxvt and st cut them instead."""
    if environ.get("TMUX"):
        return True
    term = environ.get("TERM", "")
    return not (environ.get("XTERM_VERSION") or term.startswith(("rxvt", "st-")) or term == "st")


_THINKING_HEADER = "Thinking"
_THINKING_INDENT = 2

# --------------------------------------------------------------------------------------------------------------
# Terminal renderer
# --------------------------------------------------------------------------------------------------------------


class _Thinking:
    """Thinking text, committed line by line; leading and trailing blank lines dropped, runs of blank lines
    shown as one."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._new_line = False
        self.shown = False  # a non-blank line was taken
        self._blank = False

    def append(self, text: str) -> None:
        self._parts.append(text)
        if "\n" in text:
            self._new_line = True

    @property
    def partial(self) -> str:
        """The text not taken yet: after `take_lines`, the partial last line."""
        if len(self._parts) > 1:
            self._parts[:] = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def take_lines(self, final: bool = False) -> list[str]:
        text = self.partial
        if final:
            complete, self._parts = text, []
        else:
            if not self._new_line:
                return []
            cut = text.rfind("\n") + 1
            complete, self._parts = text[: cut - 1], [text[cut:]]
        self._new_line = False
        out: list[str] = []
        for line in complete.split("\n"):
            if not line.strip():
                self._blank = self.shown
                continue
            if self._blank:
                out.append("")
                self._blank = False
            out.append(line)
            self.shown = True
        return out


# Open blocks whose live view is rendered from their first lines and their last screenful of lines only, so a
# long one costs no more per redraw than a short one. (A windowed table's columns may be narrower than the
# final table's until it is committed.)
_WINDOWED = {"fence": 1, "table": 2}


# Structured output is shown as code: the reply is put inside a fence that cannot close early, since no line of
# valid JSON starts with "~".
_VERBATIM_FENCE = "~" * 12


class TerminalReply:
    def __init__(self, output: TerminalOutput, *, language: str | None = None, waiting: str = "") -> None:
        self._output = output
        self._language = language
        self._fenced = False  # the verbatim fence has been opened
        self._ends_with_newline = False
        self._console = output.console
        self._interval = 1.0 / output.refresh_per_second if output.refresh_per_second > 0 else 0.0
        self._clock = output.clock
        self._last_draw = float("-inf")
        self._tail_cost = 0.0  # seconds the last rendering of the open block took (with a refresh limit)
        self._live: Live | None = None
        self._live_width = 0  # the width the live region was drawn at
        self._live_lengths: list[int] = []  # the cell length of each line it shows
        self._phase = "start"  # start -> thinking -> answer
        self._thinking = _Thinking()
        self._thinking_header_shown = False
        self._hidden_thinking = False
        self._late_thinking: list[str] = []
        self._splitter = BlockSplitter()
        self._after_block = False  # a block other than a horizontal rule has been committed
        self._unrendered: list[Block] = []  # taken from the splitter, not yet rendered
        self._pending: list[list[Segment]] = []  # rendered, not yet printed
        self._finished = False
        self._spinner: Live | None = None
        if waiting and self._console.is_terminal and not self._console.is_dumb_terminal:
            from rich.spinner import Spinner

            self._spinner = Live(
                Spinner("dots", Text(waiting, style="hint")), console=self._console, transient=True, refresh_per_second=10
            )
            self._spinner.start()

    # -- the Reply interface ----------------------------------------------------------------------------------

    def _stop_spinner(self) -> None:
        spinner, self._spinner = self._spinner, None
        if spinner is not None:
            spinner.stop()

    def thinking(self, text: str) -> None:
        if not text or self._finished:
            return
        self._stop_spinner()
        text = sanitize(text)
        if self._phase == "answer":
            if not self._output.hide_thinking:
                self._late_thinking.append(text)
            return
        if self._output.hide_thinking:
            if not self._hidden_thinking and text.strip():
                self._hidden_thinking = True
                self._draw()
            return
        self._phase = "thinking"
        self._thinking.append(text)
        self._tick()

    def content(self, text: str) -> None:
        if not text or self._finished:
            return
        self._stop_spinner()
        text = sanitize(text)
        if self._language is not None and not self._fenced:
            self._splitter.append(f"{_VERBATIM_FENCE}{self._language}\n")
            self._fenced = True
        self._ends_with_newline = text.endswith("\n")
        self._splitter.append(text)
        if self._phase != "answer":
            if not text.strip():
                return
            self._end_thinking()
            self._phase = "answer"
        self._tick()

    def finish(self, stats: Stats | None = None, *, interrupted: bool = False) -> None:
        if self._finished:
            return
        self._finished = True
        self._stop_spinner()
        console = self._console
        try:
            if self._phase == "thinking":
                self._end_thinking(separate=False)
            if self._fenced:
                self._splitter.append(("" if self._ends_with_newline else "\n") + _VERBATIM_FENCE + "\n")
            self._commit_blocks(self._splitter.flush())
            if self._late_thinking:
                late = _Thinking()
                late.append("".join(self._late_thinking))
                lines = late.take_lines(final=True)
                if lines:
                    self._pending.append([])
                    self._pending.extend(self._thinking_lines(lines, header=True))
            if interrupted and (self._pending or self._phase != "start"):
                self._pending.append([])
            for text, style in end_marks(stats, interrupted=interrupted, show_stats=self._output.show_stats):
                self._pending.extend(render_lines(console, Text(text, style=style)))
            with console:
                self._sync(_SYNC_BEGIN)
                if self._live is not None:
                    self._fit_live_to_width()
                    self._live.update(_NO_LINES)
                self._print_pending()
                self._stop_live()
                self._sync(_SYNC_END)
        finally:
            self._stop_live()

    # -- drawing ----------------------------------------------------------------------------------------------

    def _tick(self) -> None:
        """Draw if the last draw is at least one refresh interval old, and if rendering the open block is slow
        (a huge list), twice as old as that took; otherwise the text waits. So drawing never falls behind."""
        if self._clock() - self._last_draw >= max(self._interval, 2 * self._tail_cost):
            self._draw()

    def _draw(self) -> None:
        self._last_draw = self._clock()
        console = self._console
        if self._phase == "thinking":
            lines = self._thinking.take_lines()
            partial = self._thinking.partial
            if lines or (partial.strip() and not self._thinking_header_shown):
                self._pending.extend(self._thinking_lines(lines, header=not self._thinking_header_shown))
                self._thinking_header_shown = True
            live = self._thinking_lines([partial], header=False) if partial.strip() else []
        elif self._phase == "answer":
            self._commit_blocks(self._splitter.pop_finished())
            started = time.perf_counter()
            live = self._render_tail()
            self._tail_cost = time.perf_counter() - started if self._interval else 0.0
        else:
            live = render_lines(console, Text("thinking…", style="thinking.header")) if self._hidden_thinking else []
        if not console.is_terminal:  # nothing to animate: print only what is final
            self._print_pending()
            return
        with console:
            self._sync(_SYNC_BEGIN)
            self._fit_live_to_width()
            if self._pending:
                if self._live is not None:
                    self._live.update(_NO_LINES)
                self._print_pending()
            if live or self._live is not None:
                if self._live is None:
                    self._live = Live(
                        _NO_LINES,
                        console=console,
                        auto_refresh=False,
                        transient=True,
                        redirect_stdout=False,
                        redirect_stderr=False,
                        vertical_overflow="crop",
                    )
                    self._live.start()
                self._live.update(_Lines(live), refresh=True)
                self._live_width = console.width
                self._live_lengths = [sum(segment.cell_length for segment in line) for line in live]
            self._sync(_SYNC_END)

    def _render_tail(self) -> list[list[Segment]]:
        """The open block, rendered in place, cropped to the last (screen height - 1) lines."""
        source = self._splitter.text
        if not source.strip():
            return []
        console = self._console
        room = max(1, console.size.height - 1)
        kind = self._splitter.kind
        if kind in _WINDOWED:  # a long fence or table: render only the part that can be seen
            lines = source.lstrip("\n").split("\n")
            head = _WINDOWED[kind]  # the opening fence; a table's header and delimiter rows
            if len(lines) > head + room + 1:
                source = "\n".join([*lines[:head], *lines[-(room + 1) :]])
        lines = markdown_lines(console, source, after_block=self._after_block)
        return lines[-room:]

    def _commit_blocks(self, blocks: list[Block]) -> None:
        """Render finished blocks once, as they look inside the whole reply, for printing."""
        blocks = self._unrendered + blocks
        if not blocks:
            return
        self._unrendered = blocks  # until rendered: a Ctrl+C during rendering must not lose them
        source = "".join(block.text for block in blocks)
        self._pending.extend(markdown_lines(self._console, source, after_block=self._after_block))
        self._after_block = blocks[-1].kind != "hr"
        self._unrendered = []

    def _end_thinking(self, separate: bool = True) -> None:
        """Commit the rest of the thinking and set it apart from the answer that follows."""
        if self._phase != "thinking":
            return
        lines = self._thinking.take_lines(final=True)
        if lines:
            self._pending.extend(self._thinking_lines(lines, header=not self._thinking_header_shown))
            self._thinking_header_shown = True
        if self._thinking_header_shown and separate:
            self._pending.append([])
        self._phase = "done-thinking"

    def _thinking_lines(self, lines: list[str], *, header: bool) -> list[list[Segment]]:
        console = self._console
        out: list[list[Segment]] = []
        if header:
            out.extend(render_lines(console, Text(_THINKING_HEADER, style="thinking.header")))
        indent = Segment(" " * _THINKING_INDENT)
        width = console.width - _THINKING_INDENT
        for line in lines:
            if not line:
                out.append([])
                continue
            for rendered in render_lines(console, Text(line, style="thinking"), width=width):
                out.append([indent, *rendered] if rendered else rendered)
        return out

    def _print_pending(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            self._console.print(_Lines(pending), crop=False)
            self._live_lengths = []  # printing erased the live region; it shows nothing until the next refresh

    def _fit_live_to_width(self) -> None:
        """After the terminal got narrower, it has re-wrapped the live region's lines onto more rows than
        were drawn: make the next erase cover them all, or a stale copy of the top rows would stay behind."""
        width = self._console.width
        if self._live is not None and width < self._live_width and self._output.reflows:
            rows = sum(max(1, -(-length // width)) for length in self._live_lengths)
            live_render = getattr(self._live, "_live_render", None)  # rich's own record of the rows it drew
            if live_render is not None and getattr(live_render, "_shape", None) is not None:
                live_render._shape = (width, rows)
        self._live_width = width

    def _sync(self, control: _RawControl) -> None:
        if not self._console.is_dumb_terminal:  # rich drops control codes for files by itself
            self._console.control(control)  # type: ignore[arg-type]

    def _stop_live(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.stop()


@dataclass
class TerminalOutput:
    console: Console
    show_stats: bool = False
    hide_thinking: bool = False
    refresh_per_second: float = 15.0  # caps live redraws (0: on every chunk)
    clock: Callable[[], float] = time.monotonic
    reflows: bool | None = None  # does the terminal re-wrap lines on resize? None: guessed by `terminal_reflows`

    def __post_init__(self) -> None:
        """Add the named styles of `THEME` to the console unless it has them."""
        try:
            for name in THEME.styles:
                self.console.get_style(name)
        except MissingStyle:
            self.console.push_theme(THEME)
        if self.reflows is None:
            self.reflows = terminal_reflows(os.environ)

    def reply(self, *, language: str | None = None, waiting: str = "") -> TerminalReply:
        return TerminalReply(self, language=language, waiting=waiting)


terminal_output = TerminalOutput
