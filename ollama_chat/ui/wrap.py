"""Our own messages wrapped at word boundaries to the terminal's width, counting display cells (a Hangul
syllable takes two). A word wider than the line (a long path) is kept whole on a line of its own, so it can
be copied. Pure, and free of rich: the piped path uses it for errors."""

from __future__ import annotations

import unicodedata


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
