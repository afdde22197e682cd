"""The conversation: the full log of exchanges, and the choice of what is sent. Pure.

The log is never cut: /history and /save see every exchange. What is sent for a new question is the pinned
prefix (system prompt and few-shot examples, from the settings), then a window of the newest whole exchanges
(chosen by the context budget and the message cap), then the question. An exchange is sent whole: its
question, its tool steps (the calls and their results, exactly as they went) and its reply, or none of them,
so a model never sees a result without its call. A question joins the log only together with its reply, so a
failed request cannot leave a dangling user turn behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ollama_chat.chat.personas import Example
from ollama_chat.types import Exchange, Message


def pinned_messages(system: str, examples: Sequence[Example]) -> tuple[Message, ...]:
    messages: list[Message] = [Message("system", system)] if system else []
    for ex in examples:
        messages += [Message("user", ex.user), Message("assistant", ex.assistant)]
    return tuple(messages)


def window(exchanges: Sequence[Exchange], max_messages: int) -> Sequence[Exchange]:
    """The newest whole exchanges that fit in `max_messages` messages, counting two per exchange (the cap is on
    question+answer pairs: tool steps ride with their exchange, and the token budget weighs them)."""
    keep = max(0, max_messages // 2)
    return exchanges[len(exchanges) - keep :] if keep < len(exchanges) else exchanges


SUMMARY_HEADING = "A summary of the earlier part of this conversation (its exchanges are no longer sent):"


@dataclass
class Conversation:
    exchanges: list[Exchange] = field(default_factory=list)
    summary: str = ""  # /compact: what the first `summarized` exchanges said; sent in their place
    summarized: int = 0

    @property
    def eligible(self) -> Sequence[Exchange]:
        """The exchanges that may still be sent: those after the summary."""
        return self.exchanges[self.summarized :]

    @property
    def eligible_count(self) -> int:
        return len(self.exchanges) - self.summarized

    def newest(self, count: int) -> list[Exchange]:
        """The newest `count` eligible exchanges, without copying the rest (a long chat plans every turn)."""
        count = min(count, self.eligible_count)
        return self.exchanges[len(self.exchanges) - count :] if count > 0 else []

    def window(self, max_messages: int) -> Sequence[Exchange]:
        return window(self.eligible, max_messages)

    def summary_message(self) -> Message:
        return Message("system", f"{SUMMARY_HEADING}\n\n{self.summary}")

    def request_messages(self, pinned: Sequence[Message], question: Message, count: int, *,
                         with_summary: bool = True, without_steps: int = 0) -> tuple[Message, ...]:
        """What to send for `question`: the pinned prefix, the summary, the newest `count` exchanges (each with
        its tool steps, but the oldest `without_steps` of them: the budget found no room for those), then the
        question itself."""
        chosen = self.newest(count)
        sent = [*(m for e in chosen[:without_steps] for m in (e.question, Message("assistant", e.reply))),
                *(m for e in chosen[without_steps:] for m in e.messages)]
        summary = [self.summary_message()] if self.summary and with_summary else []
        return (*pinned, *summary, *sent, question)

    def add(self, exchange: Exchange) -> None:
        """Log a finished (or interrupted) exchange."""
        self.exchanges.append(exchange)

    def compact(self, summary: str, count: int) -> None:
        """The first `count` exchanges are summarised by `summary` (which includes any summary before)."""
        self.summary, self.summarized = summary, count

    def undo(self) -> Exchange | None:
        """Drop the last exchange; returns it, or None when there is none."""
        if not self.exchanges:
            return None
        undone = self.exchanges.pop()
        self.summarized = min(self.summarized, len(self.exchanges))
        return undone

    def clear(self) -> None:
        self.exchanges.clear()
        self.summary, self.summarized = "", 0

    @property
    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None
