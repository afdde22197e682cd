"""The prompt's input history (↑ brings back earlier lines): a private file kept across chats, or memory only
with --no-input-history. A file that cannot be used is one warning, and the chat goes on without it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from prompt_toolkit.history import FileHistory, History, InMemoryHistory

from ollama_chat import paths
from ollama_chat.i18n import _


class PrivateHistory(FileHistory):
    """Input history in a 0600 file. If it can't be written, warn once and go on without it."""

    def __init__(self, path: Path, warn: Callable[[str], None]) -> None:
        super().__init__(str(path))
        self._warn = warn
        self._broken = False

    def load_history_strings(self) -> Iterable[str]:
        try:
            yield from super().load_history_strings()
        except OSError as e:
            self._fail(e)

    def store_string(self, string: str) -> None:
        if self._broken:
            return
        try:
            super().store_string(string)
        except OSError as e:
            self._fail(e)

    def _fail(self, error: OSError) -> None:
        if not self._broken:
            self._broken = True
            self._warn(_("Input history {path} is not usable ({reason}); going on without saving it.")
                       .format(path=self.filename, reason=error.strerror))


def open_history(enabled: bool, warn: Callable[[str], None], path: Path) -> History:
    """The history in `path` (`paths.input_history_file`), or in memory when not `enabled`."""
    if not enabled:
        return InMemoryHistory()
    try:
        paths.private_file(path)
    except OSError as e:
        warn(_("Input history {path} is not writable ({reason}); going on without saving it (--no-input-history hides"
               " this).").format(path=path, reason=e.strerror))
        return InMemoryHistory()
    return PrivateHistory(path, warn)
