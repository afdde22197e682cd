"""Real MCP servers for the client's tests, written with the official `mcp` SDK's server API (a test dependency
only). Run as a program:

    python mcp_server.py stdio              the SDK's dual-era server (2026-07-28 and the initialize handshake)
    python mcp_server.py cached             the same, its tool list fresh for an hour (ttlMs)
    python mcp_server.py legacy             the same tools, handshake era only (as servers before 2026 are)
    python mcp_server.py paging             many tools, listed in pages (the low-level server API)
    python mcp_server.py http PORT          streamable HTTP on 127.0.0.1:PORT/mcp, both eras
    python mcp_server.py http-legacy PORT   streamable HTTP that refuses the modern revision, as older servers do

The tools: echo, fail (raises: an isError result), picture (text and an image), mixed (every kind of content),
structured (structuredContent only), add_tool (a new tool appears; list_changed is announced), crash (the
process exits mid-call), hang (sleeps until cancelled; says so on stderr), flood (a lot on stderr mid-call),
babble (lines that are not JSON-RPC on stdout mid-call), env (the environment it was given), whoami (the HTTP
headers it was sent), ask_client (pings the client and asks it for roots and sampling, mid-call), chatter (a log
notification and progress before the answer). Each says on stderr what it does, so a test can wait for that in the server's log.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import (AudioContent, EmbeddedResource, ImageContent, ResourceLink, TextContent,
                       TextResourceContents)

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def build(cached: bool = False) -> MCPServer:
    """`cached`: tool lists are fresh for an hour (`ttlMs`), so only a change notification makes a 2026-07-28
    client read them again."""
    from mcp.server import CacheHint

    hints = {"tools/list": CacheHint(ttl_ms=3_600_000)} if cached else None
    mcp = MCPServer("test-server", version="1.2.3", instructions="A server for tests.", cache_hints=hints)

    @mcp.tool(annotations={"readOnlyHint": True})
    def echo(text: str) -> str:
        """Say the text back."""
        return text

    @mcp.tool()
    def fail(why: str) -> str:
        """Always fails."""
        raise ValueError(f"it broke: {why}")

    @mcp.tool(annotations={"readOnlyHint": False, "destructiveHint": True})
    def picture() -> list[Any]:
        """A caption and an image."""
        return [TextContent(type="text", text="a red dot"), ImageContent(type="image", data=PNG, mime_type="image/png")]

    @mcp.tool()
    def mixed() -> list[Any]:
        """Every kind of content."""
        return [TextContent(type="text", text="first"),
                AudioContent(type="audio", data="UklGRg==", mime_type="audio/wav"),
                EmbeddedResource(type="resource", resource=TextResourceContents(
                    uri="file:///notes.md", mime_type="text/markdown", text="# Notes")),
                ResourceLink(type="resource_link", uri="file:///big.bin", name="big.bin")]

    @mcp.tool()
    def structured(city: str) -> dict[str, Any]:
        """Weather as structured content."""
        return {"city": city, "celsius": 21}

    @mcp.tool()
    async def add_tool(ctx: Context) -> str:
        """Adds the tool `added`."""

        def added() -> str:
            """A tool that was not there at first."""
            return "I am new"

        mcp.add_tool(added, name="added")
        say("tool added")
        await ctx.notify_tools_changed()  # modern clients: subscriptions/listen
        await ctx.session.send_tool_list_changed()  # legacy clients
        return "added"

    @mcp.tool()
    def crash() -> str:
        """The process dies mid-call."""
        say("crashing")
        os._exit(3)

    @mcp.tool()
    async def hang(seconds: float = 3600) -> str:
        """Sleeps (until cancelled)."""
        say("hang started")
        try:
            await anyio.sleep(seconds)
        except anyio.get_cancelled_exc_class():
            say("hang cancelled")
            raise
        return "woke up"

    @mcp.tool()
    def flood(kib: int) -> str:
        """Writes `kib` KiB to stderr, far more than a pipe holds."""
        line = "x" * 1023 + "\n"
        for _ in range(kib):
            sys.stderr.write(line)
        sys.stderr.write("flood done\n")
        sys.stderr.flush()
        return f"wrote {kib} KiB"

    @mcp.tool()
    def babble() -> str:
        """Writes lines that are not JSON-RPC on stdout, then answers."""
        from mcp.server import stdio

        claim = stdio._claims.get(1)  # the SDK moves fd 1 to stderr to protect the wire; this writes on the wire
        wire = claim.private_fd if claim is not None and claim.private_fd is not None else 1
        os.write(wire, b"hello, this is not JSON\n{\"not\": \"json-rpc\"}\n[1, 2, 3]\n")
        return "said some nonsense"

    @mcp.tool()
    def env() -> dict[str, str]:
        """The environment this server was started with."""
        return dict(os.environ)

    @mcp.tool()
    async def ask_client(ctx: Context) -> str:
        """Sends the client a ping, then asks it for roots and for a completion (sampling), mid-call."""
        from mcp.shared.message import ServerMessageMetadata
        from mcp.types import EmptyResult, ListRootsRequest, ListRootsResult, PingRequest, SamplingMessage

        related = ServerMessageMetadata(related_request_id=ctx.request_id)  # over HTTP: on this call's stream

        outcomes = []
        for name, ask in (("ping", lambda: ctx.session.send_request(PingRequest(), EmptyResult, metadata=related)),
                          ("roots", lambda: ctx.session.send_request(ListRootsRequest(), ListRootsResult,
                                                                     metadata=related)),
                          ("sampling", lambda: ctx.session.create_message(
                              [SamplingMessage(role="user", content=TextContent(type="text", text="hi"))], max_tokens=5,
                              related_request_id=ctx.request_id))):
            try:
                await ask()
                outcomes.append(f"{name}: answered")
            except Exception as e:  # noqa: BLE001 - what the client said is the point
                outcomes.append(f"{name}: {type(e).__name__}: {e}")
        return "\n".join(outcomes)

    @mcp.tool()
    async def chatter(ctx: Context) -> str:
        """Sends the client a log message and progress before it answers."""
        await ctx.info("working on it")
        await ctx.report_progress(1, 2, "half way")
        return "chattered"

    @mcp.tool(name="bad name!")
    def bad() -> str:
        """A name no model can call."""
        return "unreachable"

    @mcp.tool()
    def whoami(ctx: Context) -> str:
        """The HTTP headers of this request."""
        headers = ctx.headers or {}
        return "\n".join(f"{k.lower()}: {v}" for k, v in sorted(headers.items()))

    declare_list_changes(mcp._lowlevel_server)
    return mcp


def declare_list_changes(server: Any) -> None:
    """Say `tools.listChanged: true` in the handshake, as a server that announces changes should (the SDK's
    loop asks for its options without any)."""
    from functools import partial

    from mcp.server import NotificationOptions

    server.create_initialization_options = partial(server.create_initialization_options,
                                                   NotificationOptions(tools_changed=True))


def paging_server() -> Any:
    from mcp.server import Server
    from mcp.types import ListToolsResult, Tool

    tools = [Tool(name=f"t{i:03d}", description=f"tool {i}", input_schema={"type": "object"}) for i in range(120)]

    async def list_tools(ctx: Any, params: Any) -> ListToolsResult:
        start = int(params.cursor) if params is not None and params.cursor else 0
        say(f"listing from {start}")
        end = start + 25
        return ListToolsResult(tools=tools[start:end], next_cursor=str(end) if end < len(tools) else None)

    async def call_tool(ctx: Any, params: Any) -> Any:
        from mcp.types import CallToolResult

        return CallToolResult(content=[TextContent(type="text", text=f"called {params.name}")])

    return Server("pager", on_list_tools=list_tools, on_call_tool=call_tool)


def legacy_only(server: Any) -> None:
    """Serve stdio with the handshake-only loop, as every server before the 2026-07-28 revision does."""
    from mcp.server.runner import serve_loop
    from mcp.server.stdio import stdio_server

    async def main() -> None:
        async with stdio_server() as (read, write):
            async with server.lifespan(server) as state:
                await serve_loop(server, read, write, lifespan_state=state,
                                 init_options=server.create_initialization_options())

    anyio.run(main)


class RefuseModern:
    """ASGI middleware: answers a 2026-07-28 request as a 2025 server's transport does (400, no modern error)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            if headers.get("mcp-protocol-version") == "2026-07-28":
                body = b'{"jsonrpc":"2.0","id":"server-error","error":{"code":-32600,"message":"Bad Request: Unsupported protocol version: 2026-07-28"}}'
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def serve_http(port: int, legacy: bool) -> None:
    import uvicorn

    app: Any = build().streamable_http_app()
    if legacy:
        app = RefuseModern(app)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "stdio"
    if mode == "stdio":
        build().run()
    elif mode == "cached":
        build(cached=True).run()
    elif mode == "legacy":
        legacy_only(build()._lowlevel_server)
    elif mode == "paging":
        server = paging_server()
        if sys.argv[2:] == ["legacy"]:
            legacy_only(server)
        else:
            from mcp.server.stdio import stdio_server

            async def main() -> None:
                async with stdio_server() as (read, write):
                    await server.run(read, write, server.create_initialization_options())

            anyio.run(main)
    elif mode in ("http", "http-legacy"):
        serve_http(int(sys.argv[2]), mode == "http-legacy")
    else:
        sys.exit(f"unknown mode {mode}")
