"""What a slash command acts on: the session, the console for what it shows, and the user's editor."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

from ollama_chat.chat.session import ChatSession
from ollama_chat.ui.editor import Editor


@dataclass(frozen=True)
class Chat:
    session: ChatSession
    console: Console
    editor: Editor | None = None  # None: no terminal to run one on

    def say(self, text: str, style: str = "notice") -> None:
        self.session.notify.say(text, style)
