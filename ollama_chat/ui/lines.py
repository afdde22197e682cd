"""Rendered lines and the few rich internals the live region needs: free of markdown-it, so the REPL's prompt
does not wait for the Markdown renderer (`markdown`), which loads with the first reply."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.control import ControlType
from rich.segment import Segment

if TYPE_CHECKING:
    from rich.live import Live



Line = list[Segment]


def _rstrip_line(line: Line) -> Line:
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


def render_lines(console: Console, renderable: RenderableType, *, width: int | None = None) -> list[Line]:
    """`renderable` as lines of segments without trailing padding. Unlike `Console.render_lines`, a line is
    never cut at the width: rich keeps every line within it except top-level code (see CopyableCode), whose
    long lines the terminal must wrap. The live region folds them itself (`live.fold`)."""
    options = console.options if width is None else console.options.update_width(max(1, width))
    return [_rstrip_line(line) for line in split_lines(console.render(renderable, options))]


def split_lines(segments: Iterable[Segment]) -> Iterator[Line]:
    """`Segment.split_lines`, but linear: rich's cuts a segment with `str.partition`, copying the rest of it for
    every line, and a long unstyled paragraph is one segment of thousands of lines (2 MB: seconds per render)."""
    line: Line = []
    for segment in segments:
        text = segment.text
        if "\n" not in text or segment.control:
            line.append(segment)
            continue
        style = segment.style
        *complete, last = text.split("\n")
        for part in complete:
            if part:
                line.append(Segment(part, style))
            yield line
            line = []
        if last:
            line.append(Segment(last, style))
    if line:
        yield line


class Lines:
    """Pre-rendered lines as a renderable: printing or live-drawing them costs no Markdown work. Print them
    with crop=False, or rich cuts the long code lines the terminal is meant to wrap."""

    __slots__ = ("lines",)

    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        new_line = Segment.line()
        for line in self.lines:
            yield from line
            yield new_line


# --------------------------------------------------------------------------------------------------------------
# rich internals the live region needs
# --------------------------------------------------------------------------------------------------------------


class _RawControl:
    """An escape sequence for `Console.control`. Relies on `Console.control` taking any object with a
    `segment`, and on rich writing a control segment's text as is to a terminal and dropping it for a file."""

    def __init__(self, text: str) -> None:
        self.segment = Segment(text, None, [(ControlType.BELL,)])  # any code: it only marks the segment as control


def control_sequence(text: str) -> Any:
    """`text` (an escape sequence) as something `Console.control` writes to terminals and drops for files."""
    return _RawControl(text)


def set_live_rows(live: Live, width: int, rows: int) -> None:
    """Make `live`'s next erase cover `rows` rows. Relies on rich's private record of the shape it drew
    (`Live._live_render._shape`); if a rich version lacks it, this does nothing (stale rows may stay after a
    resize, as with plain rich)."""
    live_render = getattr(live, "_live_render", None)
    if live_render is not None and getattr(live_render, "_shape", None) is not None:
        live_render._shape = (width, rows)
