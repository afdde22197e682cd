"""Terminal modes for a while, restored after: the one place that calls termios. The chat keeps its terminal
quiet (`quiet_terminal`); the editor gets a normal one (`editor.normal_terminal`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ContextManager


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


def _quiet(termios: Any, attributes: list[Any]) -> None:
    attributes[0] &= ~termios.ICRNL
    attributes[3] &= ~(termios.ECHO | termios.ICANON | getattr(termios, "ECHOCTL", 0))
    attributes[3] |= termios.NOFLSH  # Ctrl+C stops the reply but keeps what was typed ahead
    attributes[6][termios.VMIN], attributes[6][termios.VTIME] = 1, 0


def quiet_terminal(fd: int | None) -> ContextManager[None]:
    """Keys typed ahead (while a reply is drawn, or before the first prompt) are neither echoed nor cooked by
    the terminal: no echo, no line editing, and Enter stays a carriage return (ICRNL off), so a line typed
    ahead and ended with Enter is submitted on its own by the next prompt instead of becoming a newline glued
    to the next question. Ctrl+C still interrupts (ISIG stays), without discarding keys typed ahead (NOFLSH).
    Restored however the chat ends."""
    return terminal_mode(fd, _quiet)
