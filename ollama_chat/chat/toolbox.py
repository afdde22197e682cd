"""The tools of one chat: the built-ins turned on (`--tools read,web`, `/tools on`, the config or a persona) and
the MCP servers chosen (`--mcp NAME`). Built when first offered to the model, never before the prompt: an MCP
server starts then, and one that fails is reported by name while the others (and the chat) go on."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ollama_chat.i18n import _
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
                problems = self._server_tools(tools)
                self._started.update(self.servers)
            self._tools = tools
        return self._tools, problems

    def _server_tools(self, tools: dict[str, Tool]) -> tuple[ServerProblem, ...]:
        """The chosen servers' tools into `tools`; what went wrong, by server (a name mcp.json lacks, an
        mcp.json that cannot be read, a server that would not start)."""
        from ollama_chat.errors import ChatError
        from ollama_chat.tools.mcp.states import ServerProblem

        try:
            servers = self.mcp()
        except ChatError as e:  # mcp.json unreadable: said, and the other tools go on
            return (ServerProblem("mcp.json", e.message, e.hint),)
        known = servers.names()
        missing = tuple(ServerProblem(n, _("There is no MCP server named '{name}' in {path} (it has: {names}).").format(
            name=n, path=servers.config.path, names=", ".join(known) or "-")) for n in self.servers if n not in known)
        toolset = servers.tools(n for n in self.servers if n in known)
        tools.update((t.spec.name, t) for t in toolset.tools)
        return missing + toolset.problems

    def specs(self) -> tuple[ToolSpec, ...]:
        return tuple(t.spec for t in self.tools()[0].values())

    def mcp(self, fresh: bool = False) -> McpServers:
        """The MCP servers as configured (none started by this). `fresh`: read mcp.json again, unless a server
        was started from it already (/mcp and /tools on see an mcp.json written during the chat)."""
        if fresh and not self._started and self._mcp is not None:
            self._mcp.close()
            self._mcp = None
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


@dataclass(frozen=True)
class ToolPlace:
    """Where a chat's tools act: the folder it was started in (the file tools see nothing outside it), the
    Ollama host whose web search proxy is tried first (None for another server), and the environment
    (OLLAMA_API_KEY, the config folder's mcp.json, what an MCP server's variables expand from)."""

    root: str
    host: str | None
    environ: Mapping[str, str]


def toolbox_for(builtins: Sequence[str], servers: Sequence[str], place: ToolPlace,
                budget: Callable[[], int], tokens: Callable[[str], int]) -> ToolBox:
    """A chat's toolbox; nothing is imported or started until the tools are first offered."""

    def make_builtins(names: Sequence[str]) -> tuple[Tool, ...]:
        from ollama_chat.tools.builtin import build

        return build(names, root=place.root, host=place.host, env=place.environ, budget=budget, tokens=tokens)

    def open_servers() -> McpServers:
        from ollama_chat.tools.mcp.manager import McpServers

        return McpServers.load(place.environ)

    return ToolBox(builtins, servers, make_builtins, open_servers)
