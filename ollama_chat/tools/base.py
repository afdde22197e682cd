"""What every tool is, whatever runs it (built in, or an MCP server): its offer to the model, a call the model
made, and what came back. Plain values; the turn loop, the approval prompt and the store pass them around."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ollama_chat.types import ToolCall, ToolSpec

__all__ = ["TOOL_NAME", "Source", "Tool", "ToolCall", "ToolResult", "ToolSpec"]

TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what both wire formats accept as a function name


@dataclass(frozen=True)
class Source:
    """A page a web tool read, listed under the reply that used it."""

    title: str
    url: str


@dataclass(frozen=True)
class ToolResult:
    """What a call gave back: `text` goes to the model (framed there as data, never as instructions);
    `is_error` when the tool failed; `notes` name what could not be passed on (an image, a resource)."""

    text: str
    is_error: bool = False
    notes: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()


class Tool(Protocol):
    spec: ToolSpec

    def call(self, arguments: Mapping[str, Any], *, timeout: float) -> ToolResult:
        """Run once. Raises KeyboardInterrupt through (Ctrl+C stops the call); every other failure is a
        ToolResult with `is_error`."""
        ...
