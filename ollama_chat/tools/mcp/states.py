"""What the chat is told about its MCP servers: each one's state (a line of `/mcp`), a problem worded for the
user, the tools they offer; and why a server failed, in words. The servers themselves are `manager`'s."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ollama_chat.i18n import _, ngettext
from ollama_chat.tools.base import ToolResult, ToolSpec
import ollama_chat.tools.mcp.jsonrpc as jsonrpc
from ollama_chat.tools.mcp.config import MissingVariable
from ollama_chat.tools.mcp.content import SkippedTool, one_line

NOT_STARTED, RUNNING, FAILED, STOPPED, DISABLED, INVALID = (
    "not started", "running", "failed", "stopped", "disabled", "invalid")


@dataclass(frozen=True)
class ServerState:
    """One line of `/mcp`. `error` says why it failed (or why its entry is invalid)."""

    name: str
    transport: str  # "stdio" or "http"; "" for an invalid entry
    status: str  # NOT_STARTED, RUNNING, FAILED, STOPPED, DISABLED or INVALID
    tools: int = 0
    error: str = ""
    protocol: str = ""  # the MCP version spoken, e.g. "2025-11-25"
    server_info: str = ""  # the name and version the server gives (its own claim)
    skipped: tuple[SkippedTool, ...] = ()
    log: Path | None = None


@dataclass(frozen=True)
class ServerProblem:
    """A server that could not be used just now, worded for the user (names the server); `hint` points to
    its log."""

    server: str
    message: str
    hint: str = ""


@dataclass(frozen=True)
class McpToolset:
    tools: tuple[McpTool, ...] = ()
    problems: tuple[ServerProblem, ...] = ()

    def specs(self) -> list[ToolSpec]:
        return [t.spec for t in self.tools]


class _Calls(Protocol):
    def call(self, name: str, arguments: Mapping[str, Any], *, timeout: float | None = None) -> ToolResult: ...


class McpTool:
    """A server's tool as a `tools.base.Tool`: its calls go through the servers (`manager.McpServers`)."""

    def __init__(self, servers: _Calls, spec: ToolSpec) -> None:
        self.spec = spec
        self._servers = servers

    def call(self, arguments: Mapping[str, Any], *, timeout: float | None = None) -> ToolResult:
        return self._servers.call(self.spec.name, arguments, timeout=timeout)


def failure_words(error: object, limit: float, transport: object | None) -> str:
    """Why a server failed, in words, with the lines it wrote that were not MCP (a common reason). `limit`: the
    seconds it was given; `transport`: the server's, when it has one."""
    if isinstance(error, MissingVariable):
        what = _("mcp.json uses ${{{name}}}, which is not set in the environment").format(name=error.name)
    elif isinstance(error, jsonrpc.RequestTimeout):
        what = _("no answer within {n} s").format(n=f"{limit:g}")
    elif isinstance(error, jsonrpc.RpcError):
        what = _("it answered with an error: {message}").format(message=one_line(error.message, 300) or error.code)
    elif isinstance(error, jsonrpc.TransportFailure):
        what = error.what
    else:
        what = str(error)
    garbage = getattr(transport, "garbage", 0)
    if garbage:
        what += ngettext(" (it also wrote {n} line that is not an MCP message on its output: {sample})",
                         " (it also wrote {n} lines that are not MCP messages on its output, the first: {sample})",
                         garbage).format(n=garbage, sample=transport.garbage_sample)  # type: ignore[union-attr]
    return what
