"""Text fit to show, for every layer (the ground floor): untrusted text made safe for a terminal (`sanitize`,
and `one_line` for fields that must stay one line), widths in terminal cells and word wrapping for our own
messages, and the small formats every screen shares (sizes, times, the 📎 line). Pure, and free of rich: the
piped path uses it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ollama_chat.types import Attached

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


_NOT_ONE_LINE = re.compile("[\n\t\r\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escaped(match: re.Match[str]) -> str:
    return _ESCAPES.get(match.group()) or f"\\u{ord(match.group()):04x}"


def one_line(text: str, limit: int | None = None) -> str:
    """A name, title, description or server text shown as one line (a model or file name, a table cell, a
    tab-separated field, a value inside our message). Pure.

    `sanitize`, and then what it lets through shows as text too: newline, tab and carriage return as `\\n`,
    `\\t`, `\\r`; the bidi controls (U+202A–U+202E, U+2066–U+2069, and the marks U+200E, U+200F, U+061C) and
    the line and paragraph separators as `\\uHHHH`. So a model named "evil\\nError: …" cannot print a line of
    its own, a tab cannot split a field, and U+202E cannot reverse what follows. Other controls show as in
    `sanitize` (ESC -> "␛"); a backslash stays as it is. `limit`: at most that many characters, "…" when cut.
    """
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    if _NOT_ONE_LINE.search(text) is not None:
        text = _NOT_ONE_LINE.sub(_escaped, text)
    return sanitize(text)


def when(timestamp: float) -> str:
    """A stored time as a person reads it, in local time: 2026-11-25 14:03."""
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def size_text(size: int) -> str:
    """Bytes as `ollama list` shows them: 2.0 GB, 815 MB, 12 KB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}" if unit == "GB" else f"{size / scale:.0f} {unit}"
    return f"{size} B"


def attached_text(attached: Sequence[Attached]) -> str:
    """The line that stands for a question's attachments wherever it is shown: 📎 notes.txt (12 KB), cat.png (340 KB)."""
    return "📎 " + ", ".join(f"{one_line(a.name)} ({size_text(a.size)})" for a in attached)


# --------------------------------------------------------------------------------------------------------------
# Widths in terminal cells, and wrapping our own messages
# --------------------------------------------------------------------------------------------------------------


def cell_width(text: str) -> int:
    if text.isascii():  # O(1), and most names are
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Each line of `text` folded to `width` cells at spaces; continuation lines start with `indent`, and a
    line's own leading spaces are kept."""
    width = max(10, width)
    out: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.lstrip(" ").split(" ")
        line = paragraph[: len(paragraph) - len(paragraph.lstrip(" "))] + words[0]
        used = cell_width(line)
        for word in words[1:]:
            w = cell_width(word)
            if used + 1 + w > width and line.strip():
                out.append(line)
                line, used = indent + word, cell_width(indent) + w
            else:
                line, used = f"{line} {word}", used + 1 + w
        out.append(line)
    return out


def pad(text: str, width: int) -> str:
    """`text` followed by spaces up to `width` display cells (str.ljust counts characters, not cells)."""
    return text + " " * max(0, width - cell_width(text))


class Pieces:
    """Streamed text, joined every JOIN pieces: a `str` per piece of a few characters would cost ~19 bytes of
    memory per byte of a long reply. (io.StringIO holds up to 100,000 pieces unjoined before Python 3.12.)"""

    JOIN = 1024

    def __init__(self) -> None:
        self._joined: list[str] = []
        self._pieces: list[str] = []

    def add(self, piece: str) -> None:
        self._pieces.append(piece)
        if len(self._pieces) >= self.JOIN:
            self._joined.append("".join(self._pieces))
            self._pieces.clear()

    def value(self) -> str:
        return "".join([*self._joined, *self._pieces])
