"""One question in, one streamed answer out, then exit."""

from __future__ import annotations

from dataclasses import dataclass

from ollama_chat.client import OllamaClient
from ollama_chat.conversation import Conversation
from ollama_chat.errors import EXIT_INTERRUPTED, EXIT_OK, UsageError
from ollama_chat.render import Output
from ollama_chat.settings import Settings
from ollama_chat.turn import build_request, run_turn


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


def run(settings: Settings, question: str, client: OllamaClient, output: Output) -> int:
    conversation = Conversation(settings.system, settings.persona.examples, settings.max_messages)
    result = run_turn(client, build_request(settings, conversation, question), output, stream=settings.stream)
    return EXIT_INTERRUPTED if result.interrupted else EXIT_OK
