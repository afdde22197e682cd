"""The message list: a pinned prefix (system prompt + few-shot examples) plus a capped history. Pure.

History holds whole exchanges (user, assistant) and is trimmed oldest-first in pairs, so it never starts
with an orphan assistant turn. A question is only added together with its answer, so a failed request
cannot leave a dangling user turn behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ollama_chat.personas import Example

Message = dict[str, Any]


def trim_history(history: Sequence[Message], max_messages: int) -> list[Message]:
    """The newest whole user+assistant pairs that fit in `max_messages` messages."""
    keep = max(0, max_messages // 2 * 2)
    if len(history) <= keep:
        return list(history)
    return list(history[len(history) - keep :]) if keep else []


def pinned_messages(system: str, examples: Sequence[Example]) -> list[Message]:
    messages: list[Message] = [{"role": "system", "content": system}] if system else []
    for ex in examples:
        messages += [{"role": "user", "content": ex.user}, {"role": "assistant", "content": ex.assistant}]
    return messages


@dataclass
class Conversation:
    system: str = ""
    examples: tuple[Example, ...] = ()
    max_messages: int = 20
    history: list[Message] = field(default_factory=list)

    def pinned(self) -> list[Message]:
        return pinned_messages(self.system, self.examples)

    def request_messages(self, question: str) -> list[Message]:
        """What to send for `question`: pinned prefix, the kept history, then the question itself."""
        return [*self.pinned(), *self.history, {"role": "user", "content": question}]

    def add_exchange(self, question: str, answer: str) -> int:
        """Keep a finished (or interrupted) exchange. Returns how many old messages were trimmed."""
        self.history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        before = len(self.history)
        self.history = trim_history(self.history, self.max_messages)
        return before - len(self.history)

    def undo(self) -> tuple[str, str] | None:
        """Drop the last exchange; returns it (question, answer), or None when there is none."""
        if len(self.history) < 2:
            return None
        question, answer = self.history[-2:]
        del self.history[-2:]
        return question["content"], answer["content"]

    def clear(self) -> None:
        self.history.clear()

    @property
    def turns(self) -> int:
        return len(self.history) // 2


TRANSCRIPT_VERSION = 1


class TranscriptError(ValueError):
    pass


def to_transcript(conversation: Conversation, *, model: str, persona: str) -> dict[str, Any]:
    """A JSON-able transcript that `/load` can resume from."""
    return {
        "version": TRANSCRIPT_VERSION,
        "model": model,
        "persona": persona,
        "system": conversation.system,
        "messages": [{"role": m["role"], "content": m["content"]} for m in conversation.history],
    }


def history_from_transcript(data: Any) -> tuple[str | None, list[Message]]:
    """(system prompt or None, history) from a saved transcript, checked to be whole user/assistant pairs."""
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise TranscriptError("not an ollama-chat transcript (expected an object with a 'messages' list)")
    messages = data["messages"]
    history: list[Message] = []
    for i, m in enumerate(messages):
        expected = "user" if i % 2 == 0 else "assistant"
        if not isinstance(m, dict) or m.get("role") != expected or not isinstance(m.get("content"), str):
            raise TranscriptError(f"message {i + 1} should be a {expected} message with text content")
        history.append({"role": expected, "content": m["content"]})
    if len(history) % 2:
        raise TranscriptError("the last question has no answer")
    system = data.get("system")
    return (system if isinstance(system, str) else None), history


def to_markdown(conversation: Conversation, *, model: str, persona: str) -> str:
    lines = [f"# ollama-chat · {model} · {persona}", ""]
    if conversation.system:
        lines += ["## System", "", conversation.system, ""]
    for m in conversation.history:
        lines += ["## You" if m["role"] == "user" else f"## {model}", "", m["content"], ""]
    return "\n".join(lines)
