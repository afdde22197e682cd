"""Terminal modes for a while, restored after: the one place that calls termios."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def terminal_mode(fd: int | None, change: Callable[[Any, list[Any]], None]) -> Iterator[None]:
    """`change(termios, attributes)` edits a copy of the terminal's attributes, which apply until the block
    ends; then the saved ones come back however it ends. Nothing happens when `fd` is not a terminal (a pipe,
    a test) or this is not a POSIX system."""
    try:
        import termios

        saved = termios.tcgetattr(fd) if fd is not None else None
    except ImportError:  # not a POSIX system
        saved = None
    except termios.error:  # not a terminal
        saved = None
    if saved is None:
        yield
        return
    changed = [*saved[:6], list(saved[6])]
    change(termios, changed)
    termios.tcsetattr(fd, termios.TCSANOW, changed)
    try:
        yield
    finally:
        try:
            termios.tcsetattr(fd, termios.TCSANOW, saved)
        except termios.error:  # the terminal went away (SIGHUP): there is nothing left to restore
            pass
