"""One question in, one streamed answer out, then exit."""

from __future__ import annotations

from dataclasses import dataclass

from ollama_chat.backends.base import Backend
from ollama_chat.conversation import Conversation
from ollama_chat.errors import EXIT_INTERRUPTED, EXIT_OK, UsageError
from ollama_chat.recorder import Recorder
from ollama_chat.settings import Settings
from ollama_chat.turn import build_request, run_turn
from ollama_chat.types import Exchange, Message
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
            "Nothing to ask: the question is empty.",
            'Give it as an argument (ollama-chat "질문") or pipe it in (echo "질문" | ollama-chat).',
        )
    return question


def run(settings: Settings, question: str, backend: Backend, output: Output, conversation: Conversation | None = None,
        recorder: Recorder | None = None) -> int:
    """Ask once (after the exchanges of a resumed `conversation`), and store the answer, even an interrupted
    one. A failure after part of the reply was written raises, after the part is shown."""
    conversation = conversation or Conversation()
    request = build_request(settings, conversation, Message("user", question))
    result = run_turn(backend, request, output, show_stats=settings.verbose)
    if result.error is not None:
        raise result.error
    if recorder is not None and (result.text or not result.interrupted):
        conversation.add(Exchange(request.messages[-1], result.text, request.model, result.stats, result.interrupted),
                         settings.max_messages)
        recorder.record(conversation.exchanges, settings)
    return EXIT_INTERRUPTED if result.interrupted else EXIT_OK
