"""Our own messages wrapped at word boundaries to the terminal's width, counting display cells (a Hangul
syllable takes two). A word wider than the line (a long path) is kept whole on a line of its own, so it can
be copied. Pure, and free of rich: the piped path uses it for errors."""

from __future__ import annotations

import unicodedata


def cell_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Each line of `text` folded to `width` cells; continuation lines start with `indent`."""
    width = max(10, width)
    out: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for word in paragraph.split(" "):
            w = cell_width(word)
            if line and used + 1 + w > width:
                out.append(line)
                line, used = indent + word, cell_width(indent) + w
            elif line or word:
                line, used = (f"{line} {word}", used + 1 + w) if line else (word, w)
        out.append(line)
    return out
