"""Drawing a reply: `make_output`, the one pretty-or-raw switch, choosing the renderer that implements the
chat's `events.Output`.

* `terminal.TerminalOutput`: Markdown formatted while it streams; thinking dimmed; stats. It needs rich, so it
  is imported only when a terminal renderer is made: a piped one-shot answer never loads rich.
* `plain.PlainOutput`: the text exactly as received, for pipes and --plain; thinking and stats go to `err`.

`sanitize` lives in `text` and `format_stats`/`end_marks` in `marks`: both renderers use them, and `terminal`
must not import this module, which imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, BinaryIO, TextIO

from ollama_chat.chat.events import Output
from ollama_chat.ui.plain import PlainOutput

if TYPE_CHECKING:
    from rich.console import Console


class _Utf8Text:
    """`out` as the text stream a rich Console writes to: UTF-8, as the plain renderer writes. rich flushes
    after every write, so this adds no buffer of its own in front of `out`."""

    encoding = "utf-8"

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        self._out.write(text.encode("utf-8", "replace"))
        return len(text)

    def flush(self) -> None:
        self._out.flush()

    def isatty(self) -> bool:
        return self._out.isatty()

    def fileno(self) -> int:
        return self._out.fileno()


def make_output(
    *,
    stdout_is_terminal: bool,
    plain: bool,
    hide_thinking: bool,
    out: BinaryIO,
    err: TextIO | None,
    console: Console | None = None,
    environ: Mapping[str, str] | None = None,
) -> Output:
    """The one switch: formatted Markdown for a terminal, the text as received for pipes and --plain.

    Terminal mode draws on `console` (the REPL passes its own, so that replies and its messages share one), or
    on a new one writing to `out`; `environ` tells whether the terminal re-wraps lines on resize. Plain mode writes the reply's bytes to `out` and the rest to `err`; on a
    terminal (--plain) the text is sanitized, since raw model text must not reach one."""
    if stdout_is_terminal and not plain:
        from ollama_chat.ui.live import terminal_reflows
        from ollama_chat.ui.terminal import TerminalOutput
        from ollama_chat.ui.theme import make_console

        reflows = terminal_reflows(environ) if environ is not None else True
        return TerminalOutput(console or make_console(_Utf8Text(out)), hide_thinking=hide_thinking, reflows=reflows)  # type: ignore[arg-type]
    return PlainOutput(out, err=err, hide_thinking=hide_thinking, sanitized=stdout_is_terminal)
