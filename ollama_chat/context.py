"""What the session knows about context windows: each model's calibration and window, and the plan for the
next request (which exchanges go, at how many tokens). The arithmetic is in `budget`; this keeps the facts
the server reported and applies them to a conversation. No I/O: the session asks the server and tells it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ollama_chat.budget import PER_MESSAGE, Calibration, Fit, Window, base_tokens, choose_window, fit, reply_room
from ollama_chat.conversation import Conversation, pinned_messages
from ollama_chat.i18n import _
from ollama_chat.settings import Settings
from ollama_chat.types import Exchange, Stats

_base = functools.lru_cache(maxsize=8192)(base_tokens)  # a long chat re-estimates the same texts every turn


@dataclass(frozen=True)
class Plan:
    """The next request: the fit, the window it was fitted to, and how many eligible exchanges stay out."""

    fit: Fit
    window: Window
    eligible: int
    prompt_base: float = 0.0  # the uncalibrated estimate of the messages' text, for calibrating from the reply
    messages: int = 0
    pinned: int = 0  # tokens of the system prompt and examples
    summary: int = 0  # tokens of the /compact summary sent (0: none, or it does not fit and is left out)
    summary_left_out: bool = False

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

    def plan(self, settings: Settings, conversation: Conversation, question: str) -> Plan:
        """A summary that no longer fits (a smaller window since) is left out rather than the question."""
        cal = self.calibration(settings.model)
        pinned = [m.content for m in pinned_messages(settings.system, settings.persona.examples)]
        summary = [conversation.summary_message().content] if conversation.summary else []
        eligible = conversation.eligible
        costs = [self._tokens(cal, e) for e in eligible]
        window = self.window(settings)
        num_predict = settings.options.get("num_predict")
        budget = window.tokens - reply_room(window.tokens, num_predict if isinstance(num_predict, int) else None)
        question_cost = PER_MESSAGE + self._cost(cal, question)
        pinned_cost, summary_cost = self._pinned(cal, pinned), self._pinned(cal, summary)
        limit = max(1, settings.max_messages // 2)
        chosen = fit(pinned_cost + summary_cost, costs, question_cost, budget, limit)
        left_out = bool(summary) and not chosen.fits and fit(pinned_cost, costs, question_cost, budget, limit).fits
        if left_out:
            chosen, summary, summary_cost = fit(pinned_cost, costs, question_cost, budget, limit), [], 0
        sent = eligible[len(eligible) - chosen.sent :] if chosen.sent else []
        texts = [*pinned, *summary, *(t for e in sent for t in (e.question.content, e.reply)), question]
        return Plan(chosen, window, len(eligible), sum(_base(t) for t in texts), len(texts), pinned_cost, summary_cost,
                    left_out)

    def observe(self, model: str, plan: Plan, stats: Stats | None, reply: str, *, thought: bool, cached: bool) -> None:
        """Calibrate from what Ollama counted. The reply's `eval_count` is exact for the reply's text (unless
        thinking tokens are in it); the prompt's `prompt_eval_count` only when the whole prompt was evaluated
        (`cached`: an earlier prompt of this chat may have been reused) and not cut."""
        if stats is None:
            return
        cal = self.calibration(model)
        before = cal.samples
        if not thought and stats.eval_count:
            cal = cal.observe(_base(reply), stats.eval_count)
        if not cached and stats.prompt_eval_count and stats.prompt_eval_count < plan.window.tokens:
            cal = cal.observe(plan.prompt_base, stats.prompt_eval_count - PER_MESSAGE * plan.messages)
        self._calibration[model] = cal
        if cal.samples > before:
            self._replies[model] = self._replies.get(model, 0) + 1

    def replies(self, model: str) -> int:
        """How many replies' counts the model's calibration has learnt from (what /show tells)."""
        return self._replies.get(model, 0)

    def overflowed(self, model: str) -> None:
        """The server said the prompt did not fit: the estimate was low; count more cautiously."""
        cal = self.calibration(model)
        self._calibration[model] = Calibration(cal.factor * 1.5 * 100, 100, cal.samples + 1)

    @staticmethod
    def _cost(cal: Calibration, text: str) -> int:
        return round(_base(text) * cal.factor + 0.5)

    def _tokens(self, cal: Calibration, exchange: Exchange) -> int:
        return 2 * PER_MESSAGE + self._cost(cal, exchange.question.content) + self._cost(cal, exchange.reply)

    def _pinned(self, cal: Calibration, texts: list[str]) -> int:
        return sum(PER_MESSAGE + self._cost(cal, t) for t in texts)


def not_sent(plan: Plan) -> str:
    """Why a question was not sent, each part's share in tokens."""
    question = plan.fit.tokens - plan.pinned - plan.summary
    values = dict(question=f"{question:,}", pinned=f"{plan.pinned:,}", summary=f"{plan.summary:,}",
                  total=f"{plan.fit.tokens:,}", window=f"{plan.window.tokens:,}", budget=f"{plan.fit.budget:,}")
    if plan.summary:
        text = _("Not sent: the question (about {question} tokens) with the system prompt and examples ({pinned})"
                 " and the /compact summary ({summary}) come to about {total} tokens, more than the {window}-token"
                 " context window leaves for them ({budget}, keeping room for the answer).")
    else:
        text = _("Not sent: the question (about {question} tokens) with the system prompt and examples ({pinned})"
                 " come to about {total} tokens, more than the {window}-token context window leaves for them"
                 " ({budget}, keeping room for the answer).")
    return text.format(**values)
