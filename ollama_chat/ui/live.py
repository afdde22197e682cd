"""The live tail: the one region at the bottom of the screen that is redrawn in place.

Everything final is printed once to the scrollback above it; only what may still change (the open Markdown
block, the partial thinking line) is drawn here. What this module adds to rich's `Live`:
  - a throttle: redraw at most `refresh_per_second` times a second by the clock, and no more often than twice
    what rendering the tail took, so drawing never falls behind the stream;
  - DEC 2026 synchronized output: the terminal shows each frame (erase, print, redraw) at once, no flicker;
  - the tail kept within the screen: rows folded to its width, only the last (height - 1) shown, since rich
    cannot erase what scrolled off;
  - resize repair: after the terminal got narrower and re-wrapped the region, the next erase covers every row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from rich.cells import cell_len
from rich.console import Console
from rich.live import Live
from rich.segment import Segment

from ollama_chat.ui.lines import Line, Lines, control_sequence, set_live_rows

# DEC mode 2026: the terminal shows everything between begin and end as one frame (ignored where unsupported).
_SYNC_BEGIN = control_sequence("\x1b[?2026h")
_SYNC_END = control_sequence("\x1b[?2026l")

_NO_LINES = Lines([])


def terminal_reflows(environ: Mapping[str, str]) -> bool:
    """Whether the terminal re-wraps its lines when it gets narrower. Most do (VTE, Konsole, iTerm2, Terminal.app,
    Windows Terminal, kitty, Alacritty, WezTerm, tmux); xterm, urxvt and st cut them instead."""
    if environ.get("TMUX"):
        return True
    term = environ.get("TERM", "")
    return not (environ.get("XTERM_VERSION") or term.startswith(("rxvt", "st-")) or term == "st")


def fold(line: Line, width: int) -> list[Line]:
    """`line` cut into rows of at most `width` cells, where a terminal would wrap it: a wide character that
    does not fit moves to the next row. Lines within the width (nearly all) are returned as they are."""
    if sum(segment.cell_length for segment in line) <= width:
        return [line]
    rows: list[Line] = []
    row: Line = []
    used = 0
    for segment in line:
        if segment.control:
            row.append(segment)
            continue
        text, style, start = segment.text, segment.style, 0
        for i, char in enumerate(text):
            cells = cell_len(char)
            if used + cells > width and used:
                if i > start:
                    row.append(Segment(text[start:i], style))
                rows.append(row)
                row, used, start = [], 0, i
            used += cells
        if start < len(text):
            row.append(Segment(text[start:], style))
    rows.append(row)
    return rows


class LiveTail:
    """The redrawn region of one reply. Use `due` to decide whether to draw now, and draw inside `frame()`:
    `print` what is final, then `show` what is not."""

    def __init__(
        self, console: Console, *, refresh_per_second: float, clock: Callable[[], float], reflows: bool
    ) -> None:
        self._console = console
        self._interval = 1.0 / refresh_per_second if refresh_per_second > 0 else 0.0
        self._clock = clock
        self._reflows = reflows
        self._last_draw = float("-inf")
        self._cost = 0.0  # seconds the last rendering of the tail took (with a refresh limit)
        self._live: Live | None = None
        self._width = 0  # the width the region was drawn at
        self._lengths: list[int] = []  # the cell length of each row it shows

    @property
    def room(self) -> int:
        """Rows the region may use: one less than the screen, so the cursor's row never scrolls it."""
        return max(1, self._console.size.height - 1)

    def due(self) -> bool:
        """Whether a draw now keeps to the refresh rate and to twice the cost of the last rendering."""
        return self.wait() <= 0

    def wait(self) -> float:
        """Seconds until a draw is due (0 or less: now)."""
        return max(self._interval, 2 * self._cost) - (self._clock() - self._last_draw)

    @contextmanager
    def rendering(self) -> Iterator[None]:
        """Time the rendering of the tail: `due` then waits at least twice as long as it took. Timed on the
        same injected clock as the refresh rate, so a test's fake clock decides every draw, however busy the
        machine is."""
        started = self._clock()
        yield
        self._cost = self._clock() - started if self._interval else 0.0

    def drawn(self) -> None:
        """A draw starts now (for the refresh rate)."""
        self._last_draw = self._clock()

    @contextmanager
    def frame(self) -> Iterator[None]:
        """One synchronized frame, with the region first fitted to the terminal's current width."""
        console = self._console
        with console:
            self._sync(_SYNC_BEGIN)
            self._fit_to_width()
            yield
            self._sync(_SYNC_END)

    def print(self, lines: list[Line]) -> None:
        """Erase the region and print `lines` above it, to stay (long code lines whole: the terminal wraps them)."""
        if self._live is not None:  # refresh, so that rich does not draw the old rows again after the print
            self._live.update(_NO_LINES, refresh=True)
        if lines:
            self._console.print(Lines(lines), crop=False)
            self._lengths = []  # printing erased the region; it shows nothing until the next refresh

    def show(self, lines: list[Line]) -> None:
        """Redraw the region with `lines`: folded to the width, the last `room` rows only."""
        if not lines and self._live is None:
            return
        width = self._console.width
        rows = [row for line in lines for row in fold(line, width)][-self.room :]
        if self._live is None:
            self._live = Live(
                _NO_LINES,
                console=self._console,
                auto_refresh=False,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
                vertical_overflow="crop",
            )
            self._live.start()
        self._live.update(Lines(rows), refresh=True)
        self._width = width
        self._lengths = [sum(segment.cell_length for segment in row) for row in rows]

    def close(self) -> None:
        """Stop the region (it is transient: what it showed is erased). Safe to call more than once."""
        live, self._live = self._live, None
        if live is not None:
            live.stop()

    def _fit_to_width(self) -> None:
        """After the terminal got narrower, a reflowing one has re-wrapped the region's rows onto more rows than
        were drawn: make the next erase cover them all, or a stale copy of the top rows would stay behind."""
        width = self._console.width
        if self._live is not None and width < self._width and self._reflows:
            rows = sum(max(1, -(-length // width)) for length in self._lengths)
            set_live_rows(self._live, width, rows)
        self._width = width

    def _sync(self, control: object) -> None:
        if not self._console.is_dumb_terminal:  # rich drops control codes for files by itself
            self._console.control(control)  # type: ignore[arg-type]
