"""One question in, one streamed answer out, then exit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ollama_chat.backends.base import Backend, BackendError
from ollama_chat.context import ContextTracker, Plan, not_sent
from ollama_chat.conversation import Conversation
from ollama_chat.errors import EXIT_INTERRUPTED, EXIT_OK, UsageError
from ollama_chat.i18n import _
from ollama_chat.recorder import Recorder
from ollama_chat.settings import Settings
from ollama_chat.turn import fitted_turn
from ollama_chat.ui.output import Output


@dataclass(frozen=True)
class DecodedInput:
    text: str
    bad_byte_offset: int | None = None  # where the first invalid UTF-8 byte was, if any


def decode_input(data: bytes) -> DecodedInput:
    """Piped bytes as text. Invalid UTF-8 is replaced (U+FFFD), never fatal; the caller warns."""
    try:
        return DecodedInput(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        return DecodedInput(data.decode("utf-8", "replace"), e.start)


def combine_question(piped: str | None, prompt: str | None) -> str:
    """Piped text, a blank line, then the PROMPT argument (`cat notes.txt | ollama-chat "요약해 주세요"`)."""
    parts = [p.strip("\n") for p in (piped, prompt) if p is not None and p.strip()]
    question = "\n\n".join(parts)
    if not question.strip():
        raise UsageError(
            _("Nothing to ask: the question is empty."),
            _('Give it as an argument (ollama-chat "질문") or pipe it in (echo "질문" | ollama-chat).'),
        )
    return question


def run(settings: Settings, question: str, backend: Backend, output: Output, conversation: Conversation | None = None,
        recorder: Recorder | None = None, note: Callable[[str], None] = lambda text: None) -> int:
    """Ask once (after the exchanges of a resumed `conversation`, as many as fit the context window), and store
    the answer, even an interrupted one. A failure after part of the reply was written raises, after the part
    is shown. `note`: where to say that older exchanges were left out."""
    conversation = conversation or Conversation()
    context = ContextTracker()
    plan = context.plan(settings, conversation, question)
    if (plan.dropped or not plan.fit.fits) and "num_ctx" not in settings.options:
        try:  # the loaded model may have a bigger window than Ollama's default: ask before cutting
            context.learn(settings.model, loaded=backend.loaded_window(settings.model, timeout=3),
                          model_max=backend.model_info(settings.model, timeout=3).context_length)
            plan = context.plan(settings, conversation, question)
        except BackendError:
            pass
    def tell(plan: Plan) -> None:
        if plan.dropped:
            note(_("the oldest {dropped} of {eligible} earlier exchanges do not fit the {tokens}-token"
                   " context window and were not sent.").format(
                dropped=plan.dropped, eligible=plan.eligible, tokens=f"{plan.window.tokens:,}"))

    turn = fitted_turn(backend, context, settings, conversation, question, output, tell)
    result = turn.result
    if result is None:
        raise UsageError(not_sent(turn.plan), _("Shorten it, or give the model a bigger window: --num-ctx 16384."))
    if result.error is not None:
        raise result.error
    if recorder is not None and (result.text or not result.interrupted):
        conversation.add(turn.exchange)
        recorder.record(conversation, settings)
    return EXIT_INTERRUPTED if result.interrupted else EXIT_OK
