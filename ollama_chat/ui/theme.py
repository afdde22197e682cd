"""The named styles everything on the terminal is drawn with, and the Console that knows them.

Code says what a piece of text is ("thinking", "error"), the theme says how it looks: one place to change a
colour, and NO_COLOR handled by rich for all of them.
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.theme import Theme

THEME = Theme(
    {
        "thinking": "dim italic",
        "thinking.header": "dim bold",
        "stats": "dim",
        "interrupted": "bold yellow",
        # the REPL's own messages
        "banner": "bold",
        "notice": "cyan",
        "hint": "dim",
        "warning": "yellow",
        "error": "bold red",
    }
)


def make_console(file: TextIO | None = None, width: int | None = None) -> Console:
    """A rich Console for the terminal (stdout by default): the named styles of THEME, and text shown as
    written (no automatic highlighting of numbers and quotes, no :emoji: codes). rich itself honours NO_COLOR
    (no colours; bold, dim and italic stay), FORCE_COLOR and TERM=dumb (no live redraws). `width`: the
    terminal's, when the caller read it already (None: rich asks the terminal)."""
    return Console(file=file, width=width, highlight=False, emoji=False, theme=THEME)
