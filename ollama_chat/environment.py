"""The facts of the process the program runs in, read once: streams, which are terminals, the environment
variables, the terminal's width, and how to reach /dev/tty; and our own messages on stderr (`say`, `note`,
`warn`, `error`), worded for that stderr, as httpie's Environment does. Everything else takes an Environment,
so tests build one around in-memory streams and run the CLI in-process: this is the one module that reads
`os.environ` and `sys.stdin`/`stdout`/`stderr` (tests/test_architecture.py checks it)."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from ollama_chat.errors import cut_values
from ollama_chat.i18n import _
from ollama_chat.text import one_line, sanitize, wrap


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed
        return False


def _closed() -> TextIO:
    """Stands in for a standard stream that was closed before we started (`<&-`, `>&-`)."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)


def quiet_from_now_on(stream: TextIO) -> None:
    """Point `stream`'s descriptor at /dev/null, so what it still holds and later writes go nowhere, and
    Python's flush at exit cannot fail (which would print "Exception ignored" and exit 120)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):  # an in-memory stream (tests) has no descriptor
        return
    with contextlib.suppress(OSError, ValueError):
        stream.flush()


class Lenient:
    """stderr as the program uses it: our messages, marks and thinking are worth losing, never worth failing
    the run for (`2>/dev/full`, a terminal that went away). After a failed write it goes to /dev/null."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError:
            quiet_from_now_on(self._stream)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            quiet_from_now_on(self._stream)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _open_tty() -> TextIO:
    return open("/dev/tty", encoding="utf-8")  # noqa: SIM115 - the REPL keeps it open


@dataclass(frozen=True)
class Environment:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    environ: Mapping[str, str] = field(default_factory=dict)
    stdin_isatty: bool = False
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    columns: int = 80  # the terminal's width, for wrapping our own messages
    stdout_closed: bool = False
    open_tty: Callable[[], TextIO] = _open_tty

    @classmethod
    def from_process(cls) -> Environment:
        """The process's streams; one that was closed when we started is an empty stand-in: a closed stdin
        reads as nothing, and `stdout_closed` says there is nowhere to write a reply."""
        return cls(
            stdin=sys.stdin or _closed(),
            stdout=sys.stdout or _closed(),
            stderr=Lenient(sys.stderr) if sys.stderr else _closed(),  # type: ignore[arg-type]
            stdout_closed=sys.stdout is None,
            environ=os.environ,
            stdin_isatty=_isatty(sys.stdin),
            stdout_isatty=_isatty(sys.stdout),
            stderr_isatty=_isatty(sys.stderr),
            columns=shutil.get_terminal_size().columns,
        )

    @classmethod
    def in_memory(cls, stdin: bytes = b"", environ: Mapping[str, str] | None = None, **facts: object) -> Environment:
        """For tests: byte-backed streams (read them with `.buffer.getvalue()`) and the given facts."""

        def stream(data: bytes = b"") -> TextIO:
            return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict", write_through=True)

        return cls(stdin=stream(stdin), stdout=stream(), stderr=stream(), environ=dict(environ or {}), **facts)  # type: ignore[arg-type]

    @property
    def no_color(self) -> bool:
        return "NO_COLOR" in self.environ

    # -- our messages on stderr -----------------------------------------------------------------------------

    def say(self, label: str, text: str, hint: str = "", *, sgr: str = "2") -> None:
        """One of our messages on stderr: `label` (coloured with the SGR code `sgr` unless NO_COLOR) and
        `text`, then the `hint`'s lines indented; on a terminal wrapped at words to its width. Everything in it
        is sanitized, and a huge value (a 100 KB flag) cut."""
        text, hint = sanitize(cut_values(text)), sanitize(cut_values(hint))
        head = f"{label} {text}" if label else text
        if self.stderr_isatty:
            lines = wrap(head, self.columns)
            if not self.no_color:
                lines[0] = f"\033[{sgr}m{label}\033[0m" + lines[0][len(label) :]
            for h in hint.splitlines():  # an indented hint line is a command to copy: kept whole
                lines += ["  " + h] if h.startswith("  ") else wrap("  " + h, self.columns, indent="  ")
        else:
            lines = [head, *("  " + h for h in hint.splitlines())]
        self.stderr.write("\n".join(lines) + "\n")
        self.stderr.flush()

    def note(self, text: str) -> None:
        """News the user may want (older exchanges left out, a resumed conversation's settings), dimmed."""
        self.say(_("Note:"), text)

    def warn(self, text: str, hint: str = "") -> None:
        """Something went wrong and the run goes on: one line (a file's or a server's words in it too)."""
        self.say(_("Warning:"), one_line(text), hint, sgr="33")

    def error(self, text: str, hint: str = "") -> None:
        """Why the run stops: one line (a server's or a file's text in it too), then what to do."""
        self.say(_("Error:"), one_line(text), hint, sgr="1;31")
