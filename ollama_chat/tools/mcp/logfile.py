"""One log file per server, under the state folder: the server's stderr and what we noticed (its log
notifications, lines that were not JSON-RPC, requests we refused, cancellations). Never the screen: a server
may write anything, as much as it likes. The file is 0600 in a 0700 folder, kept to a bounded size per run, and
moved aside to `NAME.log.1` when it has grown large."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

ROTATE_AT = 1024 * 1024  # a log this large at start is moved aside
RUN_LIMIT = 4 * 1024 * 1024  # bytes one run may write; the rest is counted, not kept


class ServerLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: object = None
        self._written = 0
        self._dropped = 0

    def open(self, header: str) -> None:
        """Start a run: rotate a large log, open it for appending, write `header`. Never raises: a log that
        cannot be written is no reason to refuse a server."""
        from ollama_chat.paths import private_file

        with self._lock:
            self._written = self._dropped = 0
            try:
                if self.path.is_file() and self.path.stat().st_size > ROTATE_AT:
                    os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                private_file(self.path)
                self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - closed in close()
            except OSError:
                self._file = None
        self.note(header)

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._file is None:
                return
            room = RUN_LIMIT - self._written
            if room <= 0:
                self._dropped += len(data)
                return
            if len(data) > room:
                self._dropped += len(data) - room
                data = data[:room]
            try:
                self._file.write(data)  # type: ignore[attr-defined]
                self._written += len(data)
            except OSError:
                self._file = None

    def note(self, text: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self.write(f"[ollama-chat {stamp}] {text}\n".encode("utf-8", "replace"))

    def close(self) -> None:
        if self._dropped:
            with self._lock:
                dropped, self._dropped, self._written = self._dropped, 0, RUN_LIMIT - 200  # room for a last word
            self.note(f"{dropped:,} more bytes were not kept (over {RUN_LIMIT:,} in one run)")
        with self._lock:
            file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()  # type: ignore[attr-defined]
