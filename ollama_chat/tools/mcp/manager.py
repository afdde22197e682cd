"""The configured MCP servers, as the chat sees them: started only when their tools are first wanted (never at
import, never before the prompt), each with a state for `/mcp`, and a failure of one (it will not start, it
dies, hangs or talks nonsense) reported by name as a value while the others go on. `close()` stops them all.

Servers start in parallel threads (a start may take seconds: `npx` fetching a package); Ctrl+C while they start
stops the ones still starting and leaves them "not started". A server that dies after it was running is
started again on its next use, at most MAX_RESTARTS times a chat; one that failed to start stays failed until
`restart(name)`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ollama_chat.i18n import _
from ollama_chat.tools.base import ToolResult
import ollama_chat.tools.mcp.jsonrpc as jsonrpc
from ollama_chat.tools.mcp.config import HttpServer, McpConfig, MissingVariable, ServerConfig, config_path, \
    expand, load_config
from ollama_chat.tools.mcp.content import RemoteTool, SkippedTool, one_line, tool_result, tool_specs
from ollama_chat.tools.mcp.logfile import ServerLog
from ollama_chat.tools.mcp.session import InputRequired, Session
from ollama_chat.tools.mcp.states import (DISABLED, FAILED, INVALID, NOT_STARTED, RUNNING, STOPPED, McpTool,
                                          McpToolset, ServerProblem, ServerState, failure_words)

START_TIMEOUT = 60.0  # a first `npx -y` may download for a while
LIST_TIMEOUT = 30.0
CALL_TIMEOUT = 120.0
MAX_RESTARTS = 2


@dataclass
class _Server:
    config: ServerConfig
    log: ServerLog
    status: str = NOT_STARTED
    error: str = ""
    session: Session | None = None
    tools: dict[str, RemoteTool] = field(default_factory=dict)
    skipped: list[SkippedTool] = field(default_factory=list)
    restarts: int = 0
    ever_ran: bool = False


class McpServers:
    def __init__(self, config: McpConfig, env: Mapping[str, str], *, start_timeout: float = START_TIMEOUT,
                 list_timeout: float = LIST_TIMEOUT, call_timeout: float = CALL_TIMEOUT) -> None:
        from ollama_chat.paths import state_dir

        self.config = config
        self.env = dict(env)
        self.start_timeout, self.list_timeout, self.call_timeout = start_timeout, list_timeout, call_timeout
        logs = state_dir(env) / "mcp"
        self._servers = {s.name: _Server(s, ServerLog(logs / f"{s.name}.log")) for s in config.servers}
        self._by_tool: dict[str, tuple[_Server, RemoteTool]] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, env: Mapping[str, str], **timeouts: float) -> McpServers:
        """The servers of `mcp.json` in our config folder (none when there is no file). McpConfigError."""
        return cls(load_config(config_path(env)), env, **timeouts)

    def names(self) -> list[str]:
        return list(self._servers)

    def states(self) -> list[ServerState]:
        """Every configured server, as it is now (one that died since its last use shows as failed)."""
        for server in self._servers.values():
            if server.status == RUNNING and not server.session.transport.alive:  # type: ignore[union-attr]
                self._lost(server, self._failure_of(server))
        states = [ServerState(s.config.name, "http" if isinstance(s.config, HttpServer) else "stdio", s.status,
                              len(s.tools), s.error, s.session.version if s.session and s.status == RUNNING else "",
                              s.session.server_info if s.session else "", tuple(s.skipped), s.log.path)
                  for s in self._servers.values()]
        states += [ServerState(name, "", DISABLED) for name in self.config.disabled]
        states += [ServerState(p.server, "", INVALID, error=p.message) for p in self.config.problems]
        return states

    # -- tools ------------------------------------------------------------------------------------------------

    def tools(self, names: Iterable[str] | None = None) -> McpToolset:
        """The tools of the named servers (all of them by default), starting those not yet started and
        re-reading lists that changed. Servers that fail are in `problems`; the others' tools are there."""
        wanted = [self._servers[n] for n in (self._servers if names is None else names) if n in self._servers]
        problems: list[ServerProblem] = []
        for server in wanted:
            if server.status == RUNNING and not server.session.transport.alive:  # type: ignore[union-attr]
                self._lost(server, self._failure_of(server))
                problems.append(self._problem(server, _("MCP server '{name}' stopped: {what}")))
        to_start = [s for s in wanted if s.status in (NOT_STARTED, STOPPED)
                    or (s.status == FAILED and s.ever_ran and s.restarts < MAX_RESTARTS)]
        self._start_all(to_start)
        for server in to_start:
            if server.status == FAILED:
                problems.append(self._problem(server, _("MCP server '{name}' could not be started: {what}")))
        for server in wanted:
            if server.status == RUNNING and server not in to_start and server.session.needs_refresh():  # type: ignore[union-attr]
                try:
                    self._list(server)
                except KeyboardInterrupt:
                    raise
                except Exception as e:  # noqa: BLE001 - whatever a server did, it is this server's problem
                    self._lost(server, self._words(server, e, self.list_timeout))
                    problems.append(self._problem(server, _("MCP server '{name}' stopped working: {what}")))
        tools = [McpTool(self, rt.spec) for s in wanted if s.status == RUNNING for rt in s.tools.values()]
        return McpToolset(tuple(tools), tuple(problems))

    def call(self, name: str, arguments: Mapping[str, Any], *, timeout: float | None = None) -> ToolResult:
        """Run one tool. Never raises but KeyboardInterrupt (which cancels the call): a failure is a ToolResult
        with `is_error`, worded for the model and the user alike."""
        found = self._by_tool.get(name)
        owner = self._servers.get(name.split("__", 1)[0])
        if found is None and owner is not None:
            if owner.status != RUNNING or owner.session.needs_refresh():  # type: ignore[union-attr]
                self.tools([owner.config.name])  # not started yet, or a tool announced since we read its list
            found = self._by_tool.get(name)
            if found is None and owner.status != RUNNING:
                return ToolResult(_("MCP server '{name}' is not running: {what}").format(
                    name=owner.config.name, what=owner.error or owner.status), is_error=True)
        if found is None:
            return ToolResult(_("There is no MCP tool called {name}.").format(name=one_line(name, 80)), is_error=True)
        server, remote = found
        label = server.config.name
        if server.status != RUNNING or not server.session.transport.alive:  # type: ignore[union-attr]
            self.tools([label])
            if server.status != RUNNING or remote.spec.name not in server.tools:
                return ToolResult(_("MCP server '{name}' is not running: {what}").format(
                    name=label, what=server.error or "?"), is_error=True)
        session = server.session
        assert session is not None
        limit = timeout or server.config.timeout or self.call_timeout
        try:
            result = session.call_tool(remote.remote_name, arguments, limit, remote.param_headers)
        except jsonrpc.RequestTimeout:
            return ToolResult(self._words(server, _("MCP server '{name}' gave no answer within {n} s; the call was "
                                                    "cancelled").format(name=label, n=f"{limit:g}"), limit), is_error=True)
        except jsonrpc.RpcError as e:
            if e.code in (jsonrpc.METHOD_NOT_FOUND, jsonrpc.INVALID_PARAMS):
                session.tools_stale = True  # the tool may have changed; read the list again before the next use
            return ToolResult(_("MCP server '{name}' refused the call: {message}").format(
                name=label, message=one_line(e.message, 500) or e.code), is_error=True)
        except InputRequired as e:
            return ToolResult(_("MCP server '{name}' asked for more input ({what}), which this client does not "
                                "give.").format(name=label, what=", ".join(e.methods)), is_error=True)
        except jsonrpc.TransportFailure as e:
            self._lost(server, self._words(server, e.what, limit))
            return ToolResult(_("MCP server '{name}' stopped working during the call: {what}").format(
                name=label, what=server.error), is_error=True)
        except (TypeError, ValueError) as e:  # arguments that cannot be sent as JSON
            return ToolResult(_("The call to {name} could not be sent: {reason}").format(
                name=remote.spec.name, reason=one_line(e, 200)), is_error=True)
        try:
            return tool_result(result)
        except ValueError:
            return ToolResult(_("MCP server '{name}' answered the call with something that is not a tool result.").format(
                name=label), is_error=True)

    # -- life -------------------------------------------------------------------------------------------------

    def restart(self, name: str) -> None:
        """Stop `name` if it runs; it starts again on its next use."""
        server = self._servers[name]
        self._close(server)
        server.status, server.error, server.restarts, server.ever_ran = NOT_STARTED, "", 0, False

    def stop(self, name: str) -> None:
        server = self._servers[name]
        if server.session is not None:
            self._close(server)
            server.status = STOPPED

    def close(self) -> None:
        """Stop every server (in parallel: each may take a moment to leave)."""
        threads = [threading.Thread(target=self._close, args=(s,), daemon=True)
                   for s in self._servers.values() if s.session is not None]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s in self._servers.values():
            if s.status == RUNNING:
                s.status = STOPPED

    def __enter__(self) -> McpServers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inside -----------------------------------------------------------------------------------------------

    def _start_all(self, servers: list[_Server]) -> None:
        if not servers:
            return
        threads = [threading.Thread(target=self._start, args=(s,), name=f"mcp-start-{s.config.name}", daemon=True)
                   for s in servers]
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.1)
        except KeyboardInterrupt:
            for s in servers:
                if s.session is not None and s.status != RUNNING:
                    s.session.transport.close()  # the start thread then fails at once
            for t in threads:
                t.join()
            for s in servers:
                if s.status != RUNNING:
                    self._close(s)
                    s.status, s.error = NOT_STARTED, ""
            raise

    def _start(self, server: _Server) -> None:
        if server.ever_ran:
            server.restarts += 1
        server.tools, server.skipped = {}, []
        try:
            session = Session(self._transport(server))
        except (MissingVariable, ValueError) as e:
            server.status, server.error = FAILED, self._words(server, e, 0)
            return
        server.session = session
        try:
            session.transport.start()
            session.open(self.start_timeout)
            self._list(server)
        except Exception as e:  # noqa: BLE001 - reported as this server's failure
            server.error = self._words(server, e, self.start_timeout)
            self._close(server)
            server.status = FAILED
            return
        server.status, server.error, server.ever_ran = RUNNING, "", True

    def _transport(self, server: _Server) -> Any:
        from ollama_chat.tools.mcp.http import HttpTransport
        from ollama_chat.tools.mcp.stdio import StdioTransport, server_environment

        config = server.config
        log = server.log
        if isinstance(config, HttpServer):
            log.open(f"connecting to {config.url}")
            return HttpTransport(expand(config.url, self.env),
                                 {k: expand(v, self.env) for k, v in config.headers.items()}, log, lambda n: None)
        argv = [expand(config.command, self.env), *(expand(a, self.env) for a in config.args)]
        env = server_environment(self.env, {k: expand(v, self.env) for k, v in config.env.items()})
        cwd = os.path.expanduser(expand(config.cwd, self.env)) if config.cwd else None
        log.open(f"starting {' '.join(argv)[:1000]}")
        return StdioTransport(argv, env, cwd, log, lambda n: None)

    def _list(self, server: _Server) -> None:
        session = server.session
        assert session is not None
        listed = session.list_tools(self.list_timeout)
        kept, skipped = tool_specs(server.config.name, listed, network=isinstance(server.config, HttpServer))
        with self._lock:  # servers start in parallel threads
            for name in [n for n, (owner, _rt) in self._by_tool.items() if owner is server]:
                del self._by_tool[name]
            server.tools = {rt.spec.name: rt for rt in kept}
            server.skipped = skipped
            for rt in kept:
                self._by_tool[rt.spec.name] = (server, rt)
        for s in skipped:
            server.log.note(f"tool {s.name!r} not offered: {s.reason}")

    def _lost(self, server: _Server, why: str) -> None:
        self._close(server)
        server.status, server.error, server.tools = FAILED, why, {}

    def _close(self, server: _Server) -> None:
        session = server.session
        if session is not None:
            try:
                session.close()
            except Exception:  # noqa: BLE001,S110 - closing is best effort
                pass
            server.log.close()
        with self._lock:
            for name in [n for n, (owner, _rt) in self._by_tool.items() if owner is server]:
                del self._by_tool[name]

    def _failure_of(self, server: _Server) -> str:
        failure = server.session.transport.failure if server.session else ""
        return self._words(server, failure or _("it stopped"), 0)

    def _words(self, server: _Server, error: object, limit: float) -> str:
        return failure_words(error, limit, server.session.transport if server.session else None)

    def _problem(self, server: _Server, message: str) -> ServerProblem:
        return ServerProblem(server.config.name, message.format(name=server.config.name, what=server.error),
                             _("Its log: {path}").format(path=server.log.path))
