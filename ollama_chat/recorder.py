"""Keeps a conversation in the store as it happens: one commit per finished exchange, so killing the process
loses at most the exchange in flight.

A stored conversation is created at its first exchange, not when the chat opens, so the list never fills
with empty ones. `/clear`, `/persona` and `/load` start a new one (the old one stays, resumable). A store
that fails (full disk, a lock held too long, a file deleted under us) is reported once; the chat goes on
without saving, and nothing here ever raises into it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ollama_chat.conversation import Conversation
from ollama_chat.i18n import N_, _
from ollama_chat.settings import Settings
from ollama_chat.store import Store, StoreError

OFF = N_("Saving is off (--incognito or save_history = false in the config)")


@dataclass(frozen=True)
class Recorded:
    """What the store holds of a conversation's settings, to write only what changed."""

    persona: str
    model: str
    options: dict[str, Any]
    system: str
    examples: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, settings: Settings) -> Recorded:
        examples = tuple((e.user, e.assistant) for e in settings.persona.examples)
        return cls(settings.persona.name, settings.model, dict(settings.options), settings.system, examples)


class Recorder:
    def __init__(self, store: Store | None, warn: Callable[[str, str], None], off: str = OFF) -> None:
        """`warn(text, hint)` reports a failure; `off` says why there is no `store` (when there is none)."""
        self._store = store
        self._warn = warn
        self._off = off  # English when marked with N_ (translated when shown), or already in the chat's language
        self.conversation_id: str | None = None
        self._recorded: Recorded | None = None

    def warn_with(self, warn: Callable[[str, str], None]) -> None:
        """Where a failure is reported from now on (the REPL's console, once it exists)."""
        self._warn = warn

    @property
    def off(self) -> str:
        """Why nothing is saved, in the chat's language."""
        return _(self._off) if self._off else ""

    @off.setter
    def off(self, text: str) -> None:
        self._off = text

    @property
    def saving(self) -> bool:
        return self._store is not None

    @property
    def store(self) -> Store | None:
        """For reading (/resume); None when saving is off or has failed."""
        return self._store

    def current_title(self) -> str:
        """The stored conversation's title (the first question until /title names it), or ""."""
        if self._store is None or self.conversation_id is None:
            return ""
        try:
            return self._store.load_meta(self.conversation_id).title
        except StoreError:
            return ""

    def resume(self, conversation_id: str) -> None:
        """New exchanges go on in this stored conversation."""
        self.conversation_id = conversation_id
        self._recorded = None  # the next exchange records the settings it was asked with

    def restart(self) -> None:
        """The next exchange starts a new stored conversation."""
        self.conversation_id = None
        self._recorded = None

    def record(self, conversation: Conversation, settings: Settings) -> None:
        """The conversation's last exchange has just finished (or was interrupted). A new stored conversation
        gets all of them, so a log brought in with /load is kept with what follows it (and its summary)."""
        store, exchanges = self._store, conversation.exchanges
        if store is None or not exchanges:
            return
        try:
            if self.conversation_id is None:
                now = Recorded.of(settings)
                self.conversation_id = store.new_conversation(now.persona, now.model, now.options, now.system, now.examples,
                                                              server=settings.server)
                self._recorded = now
                for exchange in exchanges[:-1]:
                    store.add_exchange(self.conversation_id, exchange)
                if conversation.summary:
                    store.set_summary(self.conversation_id, conversation.summary, conversation.summarized)
            else:
                self._settings(settings)
            store.add_exchange(self.conversation_id, exchanges[-1])
        except StoreError as e:
            self._fail(e)

    def compacted(self, conversation: Conversation) -> None:
        """Keep /compact's summary with the stored conversation, so a resume sends it too."""
        if self._store is not None and self.conversation_id is not None:
            try:
                self._store.set_summary(self.conversation_id, conversation.summary, conversation.summarized)
            except StoreError as e:
                self._fail(e)

    def undo(self) -> None:
        if self._store is not None and self.conversation_id is not None:
            try:
                self._store.remove_last_exchange(self.conversation_id)
            except StoreError as e:
                self._fail(e)

    def title(self, text: str) -> bool:
        """Name the stored conversation; False when there is none yet (or saving is off)."""
        if self._store is None or self.conversation_id is None:
            return False
        try:
            self._store.set_title(self.conversation_id, text)
        except StoreError as e:
            self._fail(e)
            return False
        return True

    def _settings(self, settings: Settings) -> None:
        now, before = Recorded.of(settings), self._recorded
        if self._store is None or self.conversation_id is None or now == before:
            return
        changed = {k: v for k, v in vars(now).items() if before is None or getattr(before, k) != v}
        try:
            self._store.update_settings(self.conversation_id, **changed)
        except StoreError as e:
            self._fail(e)
            return
        self._recorded = now

    def _fail(self, error: StoreError) -> None:
        """Say it once; from now on nothing is saved, and the chat goes on."""
        self._store = None
        self._off = _("Saving stopped: {error}").format(error=error)
        self._warn(_("{error}. The chat goes on, but from here on it is not saved.").format(error=error), error.hint)
