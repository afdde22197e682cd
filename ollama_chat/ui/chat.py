"""What a slash command acts on: the session, and the console for what it shows."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

from ollama_chat.session import ChatSession


@dataclass(frozen=True)
class Chat:
    session: ChatSession
    console: Console

    def say(self, text: str, style: str = "notice") -> None:
        self.session.notify.say(text, style)
