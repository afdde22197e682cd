"""Tool calls in OpenAI's chat API, both ways: the model's calls as an assistant message carries them back
(arguments as JSON text), and the entries of `tool_calls` in a streamed delta or a whole message, as pieces
(`tool_calls.ToolCallPieces` assembles them by index)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ollama_chat.backends.tool_calls import BadToolCall, ToolPiece, call_list, label
from ollama_chat.i18n import _
from ollama_chat.types import ToolCall

def arguments_text(call: ToolCall) -> str:
    """A call's arguments as the API carries them: JSON text (as the model sent it, when it was not JSON)."""
    if call.raw_arguments is not None:
        return call.raw_arguments
    return json.dumps(dict(call.arguments), ensure_ascii=False)


def wire_calls(calls: Iterable[ToolCall]) -> list[dict[str, Any]]:
    """An assistant message's `tool_calls`, each with its ID (the one its result answers)."""
    return [{"id": call.id, "type": "function", "function": {"name": call.name, "arguments": arguments_text(call)}}
            for call in calls]


def tool_pieces_from(value: object, *, whole: bool = False) -> tuple[ToolPiece, ...]:
    """`tool_calls` of a delta (pieces: `{"index", "id"?, "type"?, "function": {"name"?, "arguments"?}}`) or of
    a whole message (`whole`: each entry a whole call, the index its place). Arguments are JSON text; an object
    there (not the API's shape, but clear) is taken as its text. BadToolCall for anything else."""
    pieces = []
    for place, item in enumerate(call_list(value, _not_calls)):
        function = item.get("function", {}) if isinstance(item, dict) else None
        if not isinstance(function, dict):
            raise _not_calls()
        index = item.get("index")
        if whole or not isinstance(index, int) or isinstance(index, bool) or index < 0:
            index = place if whole else None
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, str):
            try:
                arguments = json.dumps(arguments, ensure_ascii=False)
            except (RecursionError, ValueError):
                raise _not_calls() from None
        pieces.append(ToolPiece(index, label(item.get("id"), name=False), label(function.get("name"), name=True),
                                arguments or ""))
    return tuple(pieces)


def _not_calls() -> BadToolCall:
    return BadToolCall(_("the server sent tool calls that are not in the OpenAI API's shape"))
