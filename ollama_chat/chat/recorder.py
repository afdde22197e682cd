"""Keeps a conversation in the store as it happens: each finished exchange is committed at once, so killing the
process loses at most the exchange in flight.

A stored conversation is created at its first exchange, not when the chat opens, so the list never fills
with empty ones. `/clear`, `/persona` and `/load` start a new one (the old one stays, resumable).

What is not stored yet is every exchange of the conversation without a row ID: the one just finished, a
loaded file's (all of them in one transaction, so an import is whole or absent), and those a failing store
(a full disk, a lock held too long) could not take, which go in with the next exchange once it works again.
Each exchange knows its row, so /undo deletes that one and never another window's. Nothing here raises into
the chat: a failure is said, with exactly what is and is not saved.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ollama_chat.chat.conversation import Conversation
from ollama_chat.errors import signals_held
from ollama_chat.i18n import N_, _, ngettext
from ollama_chat.chat.settings import Settings
from ollama_chat.store.sqlite import ConversationGone, Store, StoreError
from ollama_chat.types import Exchange

ONE_SHOT_PATIENCE = 30.0  # seconds a one-shot keeps trying a store another program has locked

OFF = N_("Saving is off (--incognito or save_history = false in the config)")


@dataclass(frozen=True)
class Recorded:
    """What the store holds of a conversation's settings, to write only what changed."""

    persona: str
    model: str
    options: dict[str, Any]
    system: str
    examples: tuple[tuple[str, str], ...]
    server: dict[str, str]  # the server it goes on with: a resume elsewhere is said once, not at every -c

    @classmethod
    def of(cls, settings: Settings) -> Recorded:
        examples = tuple((e.user, e.assistant) for e in settings.persona.examples)
        return cls(settings.persona.name, settings.model, dict(settings.options), settings.system, examples,
                   dict(settings.server))


def numbers(positions: Sequence[int]) -> str:
    """Exchange numbers as a person reads them: 3; 3–5; 1, 4–6."""
    runs: list[list[int]] = []
    for n in positions:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


def unstored(exchanges: Sequence[Exchange]) -> list[int]:
    """The positions of the exchanges not stored yet: always the newest ones (exchanges are stored in order, each
    transaction all of those waiting), so found from the end, not by reading a log of years every turn."""
    first = len(exchanges)
    while first and exchanges[first - 1].stored_id is None:
        first -= 1
    return list(range(first, len(exchanges)))


class Recorder:
    def __init__(self, store: Store | None, warn: Callable[[str, str], None], off: str = OFF,
                 tell: Callable[[str], None] | None = None) -> None:
        """`warn(text, hint)` reports a failure, `tell(text)` news (saving works again, another window wrote);
        `off` says why there is no `store` (when there is none)."""
        self._store = store
        self._off = off  # English when marked with N_ (translated when shown), or already in the chat's language
        self.warn_with(warn, tell)
        self.conversation_id: str | None = None
        self._recorded: Recorded | None = None
        self._summary: tuple[str, int] | None = ("", 0)  # as stored; None: not known (a resumed conversation)
        self._failing: StoreError | None = None  # the store's last failure, while something waits for it
        self._gone = False  # the conversation was deleted elsewhere: not saved again until a new one starts
        self._doomed: list[int] = []  # rows /undo took off the screen while the store was failing
        self._told_others = False

    def warn_with(self, warn: Callable[[str, str], None], tell: Callable[[str], None] | None = None) -> None:
        """Where failures (and news) are reported from now on (the REPL's console, once it exists)."""
        self._warn = warn
        self._tell = tell or (lambda text: warn(text, ""))

    @property
    def off(self) -> str:
        """Why nothing is saved, in the chat's language."""
        if self._failing is not None:
            return _("Saving is paused: {error}").format(error=self._failing)
        if self._gone:
            return _("Saving stopped: this conversation was deleted from the store")
        if self._store is not None and self._store.read_only:
            return _("Saving is off: {path} is read-only here").format(path=self._store.path)
        return _(self._off) if self._off else ""

    @off.setter
    def off(self, text: str) -> None:
        self._off = text

    @property
    def saving(self) -> bool:
        store = self._store
        return store is not None and not store.read_only and self._failing is None and not self._gone

    @property
    def store(self) -> Store | None:
        """For reading (/resume); None when saving is off."""
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
        self.restart()
        self.conversation_id = conversation_id
        self._summary = None  # written again with the next exchange, whatever it was

    def restart(self) -> None:
        """The next exchange starts a new stored conversation."""
        self.conversation_id, self._recorded, self._summary = None, None, ("", 0)
        self._gone, self._doomed, self._told_others = False, [], False

    def record(self, conversation: Conversation, settings: Settings) -> bool:
        """Store every exchange of `conversation` that is not stored yet, in order and in one transaction: the
        one just finished, a loaded file's, those that waited for a failing store. Each gets its row ID. True
        when the whole conversation is stored. A SIGTERM or SIGHUP meanwhile waits until it is committed."""
        store = self._store
        if store is None or store.read_only or self._gone or not conversation.exchanges:
            return False
        with signals_held():
            waiting = unstored(conversation.exchanges)
            if not waiting and not self._doomed and self._failing is None:
                return True
            try:
                rows, others = self._write(store, conversation, settings, waiting)
            except ConversationGone as e:
                self._gone = True
                self._warn(_("{error}. This conversation is not saved from here on; /clear starts a new one that"
                             " is.").format(error=e), e.hint)
                return False
            except StoreError as e:
                self._fail(e, conversation, waiting)
                return False
            for i, row in zip(waiting, rows):
                conversation.exchanges[i] = conversation.exchanges[i].stored_as(row)
        if self._failing is not None:
            self._failing = None
            if len(waiting) > 1:
                self._tell(_("The conversation store works again: exchanges {numbers} are saved now.").format(
                    numbers=numbers([i + 1 for i in waiting])))
            else:
                self._tell(_("The conversation store works again; everything is saved now."))
        if others and not self._told_others:
            self._told_others = True
            self._tell(ngettext(
                "Another ollama-chat has added {n} exchange to this conversation. Both windows' exchanges are stored,"
                " in the order they were written; each window sends the model its own, and a later `ollama-chat -c`"
                " sees them all.",
                "Another ollama-chat has added {n} exchanges to this conversation. Both windows' exchanges are"
                " stored, in the order they were written; each window sends the model its own, and a later"
                " `ollama-chat -c` sees them all.", others).format(n=others))
        try:
            store.index_some()  # a big import's search index, a chunk at a time
        except StoreError:
            pass  # it waits for the next exchange; search scans what is not indexed yet
        return True

    def _write(self, store: Store, conversation: Conversation, settings: Settings,
               waiting: Sequence[int]) -> tuple[list[int], int]:
        """One transaction: the conversation (new, or its changed settings), what /undo removed meanwhile, the
        waiting exchanges and the summary. Returns their rows and how many exchanges another window added."""
        now, before = Recorded.of(settings), self._recorded
        summary = (conversation.summary, conversation.summarized)
        exchanges = conversation.exchanges
        with store.batch():
            cid, others = self.conversation_id, 0
            if cid is None:
                cid = store.new_conversation(now.persona, now.model, now.options, now.system, now.examples,
                                             server=settings.server)
            else:
                stored = waiting[0] if waiting else len(exchanges)  # rows go up along the log: the newest is the last
                known = (exchanges[stored - 1].stored_id or 0) if stored else 0
                others = store.added_after(cid, known)
                if now != before:
                    store.update_settings(cid, **{k: v for k, v in vars(now).items()
                                                  if before is None or getattr(before, k) != v})
            for row in self._doomed:
                store.remove_exchange(cid, row)
            rows = store.add_exchanges(cid, [exchanges[i] for i in waiting]) if waiting else []
            if summary != self._summary:
                store.set_summary(cid, *summary)
        self.conversation_id, self._recorded, self._summary, self._doomed = cid, now, summary, []
        return rows, others

    def compacted(self, conversation: Conversation) -> None:
        """Keep /compact's summary with the stored conversation, so a resume sends it too (with the next
        exchange if the store fails now)."""
        if self._store is None or self._store.read_only or self.conversation_id is None or self._gone:
            return
        try:
            self._store.set_summary(self.conversation_id, conversation.summary, conversation.summarized)
        except StoreError as e:
            self._fail(e, conversation, [])
            return
        self._summary = (conversation.summary, conversation.summarized)

    def undo(self, exchange: Exchange) -> None:
        """/undo, /retry, /edit took `exchange` off the screen: delete its row, and no other (another window may
        have written after it). If the store fails, it is deleted with the next exchange."""
        row, store = exchange.stored_id, self._store
        if row is None or store is None or store.read_only or self.conversation_id is None or self._gone:
            return
        try:
            with signals_held():
                removed = store.remove_exchange(self.conversation_id, row)
            if not removed:
                self._tell(_("It was no longer in the store: another window had removed it already."))
        except StoreError as e:
            self._doomed.append(row)
            self._fail(e, None, [])

    def title(self, text: str) -> bool:
        """Name the stored conversation; False when there is none yet (or saving is off)."""
        if self._store is None or self.conversation_id is None or not self.saving:
            return False
        try:
            self._store.set_title(self.conversation_id, text)
        except StoreError as e:
            self._warn(_("{error}. The title is not saved.").format(error=e), e.hint)
            return False
        return True

    def record_once(self, conversation: Conversation, settings: Settings, patience: float | None = None) -> bool:
        """A one-shot's answer: it has no next exchange to wait for, so a store that is locked by another
        program is tried again for `patience` seconds (a lock is usually let go soon); then what was not saved is
        said, and False tells the caller to say so in its exit code."""
        deadline = time.monotonic() + (ONE_SHOT_PATIENCE if patience is None else patience)
        warn, self._warn = self._warn, lambda text, hint: None  # "saved with the next exchange" is not so here
        try:
            saved = self.record(conversation, settings)
            while not saved and self._failing is not None and self._failing.busy and time.monotonic() < deadline:
                time.sleep(0.2)  # each try itself waits the store's busy timeout
                saved = self.record(conversation, settings)
        finally:
            self._warn = warn
        if not saved and self._failing is not None:
            self._warn(_("The answer was not saved: {error}.").format(error=self._failing), self._failing.hint)
        return saved or self._failing is None

    def last_chance(self, conversation: Conversation, settings: Settings) -> None:
        """Leaving the chat: one more try for what waits, and if the store still fails, say what is lost."""
        if self._failing is None or self.record(conversation, settings):
            return
        waiting = [i + 1 for i, e in enumerate(conversation.exchanges) if e.stored_id is None]
        if waiting:
            self._warn(ngettext("Exchange {numbers} was not saved: {error}.", "Exchanges {numbers} were not saved:"
                                " {error}.", len(waiting)).format(numbers=numbers(waiting), error=self._failing), "")

    def _fail(self, error: StoreError, conversation: Conversation | None, waiting: Sequence[int]) -> None:
        """Say it when the store starts failing, with what is and is not saved; then quietly keep trying with
        each exchange (the toolbar says "not saved" meanwhile)."""
        first = self._failing is None
        self._failing = error
        if not first:
            return
        hint = "\n".join(h for h in (error.hint, _("/save FILE keeps the whole conversation in a file meanwhile."))
                         if h)
        if not waiting or conversation is None:
            self._warn(_("{error}. It is tried again with the next exchange; the chat goes on.").format(error=error),
                       hint)
            return
        saved = len(conversation.exchanges) - len(waiting)
        text = ngettext("{error}. Exchange {numbers} is not saved yet: it is saved with the next exchange once the"
                        " store works again; the chat goes on.",
                        "{error}. Exchanges {numbers} are not saved yet: they are saved with the next exchange once"
                        " the store works again; the chat goes on.", len(waiting))
        text = text.format(error=error, numbers=numbers([i + 1 for i in waiting]))
        if saved:
            text += " " + ngettext("Exchange {numbers} is saved.", "Exchanges {numbers} are saved.", saved).format(
                numbers=numbers([i + 1 for i, e in enumerate(conversation.exchanges) if e.stored_id is not None]))
        self._warn(text, hint)
