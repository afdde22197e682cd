"""What both renderers share, free of rich: making model text safe for a terminal, the stats line, and the
marks drawn after a reply. Both `plain` and `terminal` import it, so it imports neither (nor `output`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ollama_chat.i18n import N_, _, ngettext
from ollama_chat.types import Attached, Stats

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


# --------------------------------------------------------------------------------------------------------------
# Stats and end marks
# --------------------------------------------------------------------------------------------------------------


def _duration(ns: int) -> str:
    seconds = ns / 1e9
    if seconds < 1:
        return _("{ms} ms").format(ms=f"{seconds * 1000:.0f}")
    return _("{seconds} s").format(seconds=f"{seconds:.1f}")


def format_stats(stats: Stats) -> str:
    """One line, e.g. "42 tokens · 31.5 tok/s · prompt 26 tokens · load 1.3 s · total 4.9 s". Pure."""
    parts = [ngettext("{n} token", "{n} tokens", stats.eval_count).format(n=stats.eval_count)]
    rate = stats.tokens_per_second
    if rate is not None:
        parts.append(_("{rate} tok/s").format(rate=f"{rate:.1f}"))
    if stats.prompt_eval_count:
        n = stats.prompt_eval_count
        parts.append(ngettext("prompt {n} token", "prompt {n} tokens", n).format(n=n))
    if stats.load_duration:
        parts.append(_("load {duration}").format(duration=_duration(stats.load_duration)))
    if stats.total_duration:
        parts.append(_("total {duration}").format(duration=_duration(stats.total_duration)))
    if stats.cut_by_length:
        parts.append(_("cut by length (raise num_predict or num_ctx)"))
    return " · ".join(parts)


# The marks in English; `end_marks` shows them in the interface's language.
INTERRUPTED_MARK = N_("[interrupted]")
CUT_MARK = N_("[cut: the answer reached the length limit — raise num_predict or num_ctx]")


def end_marks(stats: Stats | None, *, interrupted: bool, show_stats: bool) -> list[tuple[str, str]]:
    """(text, style name) lines drawn after a reply. A cut answer is always marked: the stats say it when shown."""
    marks = [(_("[interrupted]"), "interrupted")] if interrupted else []
    if stats is not None and show_stats:
        marks.append((format_stats(stats), "stats"))
    elif stats is not None and stats.cut_by_length:
        marks.append((_("[cut: the answer reached the length limit — raise num_predict or num_ctx]"), "interrupted"))
    return marks


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
