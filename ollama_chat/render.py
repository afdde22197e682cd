"""Drawing a reply: one interface, two renderers, chosen once per process by `make_output`.

* the terminal renderer (`render_terminal.py`): Markdown formatted while it streams, each finished block
  rendered once, only the open block live; thinking dimmed; stats. It needs rich, so it is imported only
  when a terminal renderer is made: a piped one-shot answer never loads rich.
* the plain renderer (here): the text exactly as received, for pipes and `--plain`; thinking and stats go to
  stderr.

Model text is untrusted: `sanitize` (here) shows control characters as visible symbols before anything
reaches a terminal.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol, TextIO

from .stream import Stats

if TYPE_CHECKING:
    from rich.console import Console

# --------------------------------------------------------------------------------------------------------------
# Terminal safety
# --------------------------------------------------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(code: int) -> str:
    if code == 0x0D:  # CR: "\r\n" becomes "\n"; a lone CR (overprinting) is dropped
        return ""
    if code < 0x20:  # C0 control -> its Control Picture: ESC -> ␛, BEL -> ␇, BS -> ␈, NUL -> ␀ ...
        return chr(0x2400 + code)
    if code == 0x7F:  # DEL -> ␡
        return "\u2421"
    return "\u241b" + chr(code - 0x40)  # C1 control = ESC + (code - 0x40): 8-bit CSI 0x9b -> "␛["


_VISIBLE = {c: _visible(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}


def sanitize(text: str) -> str:
    """Model text made safe to show in a terminal. Pure, and the same whether applied per chunk or at once.

    Newline and tab stay. Carriage return is removed (so CRLF becomes LF). Every other C0 control, DEL and
    every C1 control is replaced by a visible stand-in: the Unicode Control Picture for C0/DEL (ESC -> "␛",
    BEL -> "␇", BS -> "␈"), and "␛" followed by the equivalent 7-bit character for C1 (0x9b, the 8-bit CSI,
    -> "␛["). So `ESC[2J` shows as "␛[2J" instead of clearing the screen, and OSC 52 / OSC 8 / title
    sequences show as text instead of acting.
    """
    if _CONTROL.search(text) is None:
        return text
    return text.translate(_VISIBLE)


# --------------------------------------------------------------------------------------------------------------
# Stats
# --------------------------------------------------------------------------------------------------------------


def _duration(ns: int) -> str:
    seconds = ns / 1e9
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.1f} s"


def format_stats(stats: Stats) -> str:
    """One line, e.g. "42 tokens · 31.5 tok/s · prompt 26 tokens · load 1.3 s · total 4.9 s". Pure."""
    parts = [f"{stats.eval_count} token{'' if stats.eval_count == 1 else 's'}"]
    rate = stats.tokens_per_second
    if rate is not None:
        parts.append(f"{rate:.1f} tok/s")
    if stats.prompt_eval_count:
        parts.append(f"prompt {stats.prompt_eval_count} token{'' if stats.prompt_eval_count == 1 else 's'}")
    if stats.load_duration:
        parts.append(f"load {_duration(stats.load_duration)}")
    if stats.total_duration:
        parts.append(f"total {_duration(stats.total_duration)}")
    if stats.cut_by_length:
        parts.append("cut by length (raise num_predict or num_ctx)")
    return " · ".join(parts)


# --------------------------------------------------------------------------------------------------------------
# The interface
# --------------------------------------------------------------------------------------------------------------


class Reply(Protocol):
    """One reply being drawn."""

    def thinking(self, text: str) -> None: ...

    def content(self, text: str) -> None: ...

    def finish(self, stats: Stats | None = None, *, interrupted: bool = False) -> None:
        """Called once at the end, however it ends: draws the final state, so a reply that failed midway stays
        shown (the caller prints the error after it). `interrupted` adds a visible mark."""
        ...


class Output(Protocol):
    """Where replies are drawn; chosen once per process."""

    show_stats: bool
    hide_thinking: bool

    def reply(self, *, language: str | None = None, waiting: str = "") -> Reply:
        """A new reply. `language` (e.g. "json" for structured output): show the text as code in that language,
        not as Markdown. `waiting`: what to show until the first chunk arrives (a model can take minutes to load).
        """
        ...


INTERRUPTED_MARK = "[interrupted]"
CUT_MARK = "[cut: the answer reached the length limit — raise num_predict or num_ctx]"


def end_marks(stats: Stats | None, *, interrupted: bool, show_stats: bool) -> list[tuple[str, str]]:
    """(text, style) lines drawn after a reply. A cut answer is always marked: stats say it when shown."""
    marks = [(INTERRUPTED_MARK, "interrupted")] if interrupted else []
    if stats is not None and show_stats:
        marks.append((format_stats(stats), "stats"))
    elif stats is not None and stats.cut_by_length:
        marks.append((CUT_MARK, "interrupted"))
    return marks


# --------------------------------------------------------------------------------------------------------------
# Plain renderer
# --------------------------------------------------------------------------------------------------------------


class PlainReply:
    def __init__(self, output: PlainOutput) -> None:
        self._output = output
        self._wrote = False
        self._ends_with_newline = True
        self._thinking_open = False  # thinking written to err that does not end with a newline
        self._finished = False

    def thinking(self, text: str) -> None:
        err = self._output.err
        if not text or err is None or self._output.hide_thinking or self._finished:
            return
        text = sanitize(text)
        err.write(text)
        err.flush()
        self._thinking_open = not text.endswith("\n")

    def content(self, text: str) -> None:
        if not text or self._finished:
            return
        self._close_thinking()
        if self._output.sanitized:
            text = sanitize(text)
        out = self._output.out
        out.write(text.encode("utf-8", "replace"))
        out.flush()
        self._wrote = True
        self._ends_with_newline = text.endswith("\n")

    def finish(self, stats: Stats | None = None, *, interrupted: bool = False) -> None:
        if self._finished:
            return
        self._finished = True
        self._close_thinking()
        if self._wrote and not self._ends_with_newline:
            self._output.out.write(b"\n")
            self._output.out.flush()
        err = self._output.err
        if err is not None:
            for text, _style in end_marks(stats, interrupted=interrupted, show_stats=self._output.show_stats):
                err.write(text + "\n")
            err.flush()

    def _close_thinking(self) -> None:
        if self._thinking_open and self._output.err is not None:
            self._output.err.write("\n")
            self._output.err.flush()
        self._thinking_open = False


@dataclass
class PlainOutput:
    """The reply text on `out` exactly as received (UTF-8, flushed per chunk, a final newline added if it
    lacked one); thinking, the interrupted mark and stats on `err`, never on `out`. `sanitized` passes the
    text through `sanitize` first: for `--plain` on a terminal, where raw model text must not reach it."""

    out: BinaryIO
    err: TextIO | None = None
    show_stats: bool = False
    hide_thinking: bool = False
    sanitized: bool = False

    def reply(self, *, language: str | None = None, waiting: str = "") -> PlainReply:
        return PlainReply(self)  # the text as received, whatever it is


plain_output = PlainOutput


def make_console(file: TextIO | None = None) -> Console:
    """A rich Console for the terminal (stdout by default): the named styles of THEME, and text shown as
    written (no automatic highlighting of numbers and quotes, no :emoji: codes). rich itself honours NO_COLOR
    (no colours; bold, dim and italic stay), FORCE_COLOR and TERM=dumb (no live redraws)."""
    from rich.console import Console

    from .render_terminal import THEME

    return Console(file=file, highlight=False, emoji=False, theme=THEME)


def make_output(
    *, stdout_is_terminal: bool, plain: bool, show_stats: bool, hide_thinking: bool, console: Console | None = None
) -> Output:
    """The one switch: formatted Markdown for a terminal, the text as received for pipes and --plain.
    The REPL passes its own `console` so that replies and its messages share one."""
    if stdout_is_terminal and not plain:
        from .render_terminal import terminal_output

        return terminal_output(console or make_console(), show_stats=show_stats, hide_thinking=hide_thinking)
    return plain_output(
        sys.stdout.buffer,
        err=sys.stderr,
        show_stats=show_stats,
        hide_thinking=hide_thinking,
        sanitized=stdout_is_terminal,
    )

