"""A small exact 2026-07-28 stdio server for what the SDK's servers do not do on demand, written from the
revision's text (server/discover, per-request `_meta`, resultType, UnsupportedProtocolVersionError -32022,
input_required with inputRequests or a requestState alone):

    python mcp_fake_modern.py                 speaks 2026-07-28
    python mcp_fake_modern.py future          a modern server that speaks only 2099-01-01 (-32022)
    python mcp_fake_modern.py legacy-silent   a legacy server that never answers a request before `initialize`
    python mcp_fake_modern.py bad-list        answers tools/list with something that is not a list of tools

Every request it reads is appended to the file named by $MCP_FAKE_RECORD, one JSON line each, so a test can
check what went over the wire. No SDK: it starts in a few milliseconds.
"""

from __future__ import annotations

import json
import os
import sys

VERSION = "2026-07-28"
META = "io.modelcontextprotocol/"


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def result(id_, value: dict) -> None:
    send({"jsonrpc": "2.0", "id": id_, "result": {"resultType": "complete", **value}})


def error(id_, code: int, message: str, data=None) -> None:
    body = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    send({"jsonrpc": "2.0", "id": id_, "error": body})


TOOLS = [{"name": "ask", "description": "Needs the user's answer.", "inputSchema": {"type": "object"}},
         {"name": "busy", "description": "Says try again, once.", "inputSchema": {"type": "object"}},
         {"name": "echo", "description": "Says the text back.",
          "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}},
         {"name": "nonsense", "description": "Answers with garbage.", "inputSchema": {"type": "object"}}]


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    record = os.environ.get("MCP_FAKE_RECORD")
    supported = ["2099-01-01"] if mode == "future" else [VERSION]
    initialized = False
    for line in sys.stdin:
        message = json.loads(line)
        if record:
            with open(record, "a") as f:
                f.write(json.dumps(message) + "\n")
        if "id" not in message:
            continue
        id_, method, params = message["id"], message.get("method"), message.get("params") or {}
        if mode == "legacy-silent":
            if method == "initialize":
                initialized = True
                send({"jsonrpc": "2.0", "id": id_, "result": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                                                             "serverInfo": {"name": "old-fake", "version": "0.1"}}})
            elif method == "tools/list" and initialized:
                send({"jsonrpc": "2.0", "id": id_, "result": {"tools": TOOLS}})
            elif initialized:
                send({"jsonrpc": "2.0", "id": id_, "result": {"content": [{"type": "text", "text": "legacy answer"}]}})
            continue  # before `initialize`: silence, as some legacy servers do
        meta = params.get("_meta") or {}
        if meta.get(META + "protocolVersion") not in supported or META + "clientCapabilities" not in meta:
            error(id_, -32022, "Unsupported protocol version",
                  {"supported": supported, "requested": meta.get(META + "protocolVersion")})
        elif method == "server/discover":
            result(id_, {"supportedVersions": supported, "capabilities": {"tools": {}}, "ttlMs": 0, "cacheScope": "public",
                         "_meta": {META + "serverInfo": {"name": "fake-modern", "version": "9"}}})
        elif method == "tools/list":
            result(id_, {"tools": "all of them" if mode == "bad-list" else TOOLS, "ttlMs": 0, "cacheScope": "public"})
        elif method == "tools/call" and params.get("name") == "nonsense":
            result(id_, {"content": "not a list of content blocks"})
        elif method == "tools/call" and params.get("name") == "ask":
            send({"jsonrpc": "2.0", "id": id_, "result": {"resultType": "input_required", "inputRequests": {
                "login": {"method": "elicitation/create", "params": {"mode": "form", "message": "Your name?",
                                                                     "requestedSchema": {"type": "object"}}}}}})
        elif method == "tools/call" and params.get("name") == "echo":
            result(id_, {"content": [{"type": "text", "text": str((params.get("arguments") or {}).get("text"))}]})
        elif method == "tools/call" and params.get("name") == "busy":
            if params.get("requestState") == "ticket-1":
                result(id_, {"content": [{"type": "text", "text": "done on the second try"}]})
            else:
                send({"jsonrpc": "2.0", "id": id_, "result": {"resultType": "input_required", "requestState": "ticket-1"}})
        else:
            error(id_, -32601, "Method not found")


if __name__ == "__main__":
    main()
