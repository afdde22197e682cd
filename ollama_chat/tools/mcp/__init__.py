"""MCP servers as tools: the `mcpServers` configuration (config.py), a small synchronous client of our own
speaking JSON-RPC over stdio (stdio.py) and streamable HTTP (http.py) in both spec eras (session.py), and the
manager the chat talks to (manager.py), with what it tells of each server (states.py). Nothing here starts a
server until its tools are first wanted, and nothing imports the official `mcp` SDK, which is a test
dependency only.

    servers = McpServers.load(env)          # reads mcp.json (McpConfigError if it is unusable); starts nothing
    toolset = servers.tools()               # starts the servers, lists their tools; failures in .problems
    result = servers.call("files__read", {"path": "notes.md"}, timeout=30)
    servers.states()                        # for /mcp
    servers.close()

The names below are imported when first used, so `import ollama_chat.tools.mcp.config` alone (to check
`--mcp NAME` at start, say) does not load the client.
"""

from __future__ import annotations

from typing import Any

_WHERE = {
    **dict.fromkeys(("ConfigProblem", "HttpServer", "McpConfig", "McpConfigError", "StdioServer", "config_path",
                     "load_config", "parse_config"), "config"),
    **dict.fromkeys(("DISABLED", "FAILED", "INVALID", "NOT_STARTED", "RUNNING", "STOPPED", "McpTool", "McpToolset",
                     "ServerProblem", "ServerState"), "states"),
    "McpServers": "manager",
}
__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
