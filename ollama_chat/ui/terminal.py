"""The terminal renderer: Markdown formatted while it streams, thinking dimmed, stats. `output.make_output`
picks it; it is assembled from `blocks` (where a block ends), `markdown` (rendering with rich), `live` (the
redrawn tail) and `theme` (named styles).

It draws a reply without re-rendering what is done, so the work per chunk does not grow with the reply:
  - `BlockSplitter` keeps only the uncommitted text; a chunk is only appended to it.
  - A finished block is rendered once and printed to the normal scrollback. rich separates blocks with a blank
    line depending on the block before, so each batch is rendered with that context (`after_block`): the
    printed output is exactly the whole reply rendered in one go.
  - Code blocks are numbered across the reply ("[2] python" above the code), in the order `blocks.code_blocks`
    finds them, so the number on the screen is the one `/copy code N` takes. Each batch and the live tail are
    rendered knowing how many code blocks were committed before them.
  - Only the open block lives in the `LiveTail`, redrawn at most 15 times a second. Of a long open block
    only what can be seen is rendered (`tail_window`). `finish` always draws the final state.
  - Thinking comes first, dimmed and indented under a "Thinking" header, committed line by line (`thinking`).

Model text is untrusted: every chunk goes through `sanitize` (control characters shown as visible symbols)
before rich sees it, links are drawn as "text (address)" rather than OSC 8 hyperlinks, and raw HTML is shown
as text (rich would drop it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from rich.console import Console
from rich.errors import MissingStyle
from rich.live import Live
from rich.text import Text

from ollama_chat.i18n import _
from ollama_chat.types import Stats
from ollama_chat.ui.live import LiveTail
from ollama_chat.ui.lines import Line, render_lines
from ollama_chat.ui.marks import end_marks
from ollama_chat.ui.tail_window import visible_source
from ollama_chat.text import one_line, sanitize
from ollama_chat.ui.theme import THEME
from ollama_chat.ui.thinking import Thinking, thinking_lines

if TYPE_CHECKING:
    from ollama_chat.ui.blocks import Block

# Structured output is shown as code: the reply is put inside a fence that cannot close early, since no line of
# valid JSON starts with "~".
_VERBATIM_FENCE = "~" * 12


class TerminalReply:
    def __init__(
        self, output: TerminalOutput, *, language: str | None = None, waiting: str = "", show_stats: bool = False
    ) -> None:
        # Here, at the first reply: markdown-it, rich.markdown and pygments cost the REPL's prompt ~50 ms otherwise.
        from ollama_chat.ui import markdown
        from ollama_chat.ui.blocks import BlockSplitter, top_level_blocks

        self._markdown = markdown
        self._top_level_blocks = top_level_blocks
        self._output = output
        self._language = language
        self._show_stats = show_stats
        self._fenced = False  # the verbatim fence has been opened
        self._ends_with_newline = False
        self._console = console = output.console
        self._tail = LiveTail(
            console, refresh_per_second=output.refresh_per_second, clock=output.clock, reflows=output.reflows
        )
        self._phase = "start"  # start -> thinking -> answer
        self._thinking = Thinking()
        self._thinking_header_shown = False
        self._hidden_thinking = False
        self._late_thinking: list[str] = []
        self._splitter = BlockSplitter()
        self._after_block = False  # a block other than a horizontal rule has been committed
        self._codes = 0  # code blocks committed so far
        self._unrendered: list[Block] = []  # taken from the splitter, not yet rendered
        self._printed = 0  # of the first of them, a long paragraph, the characters printed (a Ctrl+C may stop it)
        self._pending: list[Line] = []  # rendered, not yet printed
        self._finished = False
        # A model that pauses right after a burst would leave its last pieces undrawn until the next one: a
        # timer draws them once the refresh interval has passed. Only on the real clock (tests pass their own).
        self._lock = threading.RLock()  # the timer's draw and the stream's calls never interleave
        self._timer: threading.Timer | None = None
        self._late_draws = output.clock is time.monotonic and output.refresh_per_second > 0 and console.is_terminal
        self._spinner: Live | None = None
        if waiting and console.is_terminal and not console.is_dumb_terminal:
            from rich.spinner import Spinner

            self._spinner = Live(
                Spinner("dots", Text(one_line(waiting), style="hint")), console=console, transient=True, refresh_per_second=10
            )
            self._spinner.start(refresh=True)  # shown at once, not after the first tick

    # -- the Reply interface ----------------------------------------------------------------------------------

    def thinking(self, text: str) -> None:
        with self._lock:
            self._thinking_piece(text)

    def _thinking_piece(self, text: str) -> None:
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
        self._draw_when_due()

    def content(self, text: str) -> None:
        with self._lock:
            self._content_piece(text)

    def _content_piece(self, text: str) -> None:
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
        self._draw_when_due()

    def _draw_when_due(self) -> None:
        if self._tail.due():
            self._draw()
        elif self._late_draws and self._timer is None:
            self._timer = threading.Timer(self._tail.wait(), self._late_draw)
            self._timer.daemon = True
            self._timer.start()

    def _late_draw(self) -> None:
        with self._lock:
            self._timer = None
            if not self._finished:
                self._draw()

    def finish(self, stats: Stats | None = None, *, interrupted: bool = False) -> None:
        timer = self._timer
        if timer is not None:
            timer.cancel()
        with self._lock:
            self._finish(stats, interrupted=interrupted)

    def _finish(self, stats: Stats | None, *, interrupted: bool) -> None:
        if self._finished:
            return
        self._finished = True
        self._stop_spinner()
        try:
            if self._phase == "thinking":
                self._end_thinking(separate=False)
            if self._fenced:
                self._splitter.append(("" if self._ends_with_newline else "\n") + _VERBATIM_FENCE + "\n")
            self._commit_blocks(self._splitter.flush())
            if self._late_thinking:
                late = Thinking()
                late.append("".join(self._late_thinking))
                lines = late.take_lines(final=True)
                if lines:
                    self._pending.append([])
                    self._pending.extend(thinking_lines(self._console, lines, header=True))
            if interrupted and (self._pending or self._phase != "start"):
                self._pending.append([])
            for text, style in end_marks(stats, interrupted=interrupted, show_stats=self._show_stats):
                self._pending.extend(render_lines(self._console, Text(text, style=style)))
            with self._tail.frame():
                self._tail.print(self._take_pending())
                self._tail.close()
        finally:
            self._tail.close()

    # -- drawing ----------------------------------------------------------------------------------------------

    def _draw(self) -> None:
        """Commit what is final, then redraw what is not."""
        self._tail.drawn()
        if self._phase == "thinking":
            lines = self._thinking.take_lines()
            partial = self._thinking.partial
            if lines or (partial.strip() and not self._thinking_header_shown):
                self._pending.extend(thinking_lines(self._console, lines, header=not self._thinking_header_shown))
                self._thinking_header_shown = True
            live = thinking_lines(self._console, [partial], header=False) if partial.strip() else []
        elif self._phase == "answer":
            self._commit_blocks(self._splitter.pop_finished())
            with self._tail.rendering():
                live = self._render_tail()
        else:
            live = render_lines(self._console, Text(_("thinking…"), style="thinking.header")) if self._hidden_thinking else []
        if not self._console.is_terminal:  # nothing to animate: print only what is final
            self._tail.print(self._take_pending())
            return
        with self._tail.frame():
            if self._pending:
                self._tail.print(self._take_pending())
            self._tail.show(live)

    def _render_tail(self) -> list[Line]:
        """The open block, rendered in place: of a long one only the part that can be seen (`tail_window`);
        `LiveTail.show` keeps the rows that fit on the screen."""
        source = self._splitter.text
        if not source.strip():
            return []
        kind = self._splitter.kind
        if kind is None and len(source) > 1024 and "\n" not in source:  # a first line not yet parsed: its head tells
            starts = self._top_level_blocks(source[:256])
            kind = starts[0][1] if starts else None
        source = visible_source(source, kind, self._tail.room, self._console.width)
        return self._markdown.markdown_lines(self._console, source, after_block=self._after_block, first_code=self._first_code())

    def _commit_blocks(self, blocks: list[Block]) -> None:
        """Render finished blocks once, as they look inside the whole reply, for printing."""
        blocks = self._unrendered = self._unrendered + blocks  # until rendered: a Ctrl+C must not lose them
        while blocks:
            batch = next((i for i, block in enumerate(blocks) if self._markdown.long_paragraph(block)), len(blocks))
            if not batch:
                self._commit_paragraph(blocks[0].text)
            else:
                source = "".join(block.text for block in blocks[:batch])
                markdown = self._markdown.render_markdown(source, after_block=self._after_block, first_code=self._first_code())
                self._pending.extend(render_lines(self._console, markdown))
                self._after_block = blocks[batch - 1].kind != "hr"
                self._codes += markdown.code_count
            blocks = self._unrendered = blocks[max(batch, 1):]

    def _commit_paragraph(self, text: str) -> None:
        """A long paragraph, rendered and printed a part at a time (`markdown.paragraph_parts`)."""
        for end, lines in self._markdown.paragraph_parts(self._console, text, self._printed, self._after_block):
            self._pending.extend(lines)
            self._after_block, self._printed = True, end % len(text)  # back to 0 after the last part
            with self._tail.frame():
                self._tail.print(self._take_pending())

    def _first_code(self) -> int | None:
        """The number of the next code block; None for structured output, shown as one unnumbered block."""
        return None if self._language is not None else self._codes + 1

    def _end_thinking(self, separate: bool = True) -> None:
        """Commit the rest of the thinking and set it apart from the answer that follows."""
        if self._phase != "thinking":
            return
        lines = self._thinking.take_lines(final=True)
        if lines:
            self._pending.extend(thinking_lines(self._console, lines, header=not self._thinking_header_shown))
            self._thinking_header_shown = True
        if self._thinking_header_shown and separate:
            self._pending.append([])
        self._phase = "done-thinking"

    def _take_pending(self) -> list[Line]:
        pending, self._pending = self._pending, []
        return pending

    def _stop_spinner(self) -> None:
        spinner, self._spinner = self._spinner, None
        if spinner is not None:
            spinner.stop()


@dataclass
class TerminalOutput:
    """Replies drawn on `console`. `refresh_per_second` caps live redraws (0: on every chunk); `clock` paces
    them (tests pass a fake one); `reflows`: does the terminal re-wrap lines on resize (as most do;
    `make_output` asks `live.terminal_reflows` of the environment)."""

    console: Console
    hide_thinking: bool = False
    refresh_per_second: float = 15.0
    clock: Callable[[], float] = time.monotonic
    reflows: bool = True

    def __post_init__(self) -> None:
        """Add the named styles of `THEME` to the console unless it has them."""
        try:
            for name in THEME.styles:
                self.console.get_style(name)
        except MissingStyle:
            self.console.push_theme(THEME)

    def reply(self, *, language: str | None = None, waiting: str = "", show_stats: bool = False) -> TerminalReply:
        return TerminalReply(self, language=language, waiting=waiting, show_stats=show_stats)
