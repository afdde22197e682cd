"""What the two spec eras put on the wire, apart from JSON-RPC itself. Pure.

- Legacy (2024-11-05 … 2025-11-25): `initialize` → `notifications/initialized`, then plain requests; over HTTP
  an `Mcp-Session-Id` and an `MCP-Protocol-Version` header.
- Modern (2026-07-28): no handshake; every request carries the protocol version and the client's capabilities
  in `params._meta`; `server/discover` tells the server's versions; over HTTP each POST also carries
  `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and the `Mcp-Param-*` headers a tool's schema asks for.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ollama_chat import __version__
from ollama_chat.i18n import _

MODERN_VERSIONS = ("2026-07-28",)
LEGACY_VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")  # newest first: what we propose
CLIENT_INFO = {"name": "ollama-chat", "version": __version__}
CLIENT_CAPABILITIES: dict[str, Any] = {}  # no sampling, elicitation or roots: the model acts only through tools
META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT = "io.modelcontextprotocol/clientInfo"
META_SUBSCRIPTION = "io.modelcontextprotocol/subscriptionId"


def modern_params(version: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`params` with the per-request `_meta` of the 2026-07-28 revision (our own `_meta` keys kept)."""
    out = dict(params or {})
    meta = dict(out.get("_meta") or {})
    meta.update({META_VERSION: version, META_CAPABILITIES: CLIENT_CAPABILITIES, META_CLIENT: CLIENT_INFO})
    out["_meta"] = meta
    return out


def initialize_params(version: str = LEGACY_VERSIONS[0]) -> dict[str, Any]:
    return {"protocolVersion": version, "capabilities": CLIENT_CAPABILITIES, "clientInfo": CLIENT_INFO}


def pick_modern(supported: object) -> str | None:
    """The newest modern version in a server's `supportedVersions` (or an error's `supported`) that we speak."""
    if not isinstance(supported, list):
        return None
    return next((v for v in MODERN_VERSIONS if v in supported), None)


def speaks_legacy(supported: object) -> bool:
    return isinstance(supported, list) and any(v in LEGACY_VERSIONS for v in supported)


def result_type(result: Mapping[str, Any]) -> str:
    """"complete" unless the server says otherwise (an earlier server never says)."""
    value = result.get("resultType")
    return value if isinstance(value, str) else "complete"


# -- HTTP headers of the modern revision ------------------------------------------------------------------------

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 tchar
_SAFE_VALUE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")
_SAFE_INTEGER = 2**53 - 1


def header_value(value: str) -> str:
    """A value as a header may carry it: plain when it is visible ASCII without edge spaces, else the
    `=?base64?…?=` sentinel (also for a plain value that looks like the sentinel)."""
    if _SAFE_VALUE.match(value) and not (value.startswith("=?base64?") and value.endswith("?=")):
        return value
    return "=?base64?" + base64.b64encode(value.encode("utf-8", "surrogatepass")).decode("ascii") + "?="


def param_headers(schema: Mapping[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    """The `x-mcp-header` annotations of a tool's input schema: (header name, property path) pairs. ValueError
    (the spec says the tool must then be left out) when one breaks the rules: empty, not a header token, on a
    property that is not a string, integer or boolean, reached other than through `properties`, or twice."""
    found: list[tuple[str, tuple[str, ...]]] = []

    def walk(node: Any, path: tuple[str, ...], reachable: bool) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child, path, False)
            return
        if not isinstance(node, dict):
            return
        if "x-mcp-header" in node:
            name = node["x-mcp-header"]
            if not (reachable and path):
                raise ValueError(_("x-mcp-header is only allowed on a property reached through 'properties'"))
            if not isinstance(name, str) or not _TOKEN.match(name):
                raise ValueError(_("x-mcp-header {name} is not a header name").format(name=repr(name)[:40]))
            if node.get("type") not in ("string", "integer", "boolean"):
                raise ValueError(_("x-mcp-header {name} is on a property that is not a string, integer or boolean").format(
                    name=repr(name)))
            if any(name.lower() == other.lower() for other, _path in found):
                raise ValueError(_("x-mcp-header {name} appears twice").format(name=repr(name)))
            found.append((name, path))
        for key, child in node.items():
            if key == "properties" and reachable and isinstance(child, dict):
                for prop, sub in child.items():
                    walk(sub, (*path, prop), True)
            elif key != "x-mcp-header":
                walk(child, path, False)

    walk(schema, (), True)
    return found


def request_headers(method: str, params: Mapping[str, Any],
                    annotated: Sequence[tuple[str, tuple[str, ...]]] = ()) -> dict[str, str]:
    """`Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` for one modern POST."""
    headers = {"Mcp-Method": method}
    name = params.get("name") if method in ("tools/call", "prompts/get") else params.get("uri") \
        if method == "resources/read" else None
    if isinstance(name, str):
        headers["Mcp-Name"] = header_value(name)
    arguments = params.get("arguments")
    for header, path in annotated:
        value: Any = arguments
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int) and abs(value) <= _SAFE_INTEGER:
            text = str(value)
        elif isinstance(value, str):
            text = value
        else:
            continue  # not what the schema promised; the server will say so
        headers[f"Mcp-Param-{header}"] = header_value(text)
    return headers
