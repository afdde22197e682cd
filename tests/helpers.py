"""Running the installed `ollama-chat` command the way a user would, with a private home directory."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent / "ollama-chat"

# How long a test waits for something that must happen (a screen, a child's exit, typed-ahead keys). A busy
# machine only makes these waits longer; only a broken program makes one run out. Nothing is asserted about
# how long it took.
PATIENCE = 60.0

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# The start of a script run in a subprocess that reads glibc's malloc statistics: `libc.mallinfo()` gives its
# fields (`uordblks`: bytes handed out from the heap, `hblks`/`hblkhd`: blocks mapped on their own and their bytes).
MALLINFO = """import ctypes
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL(None)
libc.mallinfo.restype = Info
"""

# The signals whose default action the spawned programs and the tests rely on: Ctrl+C, SIGTERM and SIGHUP
# (sent by tests), SIGQUIT, and SIGPIPE (a shell's child has it; Python ignores it in itself).
_DEFAULT_SIGNALS = ("SIGINT", "SIGQUIT", "SIGTERM", "SIGHUP", "SIGPIPE")


def default_signals() -> None:
    """`preexec_fn` for every program a test spawns: it starts as from an interactive shell, every signal it
    relies on at its default action and none blocked.

    Ignored signals are inherited across exec: a background job of a non-interactive shell
    (`(pytest > log &)`) starts with SIGINT and SIGQUIT ignored, `nohup` ignores SIGHUP, and the children of
    such a pytest would inherit that, so Ctrl+C tests would pass or time out depending on how the suite was
    started."""
    import signal

    for name in _DEFAULT_SIGNALS:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_SETMASK, set())


def ignoring(*names: str):
    """`preexec_fn` for a program started as a background job of a script (SIGINT, SIGQUIT) or by `nohup`
    (SIGHUP) starts: `names` ignored, every other signal at its default."""

    def preexec() -> None:
        import signal

        default_signals()
        for name in names:
            signal.signal(getattr(signal, name), signal.SIG_IGN)

    return preexec


def user_env(home: Path, host: str, **extra: str) -> dict[str, str]:
    """A clean environment: our own HOME and XDG folders, the fake server as OLLAMA_HOST."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OLLAMA", "XDG_", "NO_COLOR", "TMUX", "LANGUAGE", "LC_ALL", "LC_MESSAGES"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        OLLAMA_HOST=host,
        LANG="C.UTF-8",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def stored(home: Path) -> list[tuple[str, str, int]]:
    """(question, reply, interrupted) of every exchange in the store under `home` (as `user_env` sets it up),
    oldest first, read straight from the file."""
    import sqlite3

    with sqlite3.connect(home / ".local" / "share" / "ollama-chat" / "conversations.db") as db:
        return db.execute("SELECT question, reply, interrupted FROM exchanges ORDER BY id").fetchall()


def run_cli(args: list[str], env: dict[str, str], stdin: bytes | None = b"",
            timeout: float = PATIENCE) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN), *args], input=stdin, env=env, capture_output=True, timeout=timeout, check=False,
        preexec_fn=default_signals,
    )


def spawn_in_pty(program: str, args: list[str], env: dict[str, str], *, rows: int = 30, columns: int = 100,
                 timeout: float = PATIENCE, encoding: str | None = "utf-8", cwd: str | None = None,
                 preexec_fn=default_signals):
    """`program` in a pseudo-terminal, driven with pexpect. Keys go out at once: pexpect's default pause of 50 ms
    before every `send` is a fixed sleep, and these tests wait for what the screen shows instead."""
    import pexpect

    child = pexpect.spawn(program, args, env=env, dimensions=(rows, columns), encoding=encoding, timeout=timeout,
                          cwd=cwd, preexec_fn=preexec_fn)
    child.delaybeforesend = None
    return child


def wait_for_typeahead(child, count: int, timeout: float = PATIENCE) -> bool:
    """Wait until the terminal of `child` holds `count` bytes of typed-ahead input that nothing has read yet.

    pexpect's writes reach the terminal's line discipline asynchronously (a kernel worker), and the terminal
    modes of that moment decide what a key becomes (echoed? Enter a CR or an LF?). So before a held reply is
    released, a test that typed ahead waits here: the keys were taken in while the reply was still drawing.
    Linux only (it reads the child's terminal from /proc); elsewhere it returns True at once.
    """
    import fcntl
    import struct
    import termios
    import time

    try:
        fd = os.open(os.readlink(f"/proc/{child.pid}/fd/0"), os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return True
    try:
        deadline = time.monotonic() + timeout
        while True:
            waiting = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
            if waiting >= count:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)  # polling a condition, not a fixed wait
    finally:
        os.close(fd)


class PromptTypist:
    """Types groups of keys into a prompt_toolkit `PromptSession` through its pipe input, each group as soon as
    the prompt is ready for it, instead of after a fixed pause.

    Ready: a prompt is running (not finishing), its input history is loaded (prompt_toolkit loads it in the
    background every time a prompt starts, and Up does nothing until then), and every key typed so far has
    been read and processed. So a group after one ending with Enter goes to the next prompt, and a group like
    `UP` is typed into a prompt whose history is there. Keys after an Enter in the same group are typeahead:
    the next prompt processes them as it starts, before its history has loaded, so put Up in its own group.

        with PromptTypist(prompt, pipe).typing(["q" + ENTER, UP, ENTER, "quit" + ENTER]):
            chat_loop(chat, prompt)

    If the prompt is never ready for the next group, or is idle again after the last one (the keys did not end
    the loop), the pipe is closed, so the loop ends with EOF instead of hanging, and the error is raised.
    """

    def __init__(self, prompt, pipe, timeout: float = PATIENCE) -> None:
        self._app = prompt.app
        self._pipe = pipe
        self._timeout = timeout
        self._changed = threading.Condition()
        self._loaded = False  # the running prompt's history is loaded
        self._pending = False  # keys written that the prompt has not read and processed yet
        self._stopped = False
        self._error: str | None = None

        history = prompt.default_buffer.history
        load = history.load

        async def load_then_tell():
            async for item in load():
                yield item
            with self._changed:
                self._loaded = True
                self._changed.notify_all()

        history.load = load_then_tell
        processor = self._app.key_processor
        process_keys = processor.process_keys

        def process_then_tell() -> None:
            process_keys()
            with self._changed:
                if self._app.is_done:  # Enter, Ctrl+C, Ctrl+D: this prompt is over
                    self._loaded = False
                if self._unread() == 0:
                    self._pending = False
                self._changed.notify_all()

        processor.process_keys = process_then_tell
        self._app.on_reset += self._on_reset  # a new prompt starts: its history is not loaded yet

    def _on_reset(self, _app) -> None:
        with self._changed:
            self._loaded = False

    def _unread(self) -> int:
        import fcntl
        import struct
        import termios

        return struct.unpack("i", fcntl.ioctl(self._pipe.pipe.read_fd, termios.FIONREAD, b"\0\0\0\0"))[0]

    def _ready(self) -> bool:
        return self._loaded and not self._pending and self._app.is_running and not self._app.is_done

    def _wait_ready(self) -> bool:
        """Under the lock: True once ready, False once stopped (the loop ended)."""
        if not self._changed.wait_for(lambda: self._stopped or self._ready(), self._timeout):
            raise TimeoutError
        return not self._stopped

    def _type(self, groups: list[str]) -> None:
        try:
            with self._changed:
                for i, group in enumerate(groups):
                    if not self._wait_ready():
                        self._error = f"the chat loop ended before key group {i} ({group!r}) was typed"
                        return
                    self._pending = True
                    self._pipe.send_text(group)
                if self._wait_ready():
                    self._error = "the prompt is waiting for more keys: the keys typed did not end the chat loop"
        except TimeoutError:
            self._error = f"the prompt was not ready for the next keys within {self._timeout} s"
        if self._error:
            self._pipe.close()  # the loop ends with EOF instead of hanging

    @contextmanager
    def typing(self, groups):
        thread = threading.Thread(target=self._type, args=(list(groups),), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            with self._changed:
                self._stopped = True
                self._changed.notify_all()
            thread.join(self._timeout)
        if self._error:
            raise AssertionError(self._error)
