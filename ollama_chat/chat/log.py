"""The exchange log: one owner for the exchanges in memory (the `Conversation` every request is built from) and
in the store (through the `Recorder`), so that adding, undoing, clearing, compacting and resuming are each one
call and the two never drift apart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ollama_chat.chat.conversation import Conversation
from ollama_chat.chat.recorder import Recorder
from ollama_chat.chat.settings import Settings
from ollama_chat.types import Exchange

if TYPE_CHECKING:  # a resume brings it; a plain question's start-up does not pay for it
    from ollama_chat.chat.resume import Resumed


class ExchangeLog:
    def __init__(self, recorder: Recorder | None = None) -> None:
        self.conversation = Conversation()
        self.recorder = recorder or Recorder(None, lambda text, hint: None)

    @property
    def exchanges(self) -> Sequence[Exchange]:
        return self.conversation.exchanges

    @property
    def last(self) -> Exchange | None:
        return self.conversation.last

    def add(self, exchange: Exchange, settings: Settings) -> bool:
        """A finished (or interrupted) exchange, stored at once with whatever waited for a failing store. True
        when everything is stored."""
        self.conversation.add(exchange)
        return self.recorder.record(self.conversation, settings)

    def add_once(self, exchange: Exchange, settings: Settings) -> bool:
        """A one-shot's only exchange: no next one will save it, so a locked store is waited for a while. False
        when it could not be stored (and that was said)."""
        self.conversation.add(exchange)
        return self.recorder.record_once(self.conversation, settings)

    def take_back(self, exchange: Exchange | None = None) -> Exchange | None:
        """/undo (the last exchange), /retry and /edit (`exchange`, only if it is still the last): off the screen
        and out of the store, by its own row, so another window's exchanges stay. The exchange taken, or None."""
        last = self.conversation.last
        if last is None or (exchange is not None and last is not exchange):
            return None
        self.conversation.undo()
        self.recorder.undo(last)
        return last

    def clear(self) -> None:
        """A fresh conversation; the one before stays in the store."""
        self.conversation.clear()
        self.recorder.restart()

    def compact(self, summary: str, count: int) -> None:
        """/compact: `summary` is sent in place of the first `count` exchanges from now on, and kept with them."""
        self.conversation.compact(summary, count)
        self.recorder.compacted(self.conversation)

    def resume(self, resumed: Resumed) -> None:
        """Go on with an earlier conversation: its exchanges and summary; a stored one goes on in the store too,
        one from a file starts a new stored conversation at its first exchange."""
        self.clear()
        self.conversation.exchanges.extend(resumed.transcript.exchanges)
        self.conversation.compact(resumed.transcript.summary, resumed.transcript.summarized)
        if resumed.conversation_id is not None:
            self.recorder.resume(resumed.conversation_id)

    def title(self, text: str) -> bool:
        return self.recorder.title(text)

    def leave(self, settings: Settings) -> None:
        """The chat ends: one more try for what waits for a failing store, and say what is lost if it fails."""
        self.recorder.last_chance(self.conversation, settings)
