"""The conversation: the full log of exchanges, and the choice of what is sent. Pure.

The log is never cut: /history and /save see every exchange. What is sent for a new question is the pinned
prefix (system prompt and few-shot examples, from the settings), then a window of the newest whole exchanges
(today chosen by the message cap), then the question. A question joins the log only together with its
reply, so a failed request cannot leave a dangling user turn behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ollama_chat.personas import Example
from ollama_chat.types import Exchange, Message


def pinned_messages(system: str, examples: Sequence[Example]) -> tuple[Message, ...]:
    messages: list[Message] = [Message("system", system)] if system else []
    for ex in examples:
        messages += [Message("user", ex.user), Message("assistant", ex.assistant)]
    return tuple(messages)


def window(exchanges: Sequence[Exchange], max_messages: int) -> Sequence[Exchange]:
    """The newest whole exchanges that fit in `max_messages` messages (two per exchange)."""
    keep = max(0, max_messages // 2)
    return exchanges[len(exchanges) - keep :] if keep < len(exchanges) else exchanges


@dataclass
class Conversation:
    exchanges: list[Exchange] = field(default_factory=list)

    def window(self, max_messages: int) -> Sequence[Exchange]:
        return window(self.exchanges, max_messages)

    def request_messages(self, pinned: Sequence[Message], question: Message, max_messages: int) -> tuple[Message, ...]:
        """What to send for `question`: the pinned prefix, the window, then the question itself."""
        sent = [m for exchange in self.window(max_messages) for m in exchange.messages]
        return (*pinned, *sent, question)

    def add(self, exchange: Exchange, max_messages: int) -> int:
        """Log a finished (or interrupted) exchange. Returns how many exchanges this pushed out of the window."""
        before = len(self.window(max_messages))
        self.exchanges.append(exchange)
        return before + 1 - len(self.window(max_messages))

    def undo(self) -> Exchange | None:
        """Drop the last exchange; returns it, or None when there is none."""
        return self.exchanges.pop() if self.exchanges else None

    def clear(self) -> None:
        self.exchanges.clear()

    @property
    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None
