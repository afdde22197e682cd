"""/compact: the model summarises the exchanges that no longer fit the window (with any summary before them),
and the summary is sent in their place from then on. The exchanges themselves stay in the log and the store."""

from __future__ import annotations

from ollama_chat.backends.base import Backend
from ollama_chat.chat.context import ContextTracker, Plan
from ollama_chat.chat.conversation import Conversation
from ollama_chat.chat.events import Notify, Output
from ollama_chat.chat.log import ExchangeLog
from ollama_chat.chat.settings import Settings
from ollama_chat.chat.turn import run_turn, settle
from ollama_chat.i18n import _
from ollama_chat.types import ChatRequest, Message

COMPACT_PROMPT = ("Summarise the conversation below for the assistant who will continue it: the facts, names, numbers,"
                  " decisions and open questions, in a few short paragraphs, in the language the conversation is held in."
                  " Write only the summary.")


def exchanges_text(first: int, last: int) -> str:
    """Exchange 3, Exchanges 1–4."""
    if first == last:
        return _("Exchange {n}").format(n=first)
    return _("Exchanges {first}–{last}").format(first=first, last=last)


def compact(log: ExchangeLog, plan: Plan, settings: Settings, context: ContextTracker, backend: Backend,
            output: Output, notify: Notify) -> bool:
    """Summarise what `plan` leaves out, as much of it as one request can hold (the oldest first); True when a
    summary was made."""
    s = settings
    count, start = plan.dropped, log.conversation.summarized
    if count == 0:
        notify.say(_("Everything still fits the {tokens}-token context: nothing to compact.")
                   .format(tokens=f"{plan.window.tokens:,}"), "hint")
        return False
    cal = context.calibration(s.model)
    while count > 1 and cal.tokens(compact_text(log.conversation, count)) > plan.fit.budget // 2:
        count -= 1  # the summary request must fit the window too: summarise the oldest first
    request = ChatRequest(s.model, (Message("system", COMPACT_PROMPT), Message("user", compact_text(log.conversation, count))),
                          options=dict(s.options), keep_alive=s.keep_alive, stream=s.stream)
    rest = plan.dropped - count
    which = exchanges_text(start + 1, start + count).lower()
    if rest:
        summarising = _("Summarising {which} ({rest} more next time: the summary request must fit the window too)…")
    else:
        summarising = _("Summarising {which}…")
    notify.say(summarising.format(which=which, rest=rest), "hint")
    result = run_turn(backend, request, output)
    settle(result)
    if result.error is not None or result.interrupted or not result.text.strip():
        if result.error is not None:
            notify.error(result.error)
        notify.say(_("No summary was made; the conversation is as it was."), "hint")
        return False
    log.compact(result.text.strip(), start + count)
    notify.say(_("From now on this summary is sent in place of {which} (all of it stays in /history and the"
                 " store).").format(which=exchanges_text(1, start + count).lower()), "notice")
    return True


def compact_text(conversation: Conversation, count: int) -> str:
    parts = [f"(Summary so far)\n{conversation.summary}"] if conversation.summary else []
    for e in conversation.eligible[:count]:
        parts.append(f"User: {e.question.content}\n\nAssistant: {e.reply}")
    return "\n\n---\n\n".join(parts)
