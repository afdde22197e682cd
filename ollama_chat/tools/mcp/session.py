"""One server's protocol, over either transport: which spec era it speaks, its tools (all pages, refreshed when
they change), and calls.

Negotiation, as the 2026-07-28 revision tells a client that speaks both eras:
- stdio: send `server/discover` first. A DiscoverResult means modern; a modern error (-32022 and kin) means a
  modern server that wants another version (there is no falling back then); any other error means legacy, so
  `initialize`. A server that says nothing for PROBE_WAIT seconds (a silent legacy server, or a slow one still
  starting) is sent `initialize` too, and whichever answer makes sense first decides: a late DiscoverResult
  still wins, since a dual-era server takes the era of the first request it reads.
- HTTP: POST `server/discover` with the modern headers. 200 means modern; a body with a modern error means
  modern; any other 4xx (or a JSON-RPC error) means legacy, so `initialize` (and a new session on a 404).
Tool lists: a legacy server's `notifications/tools/list_changed` marks them stale (refreshed before the next
use); over HTTP those come on a standing GET stream we do not hold, so a legacy HTTP server that says its list
can change is asked again before each use. A modern server's lists carry `ttlMs` (0 means ask each time), and
on stdio we also open `subscriptions/listen` for its change notifications when it offers them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ollama_chat.i18n import _
import ollama_chat.tools.mcp.jsonrpc as jsonrpc
import ollama_chat.tools.mcp.wire as wire
from ollama_chat.tools.mcp.content import one_line
from ollama_chat.tools.mcp.http import LEGACY, MODERN, HttpStatusError, SessionExpired

PROBE_WAIT = 2.0  # seconds before a silent server is also sent `initialize`
MAX_PAGES = 100
MAX_LISTED = 2000
MAX_RETRIES = 3  # a modern server's "input_required" with only a requestState: retried this often


class InputRequired(Exception):
    """A modern server asked for input (elicitation, sampling, roots) that this client does not give."""

    def __init__(self, methods: list[str]) -> None:
        super().__init__(", ".join(methods))
        self.methods = methods


def _garbage(method: str, what: str) -> jsonrpc.TransportFailure:
    return jsonrpc.TransportFailure(_("its answer to {method} makes no sense ({what})").format(method=method, what=what))


def _versions_failure(supported: object) -> jsonrpc.TransportFailure:
    theirs = ", ".join(one_line(v, 20) for v in supported[:8]) if isinstance(supported, list) else "?"
    return jsonrpc.TransportFailure(_("it speaks MCP {theirs}; this client speaks {ours}").format(
        theirs=theirs or "?", ours=", ".join((*wire.MODERN_VERSIONS, *wire.LEGACY_VERSIONS))))


class Session:
    def __init__(self, transport: Any) -> None:
        self.transport = transport
        transport.on_notification = self._notified
        self.era = ""
        self.version = ""
        self.server_info = ""
        self.capabilities: Mapping[str, Any] = {}
        self.tools_stale = True
        self._fresh_until = 0.0
        self._listen: Any = None

    def _notified(self, notification: jsonrpc.Notification) -> None:
        if notification.method == "notifications/tools/list_changed":
            self.tools_stale = True

    def needs_refresh(self) -> bool:
        return self.tools_stale or time.monotonic() >= self._fresh_until

    # -- opening ----------------------------------------------------------------------------------------------

    def open(self, timeout: float) -> None:
        if self.transport.kind == "stdio":
            self._open_stdio(timeout)
        else:
            self._open_http(timeout)
        self.transport.log.note(f"speaking MCP {self.version} ({self.era}) with {self.server_info or 'the server'}")

    def _modern(self, version: str, result: Mapping[str, Any]) -> None:
        self.era, self.version = MODERN, version
        self.transport.era, self.transport.version = MODERN, version
        caps = result.get("capabilities")
        self.capabilities = caps if isinstance(caps, dict) else {}
        meta = result.get("_meta")
        info = meta.get("io.modelcontextprotocol/serverInfo") if isinstance(meta, dict) else None
        self._describe(info)

    def _legacy(self, result: Mapping[str, Any]) -> None:
        version = result.get("protocolVersion")
        if version not in wire.LEGACY_VERSIONS:
            raise _versions_failure([version] if isinstance(version, str) else None)
        self.era, self.version = LEGACY, version
        self.transport.era, self.transport.version = LEGACY, version
        caps = result.get("capabilities")
        self.capabilities = caps if isinstance(caps, dict) else {}
        self._describe(result.get("serverInfo"))
        self.transport.notify("notifications/initialized")

    def _describe(self, info: object) -> None:
        if isinstance(info, dict):
            self.server_info = one_line(f"{info.get('name', '')} {info.get('version', '')}".strip(), 80)

    def _open_stdio(self, timeout: float) -> None:
        t = self.transport
        start = time.monotonic()
        probe = t.begin("server/discover", wire.modern_params(wire.MODERN_VERSIONS[0]))
        init = None
        try:
            while True:
                if probe is not None and probe.done.is_set():
                    if probe.error is None:
                        result = probe.result
                        version = wire.pick_modern(result.get("supportedVersions"))
                        if version:
                            self._modern(version, result)
                            if init is not None:
                                t.cancel(init, "the server speaks the modern protocol")
                            self._subscribe()
                            return
                        if not wire.speaks_legacy(result.get("supportedVersions")):
                            raise _versions_failure(result.get("supportedVersions"))
                    elif isinstance(probe.error, jsonrpc.RpcError) and jsonrpc.is_modern_error(probe.error):
                        data = probe.error.data
                        raise _versions_failure(data.get("supported") if isinstance(data, dict) else None)
                    elif not isinstance(probe.error, jsonrpc.RpcError):
                        raise probe.error
                    probe = None  # a legacy server: `initialize` decides
                    if init is None:
                        init = t.begin("initialize", wire.initialize_params())
                if init is not None and init.done.is_set():
                    if init.error is None:
                        if probe is not None:
                            t.cancel(probe, "the server speaks the legacy protocol")
                        self._legacy(init.result)
                        return
                    if probe is None:
                        raise init.error
                if init is None and time.monotonic() - start >= PROBE_WAIT:
                    init = t.begin("initialize", wire.initialize_params())
                if time.monotonic() - start >= timeout:
                    raise jsonrpc.RequestTimeout()
                (probe or init).done.wait(0.05)
        except BaseException:
            for pending in (probe, init):
                if pending is not None:
                    t.cancel(pending, "the handshake failed")
            raise

    def _subscribe(self) -> None:
        """On a modern stdio connection, ask for tool-list changes (they ride a `subscriptions/listen` request
        that stays open)."""
        tools = self.capabilities.get("tools")
        if isinstance(tools, dict) and tools.get("listChanged"):
            self._listen = self.transport.begin("subscriptions/listen", wire.modern_params(
                self.version, {"notifications": {"toolsListChanged": True}}))

    def _open_http(self, timeout: float) -> None:
        t = self.transport
        version = wire.MODERN_VERSIONS[0]
        t.era, t.version = MODERN, version
        try:
            result = t.request("server/discover", wire.modern_params(version), timeout)
        except jsonrpc.RpcError as e:
            if jsonrpc.is_modern_error(e):
                data = e.data
                raise _versions_failure(data.get("supported") if isinstance(data, dict) else None) from None
            result = None
        except HttpStatusError as e:
            if e.status not in (400, 404, 405):
                raise
            result = None
        if result is not None:
            version = wire.pick_modern(result.get("supportedVersions"))
            if version:
                self._modern(version, result)
                return
            if not wire.speaks_legacy(result.get("supportedVersions")):
                raise _versions_failure(result.get("supportedVersions"))
        self._initialize_http(timeout)

    def _initialize_http(self, timeout: float) -> None:
        t = self.transport
        t.era, t.version, t.session_id = LEGACY, "", None
        self._legacy(t.request("initialize", wire.initialize_params(), timeout))

    # -- requests ---------------------------------------------------------------------------------------------

    def request(self, method: str, params: Mapping[str, Any] | None, timeout: float,
                annotated: Sequence[tuple[str, tuple[str, ...]]] = ()) -> Mapping[str, Any]:
        """The result of `method`. RpcError, TransportFailure, RequestTimeout or InputRequired."""
        renewed = False
        for _attempt in range(MAX_RETRIES + 1):
            sent = wire.modern_params(self.version, params) if self.era == MODERN else params
            try:
                result = self.transport.request(method, sent, timeout, annotated=annotated)
            except SessionExpired:
                if renewed:
                    raise
                renewed = True
                self._initialize_http(timeout)
                continue
            if self.era != MODERN or wire.result_type(result) == "complete":
                return result
            if wire.result_type(result) != "input_required":
                raise _garbage(method, _("a result of type {kind}").format(kind=one_line(result.get("resultType"), 40)))
            asked = result.get("inputRequests")
            if asked:
                methods = [one_line(r.get("method", "?"), 60) for r in asked.values() if isinstance(r, dict)] \
                    if isinstance(asked, dict) else ["?"]
                raise InputRequired(methods or ["?"])
            state = result.get("requestState")
            if not isinstance(state, str):
                raise _garbage(method, _("input is required, but it says neither what nor why"))
            params = {**(params or {}), "requestState": state}
        raise _garbage(method, _("it keeps asking to try again"))

    def list_tools(self, timeout: float) -> list[Any]:
        """Every tool, page by page (`nextCursor`), within `timeout` in all."""
        self.tools_stale = False  # a change announced while we read is not lost: it sets this again
        deadline = time.monotonic() + timeout
        tools: list[Any] = []
        cursor = None
        seen: set[str] = set()
        ttl = None
        for _page in range(MAX_PAGES):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise jsonrpc.RequestTimeout()
            params = {"cursor": cursor} if cursor is not None else ({} if self.era == MODERN else None)
            result = self.request("tools/list", params, remaining)
            page = result.get("tools")
            if not isinstance(page, list):
                raise _garbage("tools/list", _("no list of tools"))
            tools.extend(page)
            if ttl is None and isinstance(result.get("ttlMs"), (int, float)):
                ttl = max(0.0, float(result["ttlMs"])) / 1000
            cursor = result.get("nextCursor")
            if cursor is None or cursor == "" or len(tools) >= MAX_LISTED:
                break
            if not isinstance(cursor, str) or cursor in seen:
                raise _garbage("tools/list", _("its pages go round in a circle"))
            seen.add(cursor)
        tools_caps = self.capabilities.get("tools")
        if self.era == MODERN:
            self._fresh_until = time.monotonic() + (ttl or 0.0)
        elif self.transport.kind == "http" and isinstance(tools_caps, dict) and tools_caps.get("listChanged"):
            self._fresh_until = 0.0  # its notifications come on a GET stream we do not hold: read it before each use
        else:
            self._fresh_until = float("inf")  # notifications/tools/list_changed will say
        return tools

    def call_tool(self, name: str, arguments: Mapping[str, Any], timeout: float,
                  annotated: Sequence[tuple[str, tuple[str, ...]]] = ()) -> Mapping[str, Any]:
        return self.request("tools/call", {"name": name, "arguments": dict(arguments)}, timeout, annotated)

    def close(self) -> None:
        if self._listen is not None:
            with contextlib.suppress(Exception):
                self.transport.cancel(self._listen, "closing")
            self._listen = None
        self.transport.close()
