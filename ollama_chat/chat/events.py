"""What the chat needs from whoever shows it, as small protocols: events go out (a reply's pieces, our own
messages, a pull's progress), and the surfaces implement them (`ui` on a terminal, the plain writer for pipes).
The chat never imports `ui`; `ui` imports these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ollama_chat.chat.refusals import Refusal
from ollama_chat.errors import ChatError
from ollama_chat.types import PullProgress, Stats, ToolCall, ToolSpec

if TYPE_CHECKING:  # named in annotations only: a question without tools does not import them
    from ollama_chat.tools.base import Source


class Reply(Protocol):
    """One reply being drawn."""

    def thinking(self, text: str) -> None: ...

    def content(self, text: str) -> None: ...

    def finish(self, stats: Stats | None = None, *, interrupted: bool = False) -> None:
        """Called once at the end, however it ends: draws the final state, so a reply that failed midway stays
        shown (the caller prints the error after it). `interrupted` adds a visible mark."""
        ...


class Output(Protocol):
    """Where replies are drawn; chosen once per process."""

    hide_thinking: bool

    def reply(self, *, language: str | None = None, waiting: str = "", show_stats: bool = False) -> Reply:
        """A new reply. `language` (e.g. "json" for structured output): show the text as code in that language,
        not as Markdown. `waiting`: what to show until the first chunk arrives (a model can take minutes to
        load). `show_stats`: draw the server's figures after it (the session's setting, passed per reply)."""
        ...


class Notify(Protocol):
    def say(self, text: str, style: str = "notice") -> None:
        """Our own message; untrusted text inside it must already be sanitised."""
        ...

    def error(self, error: ChatError) -> None: ...

    def refused(self, refusal: Refusal) -> None:
        """Something was not sent or not attached: the surface words why, and what to do, in its own terms."""
        ...


class Display(Protocol):
    def update(self, step: PullProgress) -> None: ...

    def close(self) -> None: ...


# -- tools: shown before they run, asked for, and what came back ----------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The user's answer to a tool call: run it "once", "always" (this tool, for the rest of the chat), or
    "refuse" it; `arguments` when they edited them (run with those instead); `why` a refusal's reason for the
    model when it was not the user's keypress (no terminal to ask on)."""

    answer: str
    arguments: Mapping[str, Any] | None = None
    why: str = ""


@dataclass(frozen=True)
class ToolOutcome:
    """One call, as it ended: `status` "done", "error", "refused", "unknown" (no such tool), "bad arguments" or
    "interrupted"; `text` what went back to the model (cut to fit), `size` the characters the tool gave."""

    call: ToolCall
    spec: ToolSpec | None
    status: str
    text: str = ""
    size: int = 0
    tokens: int = 0
    arguments: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    result: str = ""  # the tool's text as it came, before it was cut for the model (for /tools last)


class ToolDesk(Protocol):
    """Where tool calls are shown and decided: the REPL asks with a keypress; a one-shot without a terminal
    refuses what needs asking."""

    def show(self, call: ToolCall, spec: ToolSpec, *, approved: bool) -> None:
        """Before it runs: the tool, its server, its arguments (sanitised), and whether it is pre-approved."""
        ...

    def ask(self, call: ToolCall, spec: ToolSpec) -> Decision:
        """The user's answer; KeyboardInterrupt (Ctrl+C at the question) refuses and stops the loop."""
        ...

    def done(self, outcome: ToolOutcome) -> None: ...
