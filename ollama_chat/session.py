"""ChatSession: the live state of an interactive chat and the actions on it (ask, retry, switch persona).

Kept apart from prompt_toolkit so tests drive it directly: lines in, a rich Console's text and the fake
server's request log out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from ollama_chat.client import OllamaClient
from ollama_chat.conversation import Conversation
from ollama_chat.errors import ChatError, ModelNotFound, OllamaError
from ollama_chat.personas import Persona
from ollama_chat.render import Output, sanitize
from ollama_chat.settings import Settings
from ollama_chat.turn import build_request, run_turn


@dataclass
class ChatSession:
    settings: Settings
    client: OllamaClient
    output: Output
    console: Console
    user_persona_dir: Path
    conversation: Conversation = field(init=False)
    last_question: str | None = None
    last_answer: str = ""
    _models: list[str] | None = None

    def __post_init__(self) -> None:
        self.conversation = self._fresh_conversation()

    def _fresh_conversation(self) -> Conversation:
        s = self.settings
        return Conversation(s.system, tuple(s.persona.examples), s.max_messages)

    # -- messages to the user ---------------------------------------------------------------------

    def say(self, text: str, style: str = "notice") -> None:
        """Our own messages; model and user text inside them must already be sanitised by the caller."""
        self.console.print(Text(text, style=style))

    def show_error(self, error: ChatError) -> None:
        self.console.print(Text("Error: ", style="error") + Text(error.message))
        if error.hint:
            self.console.print(Text("  " + error.hint.replace("\n", "\n  "), style="hint"))

    # -- asking -----------------------------------------------------------------------------------

    def ask(self, question: str) -> None:
        """One exchange. A failed request leaves the history as it was; an interrupted one keeps what was shown."""
        try:
            self._exchange(question)
        finally:
            self.console.print()  # air between a reply and the next prompt

    def _exchange(self, question: str) -> None:
        self.last_question = question
        request = build_request(self.settings, self.conversation, question)
        try:
            result = run_turn(self.client, request, self.output, stream=self.settings.stream)
        except OllamaError as e:
            self.show_error(e)
            self.say("Nothing was added to the history; /retry asks again, ↑ brings your text back.", "hint")
            return
        self.last_answer = result.text
        if result.interrupted and not result.text:
            self.say("Interrupted before the model answered; /retry asks again.", "hint")
            return
        dropped = self.conversation.add_exchange(question, result.text)
        if result.interrupted:
            self.say("The partial reply is kept in the history; /retry asks again.", "hint")
        if dropped:
            self.say(
                f"History is capped at {self.settings.max_messages} messages: "
                f"the oldest {dropped // 2} exchange(s) were dropped (--max-messages changes the cap).",
                "hint",
            )

    def retry(self) -> None:
        if self.last_question is None:
            self.say("Nothing to retry yet.", "hint")
            return
        history = self.conversation.history
        if len(history) >= 2 and history[-2]["content"] == self.last_question:
            self.conversation.undo()
        self.ask(self.last_question)

    # -- changing settings ------------------------------------------------------------------------

    def update(self, **changes: Any) -> None:
        self.settings = replace(self.settings, **changes)

    def set_system(self, system: str) -> None:
        self.update(system=system)
        self.conversation.system = system

    def switch_persona(self, persona: Persona) -> None:
        self.settings = self.settings.with_persona(persona)
        self.conversation = self._fresh_conversation()

    def switch_model(self, model: str) -> None:
        try:
            self.client.show(model)
        except ModelNotFound as e:
            self.show_error(e)
            return
        except OllamaError as e:
            self.say(f"Could not check the model ({e.message}); switching anyway.", "hint")
        self.update(model=model)
        self.say(f"Model: {model}")

    def models(self, refresh: bool = False) -> list[str]:
        """The server's model names, fetched once (for completion) or anew (`refresh`, for /models)."""
        if self._models is None or refresh:
            self._models = self.client.list_models()
        return self._models

    def check_model(self) -> None:
        """Say at once if the server is down or the model missing, not only at the first question."""
        try:
            self.client.show(self.settings.model)
        except OllamaError as e:
            self.show_error(e)
            self.say("The chat goes on: fix it and ask again, or switch with /model NAME.", "hint")

    def toolbar(self) -> str:
        s = self.settings
        return f" {s.model} · {s.persona.name} · {self.conversation.turns}/{s.max_messages // 2} turns kept "

    def banner(self) -> list[tuple[str, str]]:
        """(text, style) lines shown when the REPL opens."""
        s = self.settings
        persona = s.persona.name + (f" — {s.persona.description}" if s.persona.description else "")
        return [
            (f"ollama-chat · {s.model} · {s.host}", "banner"),
            (f"persona: {sanitize(persona)}", "notice"),
            ("Leave with quit, exit, 종료 or Ctrl+D · /help lists commands · Alt+Enter for a new line", "hint"),
        ]
