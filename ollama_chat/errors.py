"""The errors a user can meet. Each carries what went wrong, a hint for what to do next, and an exit code.

The CLI prints `message` and `hint` and exits with `exit_code`; nothing else needs to know about exit codes.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

EXIT_OK = 0
EXIT_FAILURE = 1  # the server or the network failed
EXIT_USAGE = 2  # bad flags, bad input, bad persona or config
EXIT_INTERRUPTED = 130


class ChatError(Exception):
    exit_code = EXIT_FAILURE

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


SHOWN_VALUE = 200  # characters of a value (a host, a name, a path) echoed in a message
SHOWN_MESSAGE = 4000  # characters of a whole message
# longer than a value cut where it is echoed; the punctuation that ends it is kept
_LONG_WORD = re.compile(r"(\S{%d,}?)([:.,;!?'\")\]]*)(?=\s|$)" % (SHOWN_VALUE + 101))


def cut(text: str, limit: int = SHOWN_VALUE) -> str:
    """`text` cut to `limit` characters, saying how many more there were: a 100 KB --host is not echoed whole."""
    if len(text) <= limit:
        return text
    from ollama_chat.i18n import ngettext

    more = len(text) - limit
    return text[:limit] + ngettext("… ({n} more character)", "… ({n} more characters)", more).format(n=f"{more:,}")


def cut_values(message: str) -> str:
    """A message as shown: every run of more than SHOWN_VALUE characters without a space (a value echoed in
    it: a host, a model name, a path, an option's value) cut, then the whole cut to SHOWN_MESSAGE. The last
    guard before the screen; where a value is echoed it is cut already."""
    if len(message) <= SHOWN_VALUE:
        return message
    return cut(_LONG_WORD.sub(lambda m: cut(m.group(1)) + m.group(2), message), SHOWN_MESSAGE)


class UsageError(ChatError):
    """Bad flags, bad input, a bad persona or config file: the user can fix it by changing what they typed."""

    exit_code = EXIT_USAGE


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: stop like Ctrl+C (the reply marked, the terminal restored), then leave."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.exit_code = 128 + signum


_signals = {"held": 0, "pending": 0, "raised": False}


def signals_as_interrupts() -> None:
    """From now on SIGTERM and SIGHUP raise Terminated in the main thread, so every way out runs the same
    clean-up as Ctrl+C. Only the first one raises: a second (a closing terminal often sends SIGHUP then
    SIGTERM) must not cut short the storing of the reply the first one stopped. One that was ignored when we
    started stays ignored: whoever started us asked for that (`nohup` ignores SIGHUP so the answer outlives the
    terminal)."""
    import signal

    def stop(signum: int, frame: object) -> None:
        if _signals["raised"] or _signals["pending"]:
            return
        if _signals["held"]:
            _signals["pending"] = signum
            return
        _signals["raised"] = True
        raise Terminated(signum)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) is not signal.SIG_IGN:
            signal.signal(getattr(signal, name), stop)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """A SIGTERM or SIGHUP that arrives inside the block raises Terminated when it ends, not in the middle:
    a store write is committed whole before the program stops."""
    _signals["held"] += 1
    try:
        yield
    finally:
        _signals["held"] -= 1
        signum = _signals["pending"]
        if not _signals["held"] and signum:
            _signals["pending"], _signals["raised"] = 0, True
            raise Terminated(signum)


def ctrl_c_interrupts() -> None:
    """The REPL takes Ctrl+C back if it was started with SIGINT ignored. There Ctrl+C is one of the chat's own
    keys: the prompt reads it as a key whatever the signal's disposition, and during a reply the terminal
    turns it into SIGINT, which must stop the reply too. (A one-shot keeps an ignored SIGINT: a script's
    `ollama-chat q > answer &` is not meant to stop at a Ctrl+C aimed at the job in the foreground.)"""
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
