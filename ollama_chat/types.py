"""The small typed values that cross module borders: messages, exchanges, stream events, stats, model facts.

Nothing here does I/O or knows a wire format; backends map their JSON to these and back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class Attached:
    """A file or image brought into a question, as the screen, /history and the store name it."""

    name: str  # as the user gave it
    size: int  # bytes on disk
    kind: Literal["file", "image"] = "file"


@dataclass(frozen=True)
class ToolSpec:
    """A tool as offered to the model: `parameters` is a JSON Schema object."""

    name: str
    description: str
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    source: str = "builtin"  # "builtin", or the MCP server's configured name
    read_only_hint: bool | None = None  # what an MCP server claims (shown to the user, never trusted)
    network: bool = False  # it reaches the network (web search, an HTTP MCP server)


@dataclass(frozen=True)
class ToolCall:
    """One call the model asked for. `arguments` is the decoded JSON object; `raw_arguments` the text as
    received when it was not a valid JSON object (then `arguments` is empty and the call is answered with an
    error, never run)."""

    id: str
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    raw_arguments: str | None = None


@dataclass(frozen=True)
class Message:
    """One chat message. `images` are base64 strings (Ollama's wire form). An assistant message may carry the
    `tool_calls` it made (and the `thinking` before them, which Ollama's templates want back within the turn); a
"tool" message is one call's result, with the call's `tool_call_id` and `tool_name`.

    A question with attachments: `content` is what the model receives (each file in a fenced block, then the
    words), `typed` the words alone and `attached` what was brought in, for everything a person reads."""

    role: Role
    content: str
    images: tuple[str, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str = ""  # role "tool": the call this answers
    tool_name: str = ""  # role "tool": the tool that answered
    typed: str | None = None  # None: the words are the content
    attached: tuple[Attached, ...] = ()
    thinking: str = ""  # an assistant message with tool calls: its thinking, sent back with them in the same turn

    @property
    def words(self) -> str:
        return self.content if self.typed is None else self.typed


@dataclass(frozen=True)
class Stats:
    """What the server reports when a reply ends. Durations are nanoseconds (Ollama's unit); absent means 0."""

    done_reason: str = ""
    eval_count: int = 0
    eval_duration: int = 0
    prompt_eval_count: int = 0
    prompt_eval_duration: int = 0
    load_duration: int = 0
    total_duration: int = 0

    @property
    def tokens_per_second(self) -> float | None:
        if not self.eval_count or not self.eval_duration:
            return None
        return self.eval_count / self.eval_duration * 1e9

    @property
    def cut_by_length(self) -> bool:
        return self.done_reason == "length"


@dataclass(frozen=True)
class ChatEvent:
    """One piece of a streamed reply: a content delta, a thinking delta, whole tool calls (a backend that gets
    them in pieces assembles them first), or (with `stats`) the end."""

    content: str = ""
    thinking: str = ""
    stats: Stats | None = None
    tool_calls: tuple[ToolCall, ...] = ()

    @property
    def done(self) -> bool:
        return self.stats is not None


@dataclass(frozen=True)
class Exchange:
    """A question and the reply to it, as kept in the conversation's log. Thinking is never kept."""

    question: Message
    reply: str
    model: str  # the model that wrote this reply (it may differ from exchange to exchange)
    stats: Stats | None = None
    interrupted: bool = False
    steps: tuple[Message, ...] = ()  # before the reply: the assistant's tool calls and the tools' results, in order
    # its row in the conversation store, once stored: what /undo deletes (never another window's exchange)
    stored_id: int | None = field(default=None, compare=False)

    @property
    def messages(self) -> tuple[Message, ...]:
        """As sent again with a later question: the question, the tool round trips, the reply."""
        return self.question, *self.steps, Message("assistant", self.reply)

    def stored_as(self, row: int) -> Exchange:
        """This exchange with its row ID: a copy made field by field at once (an import of 100,000 exchanges
        makes 100,000; dataclasses.replace would cost it half a second)."""
        copy = object.__new__(Exchange)
        copy.__dict__.update(self.__dict__, stored_id=row)
        return copy


@dataclass(frozen=True)
class ChatRequest:
    """Everything a backend needs for one reply, in our terms (the backend maps it to its wire format)."""

    model: str
    messages: tuple[Message, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    format: str | Mapping[str, Any] | None = None
    think: bool | str | None = None
    keep_alive: str | int | None = None
    stream: bool = True
    truncate: bool = False  # False: a prompt over the window is refused, never silently cut
    tools: tuple[ToolSpec, ...] = ()  # offered to the model (only to one that says it can call tools)


@dataclass(frozen=True)
class ModelInfo:
    """What a server says about one model."""

    name: str
    context_length: int | None = None  # the most the model supports, when the server says
    bad_window: str = ""  # what the server gave as the window when it cannot be one ("-1", "0", "'big'"), shown
    capabilities: tuple[str, ...] = ()
    family: str = ""
    parameter_size: str = ""
    quantization: str = ""
    size: int = 0  # bytes on disk
    modified: str = ""  # when it was pulled or changed (ISO 8601, as the server says)


@dataclass(frozen=True)
class PullProgress:
    """One step of a pull: a status line, and for a layer being downloaded, its bytes."""

    status: str
    total: int = 0
    completed: int = 0
