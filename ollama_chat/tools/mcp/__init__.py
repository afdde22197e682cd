"""MCP servers as tools: the `mcpServers` configuration (config.py), a small synchronous client of our own
speaking JSON-RPC over stdio (stdio.py) and streamable HTTP (http.py) in both spec eras (session.py), and the
manager the chat talks to (manager.py). Nothing here starts a server until its tools are first wanted, and
nothing imports the official `mcp` SDK, which is a test dependency only.

    servers = McpServers.load(env)          # reads mcp.json (McpConfigError if it is unusable); starts nothing
    toolset = servers.tools()               # starts the servers, lists their tools; failures in .problems
    result = servers.call("files__read", {"path": "notes.md"}, timeout=30)
    servers.states()                        # for /mcp
    servers.close()
"""

from ollama_chat.tools.mcp.config import ConfigProblem, HttpServer, McpConfig, McpConfigError, StdioServer, \
    config_path, load_config, parse_config
from ollama_chat.tools.mcp.manager import DISABLED, FAILED, INVALID, NOT_STARTED, RUNNING, STOPPED, McpServers, \
    McpTool, McpToolset, ServerProblem, ServerState

__all__ = ["ConfigProblem", "HttpServer", "McpConfig", "McpConfigError", "StdioServer", "config_path",
           "load_config", "parse_config", "DISABLED", "FAILED", "INVALID", "NOT_STARTED", "RUNNING", "STOPPED",
           "McpServers", "McpTool", "McpToolset", "ServerProblem", "ServerState"]
