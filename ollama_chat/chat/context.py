"""What the session knows about context windows: each model's calibration and window, and the plan for the
next request (which exchanges go, at how many tokens). The arithmetic is in `budget`; this keeps the facts
the server reported and applies them to a conversation. No I/O: the session asks the server and tells it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ollama_chat.chat.budget import Fit, Window, choose_window, fit, reply_room
from ollama_chat.estimate import PER_MESSAGE, Calibration, Parts, add, base_parts
from ollama_chat.chat.conversation import Conversation, pinned_messages
from ollama_chat.i18n import _
from ollama_chat.chat.settings import Settings
from ollama_chat.store.steps import arguments_text
from ollama_chat.types import Exchange, Message, Stats

RECENT_REPLIES = 5  # the replies whose length sets the room kept for the next one
RECALLED = 256  # a resumed log's newest replies of a model calibrated from: enough to fit, however long the log
_base = functools.lru_cache(maxsize=8192)(base_parts)  # a long chat re-estimates the same texts every turn


@dataclass(frozen=True)
class Plan:
    """The next request: the fit, the window it was fitted to, and how many eligible exchanges stay out."""

    fit: Fit
    window: Window
    eligible: int
    prompt_base: Parts = (0.0, 0.0)  # the uncalibrated estimate of the messages' text, for calibrating from the reply
    messages: int = 0
    pinned: int = 0  # tokens of the system prompt and examples
    summary: int = 0  # tokens of the /compact summary sent (0: none, or it does not fit and is left out)
    summary_left_out: bool = False
    head_base: Parts = (0.0, 0.0)  # the part of `prompt_base` before the exchanges: system prompt, examples, summary
    head_messages: int = 0
    first: int = 0  # the conversation's first exchange sent (its index in the whole log)
    steps_out: int = 0  # exchanges sent without their tool steps, which no longer fit (Fit.without_steps)
    steps_range: tuple[int, int] = (0, 0)  # the first and last of them, numbered in the whole log from 1

    @property
    def dropped(self) -> int:
        return self.eligible - self.fit.sent


@dataclass(frozen=True)
class _Facts:
    loaded: int | None = None
    model_max: int | None = None


class ContextTracker:
    def __init__(self) -> None:
        self._calibration: dict[str, Calibration] = {}
        self._facts: dict[str, _Facts] = {}
        self._replies: dict[str, int] = {}  # replies whose counts calibrated each model (a reply gives up to two)
        self._first: dict[str, int] = {}  # each model's first exchange sent in its last answered prompt
        self._lengths: dict[str, tuple[int, ...]] = {}  # each model's last replies' lengths (thinking included)
        self._recalled: set[str] = set()  # models whose earlier replies in the log were calibrated from

    def calibration(self, model: str) -> Calibration:
        return self._calibration.get(model, Calibration())

    def learn(self, model: str, *, loaded: int | None = None, model_max: int | None = None) -> None:
        """What the server said: the window it has the model loaded with, the most the model supports."""
        old = self._facts.get(model, _Facts())
        self._facts[model] = _Facts(loaded or old.loaded, model_max or old.model_max)

    def window(self, settings: Settings) -> Window:
        facts = self._facts.get(settings.model, _Facts())
        num_ctx = settings.options.get("num_ctx")
        return choose_window(num_ctx if isinstance(num_ctx, int) else None, facts.loaded, facts.model_max)

    def plan(self, settings: Settings, conversation: Conversation, question: str, tools: str = "") -> Plan:
        """A summary that no longer fits (a smaller window since) is left out rather than the question. `tools`:
        the tools offered, as sent (their schemas go with every request, like the system prompt)."""
        if settings.model not in self._recalled:
            self._recall(settings.model, conversation.exchanges)
        cal = self.calibration(settings.model)
        pinned = [m.content for m in pinned_messages(settings.system, settings.persona.examples)] + ([tools] if tools else [])
        summary = [conversation.summary_message().content] if conversation.summary else []
        costs = _Costs(conversation, lambda e: self._tokens(cal, e))
        bare = _Costs(conversation, lambda e: self._bare(cal, e))  # the same as `costs` where there are no steps
        window = self.window(settings)
        num_predict = settings.options.get("num_predict")
        longest = max(self._lengths.get(settings.model, ()), default=None)
        budget = window.tokens - reply_room(window.tokens, num_predict if isinstance(num_predict, int) else None, longest)
        question_cost = PER_MESSAGE + self._cost(cal, question)
        pinned_cost, summary_cost = self._pinned(cal, pinned), self._pinned(cal, summary)
        limit = max(1, settings.max_messages // 2)
        chosen = fit(pinned_cost + summary_cost, costs, question_cost, budget, limit, bare)
        left_out = bool(summary) and not chosen.fits and fit(pinned_cost, costs, question_cost, budget, limit, bare).fits
        if left_out:
            chosen, summary, summary_cost = fit(pinned_cost, costs, question_cost, budget, limit, bare), [], 0
        sent = conversation.newest(chosen.sent)
        head = [*pinned, *summary]
        stepless, whole = sent[: chosen.without_steps], sent[chosen.without_steps :]
        texts = [*head, *(t for e in sent for t in (e.question.content, e.reply)), question]
        prompt_base = _sum(texts)
        for e in whole:
            if e.steps:
                prompt_base = add(prompt_base, steps_parts(e.steps))
        messages = len(head) + 2 * len(sent) + sum(len(e.steps) for e in whole) + 1
        first = len(conversation.exchanges) - chosen.sent
        with_steps = [first + n + 1 for n, e in enumerate(stepless) if e.steps]  # their numbers in the whole log
        return Plan(chosen, window, len(costs), prompt_base, messages, pinned_cost, summary_cost, left_out, _sum(head),
                    len(head), first, len(with_steps), (with_steps[0], with_steps[-1]) if with_steps else (0, 0))

    def observe(self, model: str, plan: Plan, stats: Stats | None, reply: str, thinking: str = "") -> None:
        """Calibrate from what the server counted. The reply's `eval_count` is exact for the `thinking` and the
        reply's text together (less the few tokens that mark where thinking ends). The prompt's `prompt_eval_count` counts what was evaluated, not what the
        server had cached from an earlier prompt (of this chat, or of another run before it): a lower bound on
        the whole prompt's count, always, learnt as a count when it is more than the estimate (learning it can
        only bring the estimate nearer the truth). When the exchanges sent start later than last time (the
        oldest left, as every turn of a long chat), nothing after the system prompt and summary can have been
        cached: then it is also the count of those exchanges and the question, exactly (or a little over, when
        the start was not cached either: the safe side)."""
        if stats is None:
            return
        cal = self.calibration(model)
        before = cal.samples
        if stats.eval_count:
            cal = cal.observe(add(_base(reply), base_parts(thinking)) if thinking else _base(reply), stats.eval_count)
        if stats.eval_count:
            self._lengths[model] = (*self._lengths.get(model, ()), stats.eval_count)[-RECENT_REPLIES:]
        count = stats.prompt_eval_count
        if 0 < count < plan.window.tokens:  # a count of the whole window: the prompt may have been cut
            counted = count - PER_MESSAGE * plan.messages
            if self._first.get(model, plan.first) != plan.first:
                rest = add(plan.prompt_base, plan.head_base, -1)
                cal = cal.observe(rest, count - PER_MESSAGE * (plan.messages - plan.head_messages))
            elif counted > cal.estimate(plan.prompt_base):  # part of it, and still more than estimated:
                cal = cal.observe(plan.prompt_base, counted)  # learning it can only bring the estimate nearer
            cal = cal.at_least(plan.prompt_base, counted)
        self._first[model] = plan.first
        self._calibration[model] = cal
        if cal.samples > before:
            self._replies[model] = self._replies.get(model, 0) + 1

    def _recall(self, model: str, exchanges: Sequence[Exchange]) -> None:
        """What the log already counted: the replies this model wrote before (a resumed conversation's, read from
        the store), calibrated from once, before the first request. A reply of a thinking model counts its
        thinking too, which is not kept: that errs on the safe side. Only the newest RECALLED: a log of years
        would otherwise cost its whole length at the first question."""
        self._recalled.add(model)
        counted: list[tuple[str, int]] = []
        for e in reversed(exchanges):
            if len(counted) == RECALLED:
                break
            if e.model == model and e.stats is not None and e.stats.eval_count and not e.interrupted:
                counted.append((e.reply, e.stats.eval_count))
        for reply, count in reversed(counted):
            self._calibration[model] = self.calibration(model).observe(base_parts(reply), count)
            self._lengths[model] = (*self._lengths.get(model, ()), count)[-RECENT_REPLIES:]

    def replies(self, model: str) -> int:
        """How many replies' counts the model's calibration has learnt from (what /show tells)."""
        return self._replies.get(model, 0)

    def refused(self, model: str, plan: Plan, limit: int, prompt_tokens: int | None = None) -> None:
        """The server refused `plan`'s prompt as longer than its `limit`-token window. A server that says how
        long the prompt was (`prompt_tokens`: llama.cpp, vLLM) gives an exact count; otherwise the prompt is known
        to be longer than the window: a lower bound on its true count, which the estimate is raised to at once
        (not by a blind factor, and not forgotten as the next replies are counted)."""
        cal = self.calibration(model)
        template = PER_MESSAGE * plan.messages
        if prompt_tokens:
            cal = cal.observe(plan.prompt_base, prompt_tokens - template)
        self._calibration[model] = cal.at_least(plan.prompt_base, max(prompt_tokens or 0, limit + 1) - template)

    @staticmethod
    def _cost(cal: Calibration, text: str) -> int:
        return round(cal.estimate(_base(text)) + 0.5)

    def _tokens(self, cal: Calibration, exchange: Exchange) -> int:
        """The exchange as it is sent: the question, each tool step, the reply, each a message."""
        if not exchange.steps:
            return self._bare(cal, exchange)
        steps = exchange.steps
        return self._bare(cal, exchange) + PER_MESSAGE * len(steps) + round(cal.estimate(steps_parts(steps)) + 0.5)

    def _bare(self, cal: Calibration, exchange: Exchange) -> int:
        """The exchange sent without its tool steps: the question and the reply."""
        return 2 * PER_MESSAGE + self._cost(cal, exchange.question.content) + self._cost(cal, exchange.reply)

    def _pinned(self, cal: Calibration, texts: list[str]) -> int:
        return sum(PER_MESSAGE + self._cost(cal, t) for t in texts)


def steps_texts(steps: Sequence[Message]) -> list[str]:
    """The texts the model reads of tool steps sent again: each step's content, each call's name and arguments as
    JSON, each result's tool name (templates show it)."""
    texts = []
    for step in steps:
        texts.append(step.content)
        texts += (f"{call.name} {arguments_text(call)}" for call in step.tool_calls)
        if step.tool_name:
            texts.append(step.tool_name)
    return texts


_STEPS_PARTS: dict[int, tuple[tuple[Message, ...], Parts]] = {}  # id(steps) -> (steps, parts): once, not every plan
_HELD = 64 * 1024 * 1024  # characters of steps the cache may keep alive (a /clear-ed chat's results, say)
_held = 0


def steps_parts(steps: tuple[Message, ...]) -> Parts:
    """The uncalibrated estimate of an exchange's steps, kept per tuple of steps (checked by identity: an ID can be
    reused once its tuple is gone): a long chat plans again at every prompt, and steps never change."""
    global _held
    known = _STEPS_PARTS.get(id(steps))
    if known is not None and known[0] is steps:
        return known[1]
    texts = steps_texts(steps)
    size = sum(map(len, texts))
    if len(_STEPS_PARTS) >= 8192 or _held + size > _HELD:
        _STEPS_PARTS.clear()
        _held = 0
    parts = _sum(texts)
    _STEPS_PARTS[id(steps)] = (steps, parts)
    _held += size
    return parts


class _Costs(Sequence[int]):
    """The eligible exchanges' token costs, oldest first, each estimated only when asked for: `fit` walks from
    the newest and stops at the budget or the cap, so a turn costs the same at 100,000 exchanges as at 10."""

    def __init__(self, conversation: Conversation, cost: Callable[[Exchange], int]) -> None:
        self._exchanges, self._first, self._cost = conversation.exchanges, conversation.summarized, cost
        self._known: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._exchanges) - self._first

    def __getitem__(self, i):  # type: ignore[override]  # positions only: `fit` never slices
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        if i not in self._known:
            self._known[i] = self._cost(self._exchanges[self._first + i])
        return self._known[i]


def _sum(texts: list[str]) -> Parts:
    parts = [_base(t) for t in texts]
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


def bad_window_text(model: str, value: str, tokens: int) -> str:
    """The server's word for the model's window cannot be one (0, -1, a billion, text): what is used instead.
    `model` and `value` come from the server: the caller sanitises what it shows."""
    return _("The server says {model}'s context window is {value}, which cannot be right: ollama-chat uses"
             " {tokens} tokens instead.").format(model=model, value=value, tokens=f"{tokens:,}")
