"""Tool calls as servers send them, made into whole `ToolCall`s, within bounds: what both APIs share.

- A name is checked against `TOOL_NAME` (what both wire formats accept) where it is offered; a model's call of a
  name that fails it is kept as made (the chat answers it as an unknown tool), since the model must see its
  own call again with the answer.
- Arguments are a JSON object: Ollama sends the object, OpenAI's API its text. Text that is not a JSON object is
  kept as `raw_arguments` (answered as an error, never run); it never fails the reply.
- Every call of a reply has an ID unique in it: the server's, or one made up as Ollama makes them (`call_` and
  8 letters or digits) where the server gave none (Ollama before 0.12.x) or gave one twice.
- A reply may make at most MAX_CALLS calls, each with at most MAX_ARGUMENTS bytes of arguments: past that the
  reply fails (`BadToolCall`, a `BadStream`), and memory never grows without bound.
- OpenAI's streamed calls come in pieces by `index` (`ToolPiece`), assembled by `ToolCallPieces`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ollama_chat.backends.base import Unsupported, server_text
from ollama_chat.backends.streaming import BadStream, decode_json
from ollama_chat.i18n import _
from ollama_chat.types import ToolCall, ToolSpec

TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # a function name, as OpenAI's API and Ollama take it
MAX_CALLS = 64  # tool calls in one reply
MAX_ARGUMENTS = 1024 * 1024  # bytes of one call's arguments, as JSON text
MAX_LABEL = 1024  # characters of a call's name or ID as the server sent it (a valid name has 64 at most)
_ID_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def valid_tool_name(name: object) -> bool:
    """A name both APIs accept for a function: 1 to 64 ASCII letters, digits, `_` or `-`."""
    return isinstance(name, str) and TOOL_NAME.fullmatch(name) is not None  # (`match` lets "name\n" through)


def wire_tool(spec: ToolSpec) -> dict[str, Any]:
    """A tool offered to the model, in the shape both APIs take. Unsupported for a name they do not take
    (refused before anything is sent)."""
    if not valid_tool_name(spec.name):
        raise Unsupported(_("A tool's name, {name}, is not one the server takes: 1 to 64 letters, digits, _ or -.").format(
            name=repr(spec.name[:80])))
    return {"type": "function", "function": {"name": spec.name, "description": spec.description,
                                             "parameters": dict(spec.parameters)}}


class BadToolCall(BadStream):
    """A reply's tool calls are malformed or past the bounds; `what` says how, in words for the user."""


def too_many() -> BadToolCall:
    return BadToolCall(_("the model asked for more than {n} tool calls in one reply").format(n=MAX_CALLS))


def call_list(value: object, not_calls: Callable[[], BadToolCall]) -> list[Any]:
    """A reply's `tool_calls` as a list within MAX_CALLS (none when absent); `not_calls()`, the wire's own
    words, for anything else."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise not_calls()
    if len(value) > MAX_CALLS:
        raise too_many()
    return value


def arguments_too_large(name: str) -> BadToolCall:
    return BadToolCall(_("the arguments of the model's call of {name} are larger than {size} MiB").format(
        name=repr(server_text(name)[:64]), size=MAX_ARGUMENTS // (1024 * 1024)))


def decode_arguments(value: object, name: str = "") -> tuple[Mapping[str, Any], str | None]:
    """(arguments, raw_arguments) of a call's arguments as sent: an object (Ollama), or its JSON text (OpenAI;
    empty text or null is no arguments). Text that is not a JSON object is kept as it came, in
    `raw_arguments`. Lone surrogates (valid JSON, not Unicode) become U+FFFD. BadToolCall past MAX_ARGUMENTS."""
    if value is None:
        return {}, None
    if isinstance(value, str):
        text = value
    else:  # an object (or, wrongly, another JSON value): measured and cleaned as its text
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (RecursionError, ValueError):
            raise BadToolCall(_("the server sent a tool call whose arguments are nested too deeply")) from None
    if len(text) > MAX_ARGUMENTS // 4 and len(text.encode("utf-8", "surrogatepass")) > MAX_ARGUMENTS:
        raise arguments_too_large(name)
    if _SURROGATE.search(text):
        text = server_text(text)
    elif isinstance(value, dict):
        return value, None
    if not text.strip():
        return {}, None
    try:
        decoded = decode_json(text)
    except ValueError:
        return {}, text
    if not isinstance(decoded, dict):
        return {}, text
    if _ESCAPED_SURROGATE.search(text):  # `"\udfff"` in the text: a lone surrogate once decoded
        decoded = decode_json(server_text(json.dumps(decoded, ensure_ascii=False)))
    return decoded, None


def label(value: object, *, name: bool) -> str:
    """A call's name (or ID) as the server sent it: a string (absent: ""), bounded; BadToolCall otherwise."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_LABEL:
        raise name_refused() if name else BadToolCall(
            _("the server sent a tool call whose ID is not a string of at most {n} characters").format(n=f"{MAX_LABEL:,}"))
    return server_text(value)


def name_refused() -> BadToolCall:
    return BadToolCall(_("the server sent a tool call whose name is not a string of at most {n} characters").format(
        n=f"{MAX_LABEL:,}"))


def call_from(call_id: object, name: object, arguments: object) -> ToolCall:
    """One whole call, its ID as the server gave it (maybe ""; `ReplyCalls` makes it unique)."""
    shown = label(name, name=True)
    decoded, raw = decode_arguments(arguments, shown)
    return ToolCall(id=label(call_id, name=False), name=shown, arguments=decoded, raw_arguments=raw)


def new_id() -> str:
    """An ID as Ollama makes one: `call_` and 8 lower-case letters or digits."""
    return "call_" + "".join(_ID_LETTERS[b % len(_ID_LETTERS)] for b in os.urandom(8))


class ReplyCalls:
    """The calls of one reply so far: each gets an ID unique in the reply, and there are at most MAX_CALLS."""

    def __init__(self) -> None:
        self._ids: set[str] = set()

    @property
    def count(self) -> int:
        return len(self._ids)

    def admit(self, calls: Iterable[ToolCall]) -> tuple[ToolCall, ...]:
        admitted = []
        for call in calls:
            if len(self._ids) >= MAX_CALLS:
                raise too_many()
            if not call.id or call.id in self._ids:
                call = ToolCall(new_id(), call.name, call.arguments, call.raw_arguments)
                while call.id in self._ids:  # (one chance in 36**8 a call)
                    call = ToolCall(new_id(), call.name, call.arguments, call.raw_arguments)
            self._ids.add(call.id)
            admitted.append(call)
        return tuple(admitted)


# -- OpenAI's calls in pieces -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolPiece:
    """One piece of a streamed call (an entry of `delta.tool_calls`): its `index` in the message (None when the
    server left it out), and what it brings: the ID and name (usually only in the first piece), a piece of the
    arguments' JSON text."""

    index: int | None
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class _Slot:
    index: int
    id: str = ""
    name: str = ""
    parts: list[str] = field(default_factory=list)
    size: int = 0  # bytes of the arguments so far


class ToolCallPieces:
    """Calls assembled from their pieces, by index. A piece without an index goes to the call with its ID, or
    starts a call when it brings a new ID or a name, else goes on with the last call. `take()` gives the whole
    calls, in index order, once the message has ended."""

    def __init__(self) -> None:
        self._slots: dict[int, _Slot] = {}
        self._last: _Slot | None = None

    @property
    def pending(self) -> bool:
        return bool(self._slots)

    def add(self, piece: ToolPiece) -> None:
        slot = self._slot(piece)
        if piece.id and not slot.id:
            slot.id = piece.id
        if piece.name and piece.name != slot.name:
            if len(slot.name) + len(piece.name) > MAX_LABEL:
                raise name_refused()
            slot.name += piece.name  # the first piece's name; a server that streams the name, its next part
        if piece.arguments:
            slot.size += len(piece.arguments) if piece.arguments.isascii() else len(piece.arguments.encode("utf-8", "surrogatepass"))
            if slot.size > MAX_ARGUMENTS:
                raise arguments_too_large(slot.name)
            slot.parts.append(piece.arguments)
        self._last = slot

    def _slot(self, piece: ToolPiece) -> _Slot:
        index = piece.index
        if index is None:
            if piece.id:
                index = next((s.index for s in self._slots.values() if s.id == piece.id), None)
            if index is None and self._last is not None and not piece.id and not piece.name:
                return self._last
            if index is None:
                index = max(self._slots, default=-1) + 1
        slot = self._slots.get(index)
        if slot is None:
            if len(self._slots) >= MAX_CALLS:
                raise too_many()
            slot = self._slots[index] = _Slot(index)
        return slot

    def take(self) -> list[ToolCall]:
        """The calls assembled so far, whole (their IDs as the server gave them), and a fresh start."""
        slots = [self._slots[i] for i in sorted(self._slots)]
        self._slots, self._last = {}, None
        return [call_from(s.id, s.name, "".join(s.parts)) for s in slots]
