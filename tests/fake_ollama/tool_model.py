"""A tool-calling model, scripted (`FakeOllama.script_tools`, `FakeOpenAI.script_tools`, `--tool-call` by hand):
with no reply queued, a request that offers tools and ends with the user's message is answered with the
scripted calls (fresh IDs each time, as the servers make them), and one that ends with the tools' results is
answered in text that quotes them, so a whole round trip (question, calls, results, answer) needs no queue.
Requests without tools, or ending otherwise, get the fake's usual echo."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

QUOTED = 160  # characters of each result the answer quotes


@dataclass(frozen=True)
class ToolModel:
    """`calls`: (name, arguments) pairs, made in one reply; `answer`: the text after the results (None: one
    that quotes each result); `thinking`: said before the calls (a thinking model's reasoning)."""

    calls: tuple[tuple[str, Any], ...]
    answer: str | None = None
    thinking: str = ""

    def turn(self, request: dict[str, Any]) -> Literal["call", "answer"] | None:
        """What this request asks of the model: to call the tools, to answer their results, or neither."""
        if not request.get("tools"):
            return None
        messages = request.get("messages")
        last = messages[-1] if isinstance(messages, list) and messages else None
        role = last.get("role") if isinstance(last, dict) else None
        return "call" if role == "user" else "answer" if role == "tool" else None

    def answer_text(self, request: dict[str, Any]) -> str:
        """The answer after the results: `answer`, or each result (the last run of "tool" messages), quoted."""
        if self.answer is not None:
            return self.answer
        messages = [m for m in request.get("messages") or () if isinstance(m, dict)]
        names: dict[str, str] = {}
        for message in messages:
            for call in message.get("tool_calls") or ():
                if isinstance(call, dict) and isinstance(call.get("function"), dict):
                    names[str(call.get("id"))] = str(call["function"].get("name"))
        results = []
        for message in reversed(messages):
            if message.get("role") != "tool":
                break
            name = message.get("tool_name") or names.get(str(message.get("tool_call_id")), "?")
            text = " ".join(str(message.get("content") or "").split())
            results.append(f"{name}: {text[:QUOTED]}" + ("…" if len(text) > QUOTED else ""))
        return "Tool results — " + " | ".join(reversed(results))


def parse_call(text: str) -> tuple[str, Any]:
    """`NAME` or `NAME:JSON` (the `--tool-call` flag): a call of NAME with those arguments (none: `{}`)."""
    name, _, arguments = text.partition(":")
    decoded = json.loads(arguments) if arguments.strip() else {}
    if not name.strip() or not isinstance(decoded, dict):
        raise ValueError(f"not NAME or NAME:JSON with a JSON object: {text!r}")
    return name.strip(), decoded
