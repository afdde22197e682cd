"""The stdio transport: a server started as a subprocess, newline-delimited JSON-RPC over its stdin and stdout.

The process gets a minimal environment (the variables below, plus what its config declares), its own process
group (so the terminal's Ctrl+C is ours to handle, and closing kills its children too), and its stderr drained
by a thread into its log file, so a server that floods stderr never blocks. A reader thread takes stdout line by
line: answers go to the waiting request, requests from the server are answered at once (ping) or refused,
notifications are noted; a line that is not JSON-RPC is logged and skipped. Requests are waited for in the
calling thread, so Ctrl+C there cancels the request (`notifications/cancelled`) and goes on up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ollama_chat.i18n import _
import ollama_chat.tools.mcp.jsonrpc as jsonrpc
from ollama_chat.tools.mcp.content import one_line
from ollama_chat.tools.mcp.logfile import ServerLog

BASE_ENVIRONMENT = ("HOME", "USER", "LOGNAME", "PATH", "SHELL", "TMPDIR", "TZ", "LANG", "LANGUAGE", "LC_ALL",
                    "LC_CTYPE", "LC_MESSAGES", "SYSTEMROOT", "COMSPEC", "PATHEXT", "APPDATA", "LOCALAPPDATA",
                    "USERPROFILE", "PROGRAMFILES", "WINDIR")
MAX_LINE = 32 * 1024 * 1024  # one message; a result with an image in base64 may be a few MiB
EXIT_GRACE = 1.0  # seconds a server has to leave after its stdin is closed, then after SIGTERM


def server_environment(ours: Mapping[str, str], declared: Mapping[str, str]) -> dict[str, str]:
    """What a server process sees: a few variables of ours that programs need to run at all, then its own."""
    env = {k: ours[k] for k in BASE_ENVIRONMENT if k in ours and not ours[k].startswith("()")}
    env.update(declared)
    return env


class Pending:
    """One request on its way: the reader thread fills it in."""

    def __init__(self, id: int, method: str) -> None:
        self.id = id
        self.method = method
        self.done = threading.Event()
        self.result: Mapping[str, Any] | None = None
        self.error: Exception | None = None


class StdioTransport:
    kind = "stdio"

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], cwd: str | None, log: ServerLog,
                 on_notification: Callable[[jsonrpc.Notification], None]) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.cwd = cwd
        self.log = log
        self.on_notification = on_notification
        self.era = ""  # set by the session once it knows
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()  # the pending table and the id counter
        self._write_lock = threading.Lock()
        self._pending: dict[int | str, Pending] = {}
        self._next_id = 0
        self._failure: jsonrpc.TransportFailure | None = None
        self._threads: list[threading.Thread] = []
        self.garbage = 0  # lines on stdout that were not JSON-RPC
        self.garbage_sample = ""

    # -- life -------------------------------------------------------------------------------------------------

    def start(self) -> None:
        command = self.argv[0]
        if os.sep not in command and (os.altsep is None or os.altsep not in command):
            found = shutil.which(command, path=self.env.get("PATH", os.defpath))
            if found is None:
                raise jsonrpc.TransportFailure(_("the command '{command}' was not found on PATH").format(
                    command=one_line(command, 100)))
            command = found
        try:
            self._proc = subprocess.Popen(  # noqa: S603 - the user's own configuration
                [command, *self.argv[1:]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=self.env, cwd=self.cwd, start_new_session=True, close_fds=True, bufsize=0)
        except FileNotFoundError as e:
            missing = self.cwd if self.cwd and not os.path.isdir(self.cwd) else e.filename or command
            raise jsonrpc.TransportFailure(_("'{path}' was not found").format(path=one_line(missing, 200))) from None
        except PermissionError:
            raise jsonrpc.TransportFailure(_("'{command}' cannot be run (permission denied)").format(
                command=one_line(command, 200))) from None
        except OSError as e:
            raise jsonrpc.TransportFailure(_("'{command}' could not be started: {reason}").format(
                command=one_line(command, 200), reason=e.strerror or e)) from None
        self.log.note(f"started pid {self._proc.pid}: {' '.join(self.argv)[:1000]}")
        for target, name in ((self._read_stdout, "stdout"), (self._drain_stderr, "stderr")):
            thread = threading.Thread(target=target, name=f"mcp-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self._failure is None

    @property
    def failure(self) -> str:
        """Why it is no longer usable ("" while it is)."""
        if self._failure is None and self._proc is not None and self._proc.poll() is not None:
            self._fail(self._exited())
        return self._failure.what if self._failure is not None else ""

    def close(self) -> None:
        """Ask the server to leave (stdin closed), then SIGTERM and SIGKILL its whole process group."""
        proc = self._proc
        if proc is None:
            return
        self._fail(jsonrpc.TransportFailure(_("it was stopped")))
        with contextlib.suppress(OSError):
            proc.stdin.close()  # type: ignore[union-attr]
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(EXIT_GRACE)
        for sig in (signal.SIGTERM, getattr(signal, "SIGKILL", signal.SIGTERM)):
            if not self._signal_group(sig):
                break
            deadline = time.monotonic() + EXIT_GRACE
            while time.monotonic() < deadline and self._group_alive():
                time.sleep(0.02)
            if not self._group_alive():
                break
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(EXIT_GRACE)
        for thread in self._threads:
            thread.join(EXIT_GRACE)
        for stream in (proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]
        self.log.note(f"stopped (exit status {proc.returncode})")

    def _signal_group(self, sig: int) -> bool:
        """Signal the server's process group (the leader may be gone while its children live on)."""
        assert self._proc is not None
        try:
            if hasattr(os, "killpg"):
                os.killpg(self._proc.pid, sig)
            elif self._proc.poll() is None:
                self._proc.send_signal(sig)
            else:
                return False
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def _group_alive(self) -> bool:
        assert self._proc is not None
        self._proc.poll()
        if not hasattr(os, "killpg"):
            return self._proc.returncode is None
        try:
            os.killpg(self._proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    # -- sending ----------------------------------------------------------------------------------------------

    def send(self, message: Mapping[str, Any]) -> None:
        data = jsonrpc.encode(message)
        if self._failure is not None:
            raise self._failure
        with self._write_lock:  # not the table's lock: a write may wait on a server that waits on our reader
            try:
                self._proc.stdin.write(data)  # type: ignore[union-attr]
            except (BrokenPipeError, ValueError, OSError):
                failed = True
            else:
                failed = False
        if failed:
            raise self._exited()

    def begin(self, method: str, params: Mapping[str, Any] | None) -> Pending:
        with self._lock:
            self._next_id += 1
            pending = Pending(self._next_id, method)
            self._pending[pending.id] = pending
        try:
            self.send(jsonrpc.request(pending.id, method, params))
        except BaseException:
            with self._lock:
                self._pending.pop(pending.id, None)
            raise
        return pending

    def wait(self, pending: Pending, timeout: float) -> Mapping[str, Any]:
        """The result of `pending`. RpcError, TransportFailure, or RequestTimeout (then it is cancelled); Ctrl+C
        cancels it and goes on up."""
        try:
            if not pending.done.wait(timeout):
                self.cancel(pending, "timed out")
                raise jsonrpc.RequestTimeout()
        except KeyboardInterrupt:
            self.cancel(pending, "interrupted by the user")
            raise
        if pending.error is not None:
            raise pending.error
        assert pending.result is not None
        return pending.result

    def request(self, method: str, params: Mapping[str, Any] | None, timeout: float, **_headers: Any) -> Mapping[str, Any]:
        return self.wait(self.begin(method, params), timeout)

    def notify(self, method: str, params: Mapping[str, Any] | None = None) -> None:
        self.send(jsonrpc.notification(method, params))

    def cancel(self, pending: Pending, reason: str) -> None:
        with self._lock:
            still_open = self._pending.pop(pending.id, None) is not None
        if still_open:
            self.log.note(f"cancelled request {pending.id} ({pending.method}): {reason}")
            with contextlib.suppress(jsonrpc.TransportFailure):
                self.send(jsonrpc.cancellation(pending.id, reason))

    # -- receiving (the reader thread) ------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        stream = self._proc.stdout  # type: ignore[union-attr]
        try:
            while True:
                line = stream.readline(MAX_LINE + 1)  # type: ignore[union-attr]
                if not line:
                    break
                if len(line) > MAX_LINE and not line.endswith(b"\n"):
                    self.log.note(f"a message over {MAX_LINE:,} bytes; giving up on this server")
                    self._fail(jsonrpc.TransportFailure(_("it sent a message larger than {size} MiB").format(
                        size=MAX_LINE // (1024 * 1024))))
                    return
                for message in jsonrpc.decode(line):
                    self._handle(message)
        except (OSError, ValueError):
            pass
        self._fail(self._exited())

    def _handle(self, message: jsonrpc.Incoming) -> None:
        if isinstance(message, (jsonrpc.Response, jsonrpc.ErrorResponse)):
            with self._lock:
                pending = self._pending.pop(message.id, None) if message.id is not None else None
            if pending is None:
                self.log.note(f"an answer to no open request (id {message.id!r}), ignored")
            elif isinstance(message, jsonrpc.Response):
                pending.result = message.result
                pending.done.set()
            else:
                pending.error = message.error
                pending.done.set()
        elif isinstance(message, jsonrpc.ServerRequest):
            if message.method != "ping":
                self.log.note(f"refused the server's request {message.method[:100]!r} (not offered by this client)")
            with contextlib.suppress(jsonrpc.TransportFailure):
                self.send(jsonrpc.reply_to(message))
        elif isinstance(message, jsonrpc.Notification):
            if message.method == "notifications/message":
                self.log.note(f"server log ({message.params.get('level', '?')}): "
                              f"{one_line(message.params.get('data', ''), 2000)}")
            self.on_notification(message)
        else:
            self.garbage += 1
            if not self.garbage_sample:
                self.garbage_sample = one_line(message.text, 80)
            self.log.note(f"not JSON-RPC on stdout ({message.reason}): {one_line(message.text, 500)}")

    def _drain_stderr(self) -> None:
        stream = self._proc.stderr  # type: ignore[union-attr]
        fd = stream.fileno()  # type: ignore[union-attr]
        with contextlib.suppress(OSError, ValueError):
            while data := os.read(fd, 65536):
                self.log.write(data)

    def _exited(self) -> jsonrpc.TransportFailure:
        proc = self._proc
        status = None
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                status = proc.wait(EXIT_GRACE)
        if status is None:
            return jsonrpc.TransportFailure(_("it closed its output"))
        if status < 0:
            return jsonrpc.TransportFailure(_("it was killed by signal {n}").format(n=-status))
        return jsonrpc.TransportFailure(_("it exited with status {n}").format(n=status))

    def _fail(self, failure: jsonrpc.TransportFailure) -> None:
        """From now on every request fails with `failure` (the first one given), and so do the open ones."""
        with self._lock:
            if self._failure is None:
                self._failure = failure
            pending, self._pending = list(self._pending.values()), {}
        for p in pending:
            p.error = self._failure
            p.done.set()
