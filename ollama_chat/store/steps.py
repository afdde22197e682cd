"""An exchange's tool steps as JSON, both ways: the form the store's `steps` column and a transcript's
`"steps"` share. Pure.

    [{"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "name": "web_search",
                                                          "arguments": {"query": "…"}}]},
     {"role": "tool", "tool_call_id": "call_1", "tool_name": "web_search", "content": "…"}]

A call whose arguments were not a JSON object keeps the text as received in `"raw_arguments"` instead of
`"arguments"`. What is read back is checked whole, as a hostile file would need: types, sizes, roles, each
result answering a call made before it. It is data only: nothing read here is ever run (a resumed conversation
sends the steps again, it never calls a tool).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ollama_chat.i18n import _
from ollama_chat.text import one_line
from ollama_chat.types import Message, ToolCall

# The name both wire formats accept for a function (tools.base.TOOL_NAME; the store is below the tools' floor).
TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_STEPS = 1000  # messages in one exchange's steps (10 rounds by default, each a few calls)
MAX_CALLS = 128  # calls in one assistant message
MAX_TEXT = 16 * 1024 * 1024  # characters of one step's content (a tool result, cut to the window before)
MAX_ARGUMENTS = 1024 * 1024  # characters of one call's arguments, as JSON
MAX_ID = 256  # characters of a call's ID
MAX_NAME = 256  # characters of a tool's name in the store (a file's must fit TOOL_NAME)
MAX_STORED = 64 * 1024 * 1024  # characters of one exchange's steps as the store holds them (read no further)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class StepsError(ValueError):
    """Steps not in the form this module writes; the message says what is wrong (the caller says where)."""


def unread_notice(reasons: Sequence[str]) -> str:
    """What to say of a stored conversation whose tool steps could not be read ("" when all could)."""
    if not reasons:
        return ""
    shown = "; ".join(one_line(reason, 200) for reason in reasons[:5]) + ("; …" if len(reasons) > 5 else "")
    return _("Tool steps that could not be read were left out (neither shown nor sent again; the questions and"
             " replies are kept, and the store is unchanged): {reasons}.").format(reasons=shown)


def steps_json(steps: Sequence[Message]) -> list[dict[str, Any]]:
    """The steps as JSON-ready objects (an empty list for none)."""
    return [_message_json(m) for m in steps]


def _message_json(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [{"id": c.id, "name": c.name, **({"raw_arguments": c.raw_arguments}
                              if c.raw_arguments is not None else {"arguments": dict(c.arguments)})}
                             for c in message.tool_calls]
    if message.role == "tool":
        out["tool_call_id"], out["tool_name"] = message.tool_call_id, message.tool_name
    return out


def arguments_text(call: ToolCall) -> str:
    """A call's arguments as the model gave them: compact JSON (Hangul as it is), or the raw text it sent."""
    if call.raw_arguments is not None:
        return call.raw_arguments
    return json.dumps(dict(call.arguments), ensure_ascii=False)


def steps_from_json(value: Any, *, strict_names: bool = True, source: int | None = None) -> tuple[Message, ...]:
    """Steps written by `steps_json` (None: none), checked; StepsError saying what is wrong otherwise.
    `strict_names`: every tool name must fit TOOL_NAME (a file); the store's own rows keep a name a model made
    up as it was sent, bounded in length. `source`: the length of the JSON text `value` was read from, when
    known: far below MAX_ARGUMENTS, no call's arguments can be longer, and they are not encoded again to see."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise StepsError(_("its 'steps' should be a list of messages"))
    if len(value) > MAX_STEPS:
        raise StepsError(_("it has {n} steps, more than the {limit} allowed").format(n=len(value), limit=MAX_STEPS))
    # Encoded again, a text grows at most eightfold: ", " for ",", and a number such as 1e9 as 1000000000.0.
    measure = source is None or source * 8 > MAX_ARGUMENTS
    steps: list[Message] = []
    made: dict[tuple[str, str], ToolCall] = {}  # ("id", ID) and ("name", name): the first call made with each
    for number, obj in enumerate(value, 1):
        try:
            steps.append(_step(obj, made, strict_names, measure))
        except StepsError as e:
            raise StepsError(_("step {number}: {reason}").format(number=number, reason=e)) from None
    return tuple(steps)


def _step(obj: Any, made: dict[tuple[str, str], ToolCall], strict_names: bool, measure: bool) -> Message:
    if not isinstance(obj, dict) or obj.get("role") not in ("assistant", "tool"):
        raise StepsError(_("a step should be an object whose role is \"assistant\" or \"tool\""))
    content = _text(obj.get("content", ""), "content", MAX_TEXT)
    if obj["role"] == "assistant":
        calls = obj.get("tool_calls")
        if not isinstance(calls, list) or not 1 <= len(calls) <= MAX_CALLS:
            raise StepsError(_("an assistant step should carry 1 to {limit} tool calls").format(limit=MAX_CALLS))
        checked = tuple(_call(c, strict_names, measure) for c in calls)
        for call in checked:
            made.setdefault(("name", call.name), call)
            if call.id:
                made.setdefault(("id", call.id), call)
        return Message("assistant", content, tool_calls=checked)
    call_id = _text(obj.get("tool_call_id", ""), "tool_call_id", MAX_ID, single=True)
    name = _name(obj.get("tool_name"), "tool_name", strict_names)
    answered = made.get(("id", call_id) if call_id else ("name", name))
    if answered is None or answered.name != name:
        raise StepsError(_("the result of '{name}' answers no call made before it").format(name=one_line(name, 80)))
    return Message("tool", content, tool_call_id=call_id, tool_name=name)


def _call(obj: Any, strict_names: bool, measure: bool) -> ToolCall:
    if not isinstance(obj, dict):
        raise StepsError(_("a tool call should be an object with an 'id', a 'name' and 'arguments'"))
    call_id = _text(obj.get("id", ""), "id", MAX_ID, single=True)
    name = _name(obj.get("name"), "name", strict_names)
    raw, arguments = obj.get("raw_arguments"), obj.get("arguments")
    if raw is not None:
        return ToolCall(call_id, name, {}, _text(raw, "raw_arguments", MAX_ARGUMENTS))
    if not isinstance(arguments, dict):
        raise StepsError(_("the arguments of '{name}' should be a JSON object").format(name=one_line(name, 80)))
    if measure:
        try:
            size = len(json.dumps(arguments, ensure_ascii=False))
        except (RecursionError, ValueError):
            size = MAX_ARGUMENTS + 1  # nested too deep to send again
        if size > MAX_ARGUMENTS:
            raise StepsError(_("the arguments of '{name}' are longer than {limit} characters").format(
                name=one_line(name, 80), limit=MAX_ARGUMENTS))
    return ToolCall(call_id, name, arguments)


def _name(value: Any, key: str, strict: bool) -> str:
    name = _text(value, key, MAX_NAME)
    if not (TOOL_NAME.fullmatch(name) if strict else name):
        raise StepsError(_("'{name}' is not a tool name (letters, digits, _ and -, at most 64)").format(
            name=one_line(name, 80)))
    return name


def _text(value: Any, key: str, limit: int, *, single: bool = False) -> str:
    """A string field at most `limit` characters long; `single`: an ID, with no control character in it."""
    if not isinstance(value, str):
        raise StepsError(_("'{key}' should be text").format(key=key))
    if len(value) > limit:
        raise StepsError(_("'{key}' is longer than {limit} characters").format(key=key, limit=limit))
    if single and _CONTROL.search(value):
        raise StepsError(_("'{key}' has control characters in it").format(key=key))
    return value
