"""The part of the open Markdown block that the live tail can show. Pure: strings in, a string out.

The live tail shows at most one screenful, yet the open block can be a whole reply long (a model that never
writes a blank line streams one paragraph). Rendering all of it on every redraw makes each word cost more the
longer the block gets, so only a window of it is rendered: its last lines, and of a very long last line only
its end. What scrolls into the scrollback is not this: a finished block is always rendered whole
(`TerminalReply._commit_blocks`), so only the transient live view can differ from the final one (a window's
first rows may wrap or style differently until the block is committed).
"""

from __future__ import annotations

# The head lines kept above the window: the opening fence; a table's header and delimiter rows.
_HEADS = {"fence": 1, "table": 2}

# A paragraph window starts with this line, so its first real line stays a continuation line, as it is in the
# whole paragraph ("2. x" or an indented line do not start a list or code there). Its row is cut off by the
# tail, which keeps only the last `room` rows and the window holds at least that many.
_LEAD_IN = "."

# A row holds at most `width` characters, so `room * width * _SLACK` characters fill the screen even when
# markup hides some of them ("**", "`").
_SLACK = 4


def visible_source(source: str, kind: str | None, room: int, width: int) -> str:
    """The end of `source` (an open block of `kind`) that fills `room` rows of `width` columns, rendered as
    it would be; `source` itself when it is short or of a kind not windowed (lists, quotes)."""
    if kind in _HEADS:
        lines = source.lstrip("\n").split("\n")
        head = _HEADS[kind]
        if len(lines) > head + room + 1:
            return "\n".join([*lines[:head], *lines[-(room + 1) :]])
        return source
    if kind != "paragraph":
        return source
    budget = max(1, room * max(1, width) * _SLACK)
    if len(source) <= budget:
        return source
    tail = source[-budget:]
    lines = tail.split("\n")
    if len(lines) > room + 1:  # enough whole lines: each is at least one row
        return "\n".join([_LEAD_IN, *lines[-(room + 1) :]])
    # A few very long lines: start within the first line of the window, at a word, at an offset that moves
    # only every `step` characters, so the rows do not re-wrap on every redraw.
    start = len(source) - budget
    line_start = source.rfind("\n", 0, start) + 1
    step = max(1, budget // _SLACK)
    cut = line_start + ((start - line_start) // step) * step
    space = source.find(" ", cut, start + step)
    cut = space + 1 if space >= 0 else cut
    return _LEAD_IN + "\n" + source[cut:]
