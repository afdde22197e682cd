"""One round trip: a request goes out, events go to a Reply renderer, the result comes back.

Shared by one-shot mode and the REPL so that Ctrl+C, errors and partial replies behave the same in both.
The reply text is accumulated here, once, joined as it arrives (`Pieces`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from ollama_chat.backends.base import CHECK_TIMEOUT, Backend, BackendError, ContextOverflow
from ollama_chat.chat.context import ContextTracker, Plan
from ollama_chat.chat.conversation import Conversation, pinned_messages
from ollama_chat.errors import Terminated
from ollama_chat.i18n import _
from ollama_chat.text import Pieces
from ollama_chat.chat.settings import Settings
from ollama_chat.types import ChatRequest, Exchange, Message, Stats, ToolCall, ToolSpec
from ollama_chat.chat.events import Output, Reply


@dataclass(frozen=True)
class TurnResult:
    text: str  # the answer as received (never the thinking)
    stats: Stats | None = None
    interrupted: bool = False
    error: BackendError | None = None  # the reply failed midway (or never started); `text` is what arrived
    thinking: str = ""  # what the model thought before the answer (its tokens are in the stats' eval_count)
    tool_calls: tuple[ToolCall, ...] = ()  # what the model asked to run (the turn loop answers them)
    # SIGTERM or SIGHUP, or the output failing (a closed pipe, a full disk, a terminal gone): the caller stores
    # the exchange first, then `settle` draws what is left and raises this
    stopped: BaseException | None = None
    unfinished: Reply | None = field(default=None, compare=False, repr=False)  # drawn by `settle`

    @property
    def thought(self) -> bool:
        return bool(self.thinking)


def settle(result: TurnResult) -> None:
    """Once a stopped reply's exchange is stored: draw its final marks (a terminal that went away refuses them,
    which no longer matters) and raise what stopped it. Nothing happens for a reply that ran its course."""
    if result.unfinished is not None:
        with contextlib.suppress(OSError):
            result.unfinished.finish(interrupted=result.interrupted)
    if result.stopped is not None:
        raise result.stopped


def build_request(settings: Settings, conversation: Conversation, question: Message, sent: int,
                  with_summary: bool = True, tools: tuple[ToolSpec, ...] = (), without_steps: int = 0) -> ChatRequest:
    """The request for `question`, with the newest `sent` exchanges, the oldest `without_steps` of them without
    their tool steps (the budget chose how many)."""
    pinned = pinned_messages(settings.system, settings.persona.examples)
    return ChatRequest(
        model=settings.model,
        messages=conversation.request_messages(pinned, question, sent, with_summary=with_summary,
                                               without_steps=without_steps),
        options=dict(settings.options),
        format=settings.format,
        think=settings.think,
        keep_alive=settings.keep_alive,
        stream=settings.stream,
        tools=tools,
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
    text = Pieces()
    stats: Stats | None = None
    stream = None
    thinking = Pieces()
    lost: OSError | None = None  # the output failed (`| head -1`, a full disk): read on without drawing
    calls: list[ToolCall] = []
    try:
        stream = backend.chat(request)
        for event in stream:
            if event.stats is not None:
                stats = event.stats
            if event.content:
                text.add(event.content)  # it arrived, whether or not it can be shown
            if event.thinking:
                thinking.add(event.thinking)
            calls.extend(event.tool_calls)
            if lost is None:
                try:
                    if event.thinking:
                        reply.thinking(event.thinking)
                    if event.content:
                        reply.content(event.content)
                except OSError as e:  # the answer is still the user's: it is read to its end and stored whole
                    lost = e
    except KeyboardInterrupt as e:
        if stream is not None:
            stream.close()
        if isinstance(e, Terminated):  # drawn after the exchange is stored: the terminal may be gone
            return TurnResult(text.value(), interrupted=True, stopped=e, unfinished=reply)
        _finish(reply, lost, interrupted=True)
        return TurnResult(text.value(), interrupted=True, stopped=lost)
    except BackendError as e:
        _finish(reply, lost)
        return TurnResult(text.value(), error=e, stopped=lost)
    except BaseException:
        if stream is not None:
            stream.close()
        _finish(reply, lost)
        raise
    try:
        if lost is None:
            reply.finish(stats)
    except (OSError, Terminated) as e:  # the answer is whole; only its drawing failed or was cut short
        lost = e  # type: ignore[assignment]
    return TurnResult(text.value(), stats, thinking=thinking.value(), stopped=lost, tool_calls=tuple(calls))


def _finish(reply: Reply, lost: OSError | None, *, interrupted: bool = False) -> None:
    """Draw the reply's end, unless its output already failed (then drawing would only fail again)."""
    if lost is None:
        reply.finish(interrupted=interrupted)
    else:
        with contextlib.suppress(OSError):
            reply.finish(interrupted=interrupted)


@dataclass(frozen=True)
class Round:
    """One round trip: what was sent, and what came back."""

    request: ChatRequest
    result: TurnResult


class FollowUp(Protocol):
    def __call__(self, sent: ChatRequest, result: TurnResult) -> Sequence[Message] | None:
        """After a round that ran its course: the messages that go on the conversation for one more round
        (the assistant's message as received, the tools' results), or None when the answer is complete."""
        ...


MAX_ROUNDS = 10  # round trips for one question, however many follow-ups ask for more


@dataclass(frozen=True)
class FittedTurn:
    """A question asked within the context window: its plan, and unless it could not fit, the round trips it
    took (the first, then one per follow-up) and what came back."""

    plan: Plan
    rounds: tuple[Round, ...] = ()  # empty: even the question alone does not fit; nothing was sent

    @property
    def request(self) -> ChatRequest | None:
        """The first request: the question with as much of the conversation as fitted."""
        return self.rounds[0].request if self.rounds else None

    @property
    def result(self) -> TurnResult | None:
        """What the last round brought back: the answer (or how it ended)."""
        return self.rounds[-1].result if self.rounds else None

    @property
    def exchange(self) -> Exchange:
        """The question, the tool round trips that came before the answer (what the follow-ups added), and the
        answer: as the log keeps it and a later question sends it. Thinking is never kept: what the model
        thought before its calls went back with them in this turn only."""
        assert self.request is not None and self.result is not None
        r, first, last = self.result, self.rounds[0].request, self.rounds[-1].request
        steps = tuple(replace(m, thinking="") if m.thinking else m for m in last.messages[len(first.messages):])
        return Exchange(first.messages[-1], r.text, first.model, r.stats, r.interrupted, steps=steps)


@dataclass(frozen=True)
class Refusal:
    """The server refused a prompt as longer than its window; what was learnt, and the plan sent instead."""

    refused: Plan
    retry: Plan
    window: int  # the window that refused it
    said: bool  # the server said that window (llama.cpp, vLLM); else it is the one the client knew


def refused_text(refusal: Refusal, model: str) -> str:
    """What was learnt from a refusal, and what was sent instead (the model's name sanitised by the caller)."""
    values = dict(model=model, window=f"{refusal.window:,}", assumed=f"{refusal.refused.window.tokens:,}",
                  sent=refusal.retry.fit.sent, eligible=refusal.retry.eligible)
    if not refusal.retry.fit.fits:
        return (_("The server said {model}'s context window is {window} tokens.") if refusal.said else
                _("{model} refused the prompt as longer than its {window}-token context window.")).format(**values)
    if refusal.said:
        text = _("The server said {model}'s context window is {window} tokens; sent again with {sent} of the"
                 " {eligible} earlier exchanges.")
    elif refusal.window != refusal.refused.window.tokens:
        text = _("{model} refused the prompt: it runs with a {window}-token context window, not the {assumed} assumed;"
                 " sent again with {sent} of the {eligible} earlier exchanges.")
    else:
        text = _("{model} refused the prompt as longer than its {window}-token context window: the estimate was low"
                 " and is corrected; sent again with {sent} of the {eligible} earlier exchanges.")
    return text.format(**values)


def _refused_window(backend: Backend, context: ContextTracker, settings: Settings, error: ContextOverflow) -> tuple[int, bool]:
    """The window the prompt was refused by: the server's word when it gave one (learnt from now on); else the
    window the model is loaded with now (the refused request loaded it), else the one the plan assumed."""
    if error.window:
        context.learn(settings.model, loaded=error.window, model_max=error.window)
        return error.window, True
    if "num_ctx" not in settings.options:
        try:
            context.learn(settings.model, loaded=backend.loaded_window(settings.model, timeout=CHECK_TIMEOUT))
        except BackendError:
            pass
    return context.window(settings).tokens, False


def tools_text(tools: Sequence[ToolSpec]) -> str:
    """The tools as the request carries them, for the estimate (their schemas count like a system prompt)."""
    if not tools:
        return ""
    return json.dumps([{"name": t.name, "description": t.description, "parameters": t.parameters} for t in tools],
                      ensure_ascii=False)


def fitted_turn(backend: Backend, context: ContextTracker, settings: Settings, conversation: Conversation,
                question: Message, output: Output, on_plan: Callable[[Plan], None] = lambda plan: None,
                on_refused: Callable[[Refusal], None] = lambda refusal: None,
                follow_up: FollowUp | None = None, tools: tuple[ToolSpec, ...] = ()) -> FittedTurn:
    """Ask `question` with as much of `conversation` as fits, then as many more round trips as `follow_up` asks
    for (at most MAX_ROUNDS in all), each sending what the last brought back; the loop ends at an answer, an
    error, Ctrl+C or a stop. `on_plan` hears the first plan before it is sent, `on_refused` each refusal."""
    plan, first = _first_round(backend, context, settings, conversation, question, output, on_plan, on_refused, tools)
    if first is None:
        return FittedTurn(plan)
    rounds = [first]
    while follow_up is not None and len(rounds) < MAX_ROUNDS:
        last = rounds[-1]
        r = last.result
        if r.error is not None or r.interrupted or r.stopped is not None:
            break
        try:
            added = follow_up(last.request, r)
        except KeyboardInterrupt as e:  # Ctrl+C during a tool call: the loop stops, what was said is kept
            rounds[-1] = Round(last.request, replace(r, interrupted=True,
                                                     stopped=e if isinstance(e, Terminated) else None))
            break
        if not added:
            break
        request = replace(last.request, messages=(*last.request.messages, *added))
        rounds.append(Round(request, run_turn(backend, request, output, show_stats=settings.verbose)))
    return FittedTurn(plan, tuple(rounds))


def _first_round(backend: Backend, context: ContextTracker, settings: Settings, conversation: Conversation,
                 question: Message, output: Output, on_plan: Callable[[Plan], None],
                 on_refused: Callable[[Refusal], None], tools: tuple[ToolSpec, ...] = ()) -> tuple[Plan, Round | None]:
    """The server refuses an over-long prompt (we send `truncate: false`) instead of cutting it: then the
    estimate was low, or the window smaller than known. What the refusal proves is learnt
    (`ContextTracker.refused`), and as much as now fits is sent again, twice at most. None: nothing fits."""
    offered = tools_text(tools)
    plan = context.plan(settings, conversation, question.content, offered)
    for attempt in range(3):
        if not plan.fit.fits:
            return plan, None
        if attempt == 0:
            on_plan(plan)
        request = build_request(settings, conversation, question, plan.fit.sent,
                                with_summary=not plan.summary_left_out, tools=tools,
                                without_steps=plan.fit.without_steps)
        result = run_turn(backend, request, output, show_stats=settings.verbose)
        if not isinstance(result.error, ContextOverflow) or attempt == 2:
            break
        window, said = _refused_window(backend, context, settings, result.error)
        context.refused(settings.model, plan, window, result.error.prompt_tokens)
        refused, plan = plan, context.plan(settings, conversation, question.content, offered)
        on_refused(Refusal(refused, plan, window, said))
    return plan, Round(request, result)
