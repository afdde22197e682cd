"""Context windows a server said once, remembered for the next run: llama-cpp-python's /v1/models says nothing
of the window, and its refusal of a prompt is the only place it does; without this every new run would send
one prompt too long before it learns. A small JSON file in the state folder (0600), best effort: a file that
cannot be read or written is no reason to fail a chat."""

from __future__ import annotations

import json
from pathlib import Path

from ollama_chat.paths import private_folder, read_file, write_private

MOST = 200  # entries kept: the newest
LIMIT = 256 * 1024


class LearntWindows:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, int]:
        try:
            data = json.loads(read_file(self.path, LIMIT).decode("utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                and 0 < v <= 100_000_000}

    def get(self, host: str, model: str) -> int | None:
        return self._read().get(f"{host} {model}")

    def remember(self, host: str, model: str, window: int) -> None:
        data = self._read()
        key = f"{host} {model}"
        if data.get(key) == window:
            return
        data.pop(key, None)
        data[key] = window
        try:
            private_folder(self.path.parent)
            write_private(self.path, json.dumps(dict(list(data.items())[-MOST:]), ensure_ascii=False))
        except OSError:
            pass
