"""The terminal's keys for prompt_toolkit, with a bracketed paste read in time linear in its length.

prompt_toolkit 3.0 adds each read of a paste (1 KiB) to one string and searches that whole string for the end
mark every time: a pasted 5 MB log took 10 s of CPU before the REPL could answer, and the time grows with the
square of the size. Here the pieces are kept in a list and only the new piece, with the few characters before it
that could start the end mark, is searched. Everything else is prompt_toolkit's own parser.
"""

from __future__ import annotations

from typing import TextIO

from prompt_toolkit.input.vt100 import Vt100Input
from prompt_toolkit.input.vt100_parser import Vt100Parser
from prompt_toolkit.key_binding.key_processor import KeyPress
from prompt_toolkit.keys import Keys

PASTE_END = "\x1b[201~"


class PasteParser(Vt100Parser):
    """Vt100Parser with a linear paste. Touches two private names of Vt100Parser, `_in_bracketed_paste` (set by
    its own handler when a paste starts) and `_paste_buffer` (here: only the characters that might begin the
    end mark); tests/test_tty_input.py compares it with prompt_toolkit's parser on random splits."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003  # as Vt100Parser takes them
        super().__init__(*args, **kwargs)
        self._pieces: list[str] = []

    def feed(self, data: str) -> None:
        if not self._in_bracketed_paste:
            super().feed(data)  # it calls self.feed again with the rest once a paste starts
            return
        joined = self._paste_buffer + data
        end = joined.find(PASTE_END)
        if end < 0:
            keep = max(0, len(joined) - (len(PASTE_END) - 1))
            self._pieces.append(joined[:keep])
            self._paste_buffer = joined[keep:]
            return
        pasted = "".join([*self._pieces, joined[:end]])
        self._pieces, self._paste_buffer = [], ""
        self.feed_key_callback(KeyPress(Keys.BracketedPaste, pasted))
        self._in_bracketed_paste = False
        self.feed(joined[end + len(PASTE_END) :])


class TerminalInput(Vt100Input):
    """prompt_toolkit's terminal input, parsing with PasteParser."""

    def __init__(self, stdin: TextIO) -> None:
        super().__init__(stdin)
        self.vt100_parser = PasteParser(self.vt100_parser.feed_key_callback)
