"""The plan for the next request in a long conversation: what it estimates, and what the log and the store read
each turn. A turn must cost the same at 100,000 exchanges as at 10, so the plan walks from the newest exchange
and asks the estimator for no more than it can send (and the one it stopped at); the recorder finds what is
not stored yet from the end."""

from __future__ import annotations

import pytest

import ollama_chat.chat.context as context_module
from ollama_chat.chat.context import ContextTracker
from ollama_chat.chat.conversation import Conversation
from ollama_chat.chat.recorder import Recorder
from ollama_chat.chat.settings import Settings

RECALLED = getattr(context_module, "RECALLED", 256)  # the newest replies a resume calibrates from
from ollama_chat.estimate import base_parts
from ollama_chat.store.sqlite import Store
from ollama_chat.types import Exchange, Message, Stats


def exchanges(count: int, *, stats: bool = False) -> list[Exchange]:
    return [Exchange(Message("user", f"question {i}: " + "why is that so? " * 5), f"reply {i}: " + "because it is. " * 20,
                     Settings().model, Stats("stop", 90) if stats else None) for i in range(count)]


@pytest.fixture
def estimated(monkeypatch):
    """Every text the plan asks the estimator about."""
    asked: list[str] = []

    def counting(text: str):
        asked.append(text)
        return base_parts(text)

    monkeypatch.setattr(context_module, "_base", counting)
    return asked


def exchanges_asked(asked: list[str], log: list[Exchange]) -> set[int]:
    """Which exchanges of `log` the estimator was asked about (by question or reply)."""
    where = {t: i for i, e in enumerate(log) for t in (e.question.content, e.reply)}
    return {where[t] for t in asked if t in where}


def test_the_plan_estimates_only_the_newest_exchanges_up_to_the_cap(estimated):
    log = exchanges(5000)
    settings = Settings(max_messages=20, options={"num_ctx": 131072})
    plan = ContextTracker().plan(settings, Conversation(log), "and now?")
    assert plan.fit.sent == 10 and plan.fit.capped and plan.eligible == 5000 and plan.first == 4990
    asked = exchanges_asked(estimated, log)
    assert asked and min(asked) >= 5000 - 11  # the cap's ten, and the one that showed the cap was what stopped it


def test_the_plan_stops_where_the_budget_runs_out(estimated):
    log = exchanges(5000)
    settings = Settings(max_messages=1_000_000, options={"num_ctx": 4096})
    plan = ContextTracker().plan(settings, Conversation(log), "and now?")
    assert 0 < plan.fit.sent < 100 and not plan.fit.capped and plan.dropped == 5000 - plan.fit.sent
    assert min(exchanges_asked(estimated, log)) >= 5000 - plan.fit.sent - 1


def test_after_a_summary_the_plan_counts_only_what_follows_it(estimated):
    log = exchanges(300)
    conversation = Conversation(log, "the story so far", 290)
    plan = ContextTracker().plan(Settings(max_messages=1000, options={"num_ctx": 131072}), conversation, "and now?")
    assert plan.eligible == 10 and plan.fit.sent == 10 and plan.first == 290 and plan.summary > 0
    assert exchanges_asked(estimated, log) == set(range(290, 300))


def test_a_resumed_log_is_calibrated_from_its_newest_replies_only(estimated, monkeypatch):
    calibrated: list[str] = []
    monkeypatch.setattr(context_module, "base_parts", lambda text: calibrated.append(text) or base_parts(text))
    log = exchanges(RECALLED * 4, stats=True)
    tracker = ContextTracker()
    tracker.plan(Settings(), Conversation(log), "and now?")
    replies = {e.reply: i for i, e in enumerate(log)}
    recalled = sorted(replies[t] for t in calibrated if t in replies)
    assert recalled == list(range(RECALLED * 3, RECALLED * 4))
    assert tracker.calibration(Settings().model).samples == RECALLED


class Counted(list):
    """A conversation's log that counts how many of its exchanges are read."""

    reads = 0

    def __iter__(self):
        for item in super().__iter__():
            self.reads += 1
            yield item

    def __getitem__(self, index):
        value = super().__getitem__(index)
        self.reads += len(value) if isinstance(index, slice) else 1
        return value


def test_storing_a_turn_of_a_long_conversation_reads_only_its_newest_exchanges(tmp_path):
    store = Store.open(tmp_path / "conversations.db")
    recorder = Recorder(store, lambda text, hint: None)
    conversation = Conversation(exchanges(2000))
    assert recorder.record(conversation, Settings())  # the whole log, once
    conversation.exchanges = Counted(conversation.exchanges)
    conversation.add(exchanges(1)[0])
    assert recorder.record(conversation, Settings())
    assert conversation.exchanges.reads <= 10
    assert all(e.stored_id is not None for e in conversation.exchanges)
    stored = store.load(store.latest()).exchanges
    assert len(stored) == 2001 and [e.stored_id for e in stored] == [e.stored_id for e in conversation.exchanges]
    store.close()
