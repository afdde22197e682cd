"""What is drawn after a reply, by both renderers: the stats line and the marks (interrupted, cut by length).
Free of rich, so the plain renderer can use it."""

from __future__ import annotations

from ollama_chat.i18n import N_, _, ngettext
from ollama_chat.types import Stats



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
