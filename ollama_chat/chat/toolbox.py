"""The tools of one chat: the built-ins turned on (`--tools read,web`, `/tools on`, the config or a persona) and
the MCP servers chosen (`--mcp NAME`). Built when first offered to the model, never before the prompt: an MCP
server starts then, and one that fails is reported by name while the others (and the chat) go on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ollama_chat.tools.base import Tool
from ollama_chat.types import ToolSpec

if TYPE_CHECKING:
    from ollama_chat.tools.mcp.manager import McpServers, ServerProblem, ServerState


class ToolBox:
    def __init__(self, builtins: Sequence[str] = (), servers: Sequence[str] = (),
                 make_builtins: Callable[[Sequence[str]], tuple[Tool, ...]] = lambda names: (),
                 open_servers: Callable[[], McpServers] | None = None) -> None:
        """`make_builtins(names)` builds the built-in tools named; `open_servers()` reads the MCP configuration
        (and starts nothing)."""
        self.builtins = tuple(builtins)
        self.servers = tuple(servers)
        self._make_builtins = make_builtins
        self._open_servers = open_servers
        self._mcp: McpServers | None = None
        self._tools: dict[str, Tool] | None = None
        self._started: set[str] = set()  # MCP servers whose tools were asked for

    @property
    def on(self) -> bool:
        return bool(self.builtins or self.servers)

    def choose(self, builtins: Sequence[str], servers: Sequence[str] | None = None) -> None:
        """`/tools on NAMES` and `/tools off` (empty): the tools offered from the next question on."""
        self.builtins = tuple(builtins)
        if servers is not None:
            self.servers = tuple(servers)
        self._tools = None

    def tools(self) -> tuple[dict[str, Tool], tuple[ServerProblem, ...]]:
        """The tools to offer now, by name, and the MCP servers that failed to give theirs (reported once each
        by the caller). Built once; MCP servers start here, the first time."""
        problems: tuple[ServerProblem, ...] = ()
        if self._tools is None:
            tools = {t.spec.name: t for t in self._make_builtins(self.builtins)}
            if self.servers:
                toolset = self.mcp().tools(self.servers)
                tools.update((t.spec.name, t) for t in toolset.tools)
                problems = toolset.problems
                self._started.update(self.servers)
            self._tools = tools
        return self._tools, problems

    def specs(self) -> tuple[ToolSpec, ...]:
        return tuple(t.spec for t in self.tools()[0].values())

    def mcp(self) -> McpServers:
        """The MCP servers as configured (none started by this)."""
        if self._mcp is None:
            if self._open_servers is None:
                raise LookupError("no MCP configuration")
            self._mcp = self._open_servers()
        return self._mcp

    def mcp_states(self) -> list[ServerState]:
        return self.mcp().states() if self._open_servers is not None else []

    def close(self) -> None:
        if self._mcp is not None:
            self._mcp.close()
