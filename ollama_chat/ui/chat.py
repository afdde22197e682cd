"""What a slash command acts on: the session, the console for what it shows, and the user's editor; and the
session's messages (`Notify`) drawn on that console."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.text import Text

from ollama_chat.chat.refusals import Refusal
from ollama_chat.chat.session import ChatSession
from ollama_chat.errors import ChatError, cut_values
from ollama_chat.i18n import _
from ollama_chat.text import one_line, sanitize
from ollama_chat.ui.editor import Editor
from ollama_chat.ui.wording import for_repl


@dataclass(frozen=True)
class Chat:
    session: ChatSession
    console: Console
    editor: Editor | None = None  # None: no terminal to run one on

    def say(self, text: str, style: str = "notice") -> None:
        self.session.notify.say(text, style)


class ConsoleNotify:
    """The session's messages, on the REPL's console."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def say(self, text: str, style: str = "notice") -> None:
        if style in ("error", "warning"):  # (what a command shows, a long system prompt, is not cut)
            text = cut_values(text)
        self.console.print(Text(text, style=style))

    def error(self, error: ChatError) -> None:
        error = for_repl(error)  # the hint in the chat's words
        self._labelled(_("Error: "), "error", error.message, error.hint)

    def refused(self, refusal: Refusal) -> None:
        self.error(for_repl(refusal))

    def warning(self, text: str, hint: str = "") -> None:
        self._labelled(_("Warning: "), "warning", text, hint)

    def _labelled(self, label: str, style: str, text: str, hint: str) -> None:
        from rich.padding import Padding

        self.console.print(Text(label, style=style) + Text(one_line(cut_values(text))))  # a server's or file's words in it too
        if hint:  # indented as a whole, wrapped lines too
            self.console.print(Padding(Text(sanitize(cut_values(hint)), style="hint"), (0, 0, 0, 2)))
