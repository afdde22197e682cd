"""The plain renderer: the reply exactly as received, for pipes and --plain.

Bytes go to `out` untouched (UTF-8, flushed per chunk), so `ollama-chat "..." > file` holds the model's text and
nothing else; thinking, the interrupted mark and stats go to `err`. No rich here: a piped answer never loads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, TextIO

from ollama_chat.types import Stats
from ollama_chat.ui.marks import end_marks
from ollama_chat.text import sanitize


class PlainReply:
    def __init__(self, output: PlainOutput, *, show_stats: bool = False) -> None:
        self._output = output
        self._show_stats = show_stats
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
            for text, _style in end_marks(stats, interrupted=interrupted, show_stats=self._show_stats):
                err.write(text + "\n")
            err.flush()

    def _close_thinking(self) -> None:
        if self._thinking_open and self._output.err is not None:
            self._output.err.write("\n")
            self._output.err.flush()
        self._thinking_open = False


@dataclass
class PlainOutput:
    """The reply text on `out` exactly as received (a final newline added if it lacked one); thinking, the
    interrupted mark and stats on `err`, never on `out`. `sanitized` passes the text through `sanitize` first:
    for --plain on a terminal, where raw model text must not reach it."""

    out: BinaryIO
    err: TextIO | None = None
    hide_thinking: bool = False
    sanitized: bool = False

    def reply(self, *, language: str | None = None, waiting: str = "", show_stats: bool = False) -> PlainReply:
        return PlainReply(self, show_stats=show_stats)  # the text as received, whatever its language
