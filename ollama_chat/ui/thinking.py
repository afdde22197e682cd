"""A reply's thinking on the terminal: taken line by line as it streams, and drawn dimmed and indented under a
"Thinking" header."""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.text import Text

from ollama_chat.i18n import _
from ollama_chat.ui.lines import Line, render_lines

INDENT = 2


class Thinking:
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


def thinking_lines(console: Console, lines: list[str], *, header: bool) -> list[Line]:
    """`lines` of thinking as drawn on `console`: dimmed, wrapped inside their indent, under the header if
    `header`; an empty line stays empty."""
    out: list[Line] = []
    if header:
        out.extend(render_lines(console, Text(_("Thinking"), style="thinking.header")))
    indent = Segment(" " * INDENT)
    width = console.width - INDENT
    for line in lines:
        if not line:
            out.append([])
            continue
        for rendered in render_lines(console, Text(line, style="thinking"), width=width):
            out.append([indent, *rendered] if rendered else rendered)
    return out
