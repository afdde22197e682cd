"""Why the chat will not send something, as facts: the surface that shows it words the message and the hint
(`ui.wording`: /set num_ctx in the chat, --num-ctx on the command line). Nothing here is worded."""

from __future__ import annotations

from dataclasses import dataclass

from ollama_chat.chat.context import Plan


@dataclass(frozen=True)
class TooBig:
    """A file that cannot fit the context window beside the system prompt (and the other attachments)."""

    name: str
    tokens: int  # the file's estimated cost
    room: int  # what the window leaves for it
    window: int
    model: str
    others: bool  # other attachments wait beside it
    bigger: int | None  # a num_ctx that would hold it (None: the model has none)
    fixed: bool  # the server set the window when it started: no num_ctx changes it


@dataclass(frozen=True)
class CannotSee:
    """Images for a model that says it cannot see them, and installed models that can."""

    model: str
    seeing: tuple[str, ...] = ()
    waiting: bool = False  # the image already waits for the next question (the model changed since)


@dataclass(frozen=True)
class NotSent:
    """A question that, with the system prompt (and the /compact summary), does not fit the window."""

    plan: Plan
    model: str
    fixed: bool
    bigger: int | None  # a num_ctx that would hold it (None: the model has none)


Refusal = TooBig | CannotSee | NotSent
