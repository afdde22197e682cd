"""One round trip: a request goes out, events go to a Reply renderer, the result comes back.

Shared by one-shot mode and the REPL so that Ctrl+C, errors and partial replies behave the same in both.
The reply text is accumulated here, once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from ollama_chat.backends.base import Backend, BackendError, ContextOverflow
from ollama_chat.context import ContextTracker, Plan
from ollama_chat.conversation import Conversation, pinned_messages
from ollama_chat.errors import Terminated
from ollama_chat.i18n import _
from ollama_chat.settings import Settings
from ollama_chat.types import ChatRequest, Exchange, Message, Stats
from ollama_chat.ui.output import Output, Reply


@dataclass(frozen=True)
class TurnResult:
    text: str  # the answer as received (never the thinking)
    stats: Stats | None = None
    interrupted: bool = False
    error: BackendError | None = None  # the reply failed midway (or never started); `text` is what arrived
    thought: bool = False  # thinking came before the answer (its tokens are in the stats' eval_count)
    # SIGTERM or SIGHUP, or the output failing (a closed pipe, a full disk, a terminal gone): the caller stores
    # the exchange first, then `settle` draws what is left and raises this
    stopped: BaseException | None = None
    unfinished: Reply | None = field(default=None, compare=False, repr=False)  # drawn by `settle`


def settle(result: TurnResult) -> None:
    """Once a stopped reply's exchange is stored: draw its final marks (a terminal that went away refuses them,
    which no longer matters) and raise what stopped it. Nothing happens for a reply that ran its course."""
    if result.unfinished is not None:
        with contextlib.suppress(OSError):
            result.unfinished.finish(interrupted=result.interrupted)
    if result.stopped is not None:
        raise result.stopped


def build_request(settings: Settings, conversation: Conversation, question: Message, sent: int,
                  with_summary: bool = True) -> ChatRequest:
    """The request for `question`, with the newest `sent` exchanges (the budget chose how many)."""
    pinned = pinned_messages(settings.system, settings.persona.examples)
    return ChatRequest(
        model=settings.model,
        messages=conversation.request_messages(pinned, question, sent, with_summary=with_summary),
        options=dict(settings.options),
        format=settings.format,
        think=settings.think,
        keep_alive=settings.keep_alive,
        stream=settings.stream,
    )


def run_turn(backend: Backend, request: ChatRequest, output: Output, *, show_stats: bool = False) -> TurnResult:
    """Stream one reply into `output`. Ctrl+C stops it (the connection is dropped, so the server stops too);
    a backend error ends it. Either way what was shown is drawn in its final state and returned. SIGTERM,
    SIGHUP and an output that cannot be written stop it too, and are returned in `stopped` for `settle`."""
    reply = output.reply(
        language="json" if request.format is not None else None,  # structured output is shown as it is, not as Markdown
        waiting=_("waiting for {model}…").format(model=request.model),
        show_stats=show_stats,
    )
    text: list[str] = []
    stats: Stats | None = None
    stream = None
    thought = False
    try:
        stream = backend.chat(request)
        for event in stream:
            if event.stats is not None:
                stats = event.stats  # first: a reply whose drawing fails with its last piece was finished
            if event.content:
                text.append(event.content)  # it arrived, whether or not it can be shown
            try:
                if event.thinking:
                    thought = True
                    reply.thinking(event.thinking)
                if event.content:
                    reply.content(event.content)
            except OSError as e:  # the output failed (`| head -1`, a full disk): stop, keep what arrived
                stream.close()
                return TurnResult("".join(text), stats, interrupted=stats is None, stopped=e, thought=thought)
    except KeyboardInterrupt as e:
        if stream is not None:
            stream.close()
        if isinstance(e, Terminated):  # drawn after the exchange is stored: the terminal may be gone
            return TurnResult("".join(text), interrupted=True, stopped=e, unfinished=reply)
        reply.finish(interrupted=True)
        return TurnResult("".join(text), interrupted=True)
    except BackendError as e:
        reply.finish()
        return TurnResult("".join(text), error=e)
    except BaseException:
        if stream is not None:
            stream.close()
        reply.finish()
        raise
    try:
        reply.finish(stats)
    except (OSError, Terminated) as e:  # the answer is whole; only its drawing failed or was cut short
        return TurnResult("".join(text), stats, thought=thought, stopped=e)
    return TurnResult("".join(text), stats, thought=thought)


@dataclass(frozen=True)
class FittedTurn:
    """A question asked within the context window: its plan, and unless it could not fit, what was sent and
    what came back."""

    plan: Plan
    request: ChatRequest | None = None  # None: even the question alone does not fit; nothing was sent
    result: TurnResult | None = None

    @property
    def exchange(self) -> Exchange:
        assert self.request is not None and self.result is not None
        r = self.result
        return Exchange(self.request.messages[-1], r.text, self.request.model, r.stats, r.interrupted)


def fitted_turn(backend: Backend, context: ContextTracker, settings: Settings, conversation: Conversation,
                question: Message, output: Output, on_plan: Callable[[Plan], None] = lambda plan: None) -> FittedTurn:
    """Ask `question` with as much of `conversation` as fits. The server refuses an over-long prompt (we
    send `truncate: false`) instead of cutting it: then the estimate was low, so count more cautiously and
    send fewer exchanges, twice at most. `on_plan` hears the first plan before it is sent."""
    for attempt in range(3):
        plan = context.plan(settings, conversation, question.content)
        if not plan.fit.fits:
            return FittedTurn(plan)
        if attempt == 0:
            on_plan(plan)
        request = build_request(settings, conversation, question, plan.fit.sent,
                                with_summary=not plan.summary_left_out)
        result = run_turn(backend, request, output, show_stats=settings.verbose)
        if not isinstance(result.error, ContextOverflow) or attempt == 2:
            break
        context.overflowed(settings.model)
    return FittedTurn(plan, request, result)
