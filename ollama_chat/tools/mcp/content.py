"""A server's tools and results, turned into our values: pure, and bounded, since everything a server says is
untrusted (the UI sanitises it when shown; here it is only cut to size and made valid Unicode).

Tools are offered as `server__tool`, which must fit `tools.base.TOOL_NAME`; one that does not is skipped and
reported. A result's text content is passed on; images, audio, binary resources and resource links are named in
`notes` instead (the model reads text), and `structuredContent` stands in for the text when there is none.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ollama_chat.i18n import _, ngettext
from ollama_chat.tools.base import TOOL_NAME, ToolResult, ToolSpec
from ollama_chat.tools.mcp.wire import param_headers

MAX_DESCRIPTION = 2000  # characters of a tool's description offered to the model
MAX_SCHEMA = 64 * 1024  # characters of a tool's input schema, as JSON
MAX_TOOLS = 500  # tools taken from one server
MAX_RESULT = 256 * 1024  # characters of a result's text (the turn loop cuts it again to fit the window)
MAX_BLOCKS = 1000  # content blocks read from one result
SHOWN = 200  # characters of a server's text inside one of our messages
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def server_text(value: object) -> str:
    """A server's string with lone surrogates (valid JSON, invalid Unicode) made U+FFFD, so it can be printed,
    stored and sent on."""
    text = value if isinstance(value, str) else str(value)
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def bounded(value: object, limit: int = SHOWN) -> str:
    """A server's text cut to `limit` characters, saying how much more there was."""
    text = server_text(value)
    if len(text) <= limit:
        return text
    more = len(text) - limit
    return text[:limit] + ngettext("… ({n} more character)", "… ({n} more characters)", more).format(n=f"{more:,}")


def one_line(value: object, limit: int = SHOWN) -> str:
    return bounded(" ".join(server_text(value).split()), limit)


@dataclass(frozen=True)
class RemoteTool:
    """A server's tool as we offer it: `spec.name` is `server__tool`; `remote_name` the name the server knows."""

    spec: ToolSpec
    remote_name: str
    param_headers: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class SkippedTool:
    name: str
    reason: str


def tool_specs(server: str, tools: list[Any], *, network: bool) -> tuple[list[RemoteTool], list[SkippedTool]]:
    """The tools of one `tools/list` (all pages), as specs; the ones we cannot offer, with why."""
    kept: list[RemoteTool] = []
    skipped: list[SkippedTool] = []
    seen: set[str] = set()
    for tool in tools:
        if len(kept) >= MAX_TOOLS:
            skipped.append(SkippedTool(one_line(tool.get("name", "?") if isinstance(tool, dict) else "?", 64),
                                       _("more than {n} tools on one server").format(n=MAX_TOOLS)))
            continue
        try:
            kept.append(_tool(server, tool, seen, network))
        except ValueError as e:
            name = tool.get("name") if isinstance(tool, dict) else None
            skipped.append(SkippedTool(one_line(name if isinstance(name, str) else "?", 64), str(e)))
    return kept, skipped


def _tool(server: str, tool: object, seen: set[str], network: bool) -> RemoteTool:
    if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
        raise ValueError(_("the server described it without a name"))
    remote = tool["name"]
    name = f"{server}__{remote}"
    if not TOOL_NAME.match(name):
        raise ValueError(_("'{name}' is not a name a model can call (letters, digits, '_' and '-', at most 64)").format(
            name=one_line(name, 80)))
    if name in seen:
        raise ValueError(_("the server lists it twice"))
    schema = tool.get("inputSchema", {"type": "object"})
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise ValueError(_("its input schema is not a JSON Schema object"))
    try:
        size = len(json.dumps(schema))
    except (ValueError, TypeError, RecursionError):
        size = MAX_SCHEMA + 1
    if size > MAX_SCHEMA:
        raise ValueError(_("its input schema is larger than {size} KiB").format(size=MAX_SCHEMA // 1024))
    headers = tuple(param_headers(schema))  # ValueError: the spec says such a tool is left out
    if "properties" not in schema:
        schema = {**schema, "properties": {}}
    description = tool.get("description") or tool.get("title") or ""
    annotations = tool.get("annotations")
    hint = annotations.get("readOnlyHint") if isinstance(annotations, dict) else None
    seen.add(name)
    spec = ToolSpec(name=name, description=bounded(description, MAX_DESCRIPTION) if isinstance(description, str) else "",
                    parameters=schema, source=server, read_only_hint=hint if isinstance(hint, bool) else None,
                    network=network)
    return RemoteTool(spec, remote, headers)


def tool_result(result: Mapping[str, Any]) -> ToolResult:
    """A `tools/call` result as a ToolResult. ValueError when it is not a CallToolResult at all."""
    content = result.get("content", [])
    structured = result.get("structuredContent")
    if not isinstance(content, list):
        raise ValueError("content is not a list")
    texts: list[str] = []
    notes: list[str] = []
    for block in content[:MAX_BLOCKS]:
        text, note = _block(block)
        if text is not None:
            texts.append(text)
        if note:
            notes.append(note)
    if len(content) > MAX_BLOCKS:
        notes.append(_("{n} more content blocks were left out").format(n=len(content) - MAX_BLOCKS))
    text = "\n".join(texts)
    if not texts and structured is not None:
        try:
            text = server_text(json.dumps(structured, ensure_ascii=False))
        except (ValueError, TypeError, RecursionError):
            notes.append(_("structured content that could not be read was left out"))
    if len(text) > MAX_RESULT:
        notes.append(_("the result was cut from {n} to {limit} characters").format(n=f"{len(text):,}",
                                                                                   limit=f"{MAX_RESULT:,}"))
        text = text[:MAX_RESULT]
    return ToolResult(text=text, is_error=result.get("isError") is True, notes=tuple(notes))


def _size(data: object) -> str:
    size = len(data) * 3 // 4 if isinstance(data, str) else 0
    return _("{n} KiB").format(n=f"{max(1, round(size / 1024)):,}")


def _block(block: object) -> tuple[str | None, str | None]:
    """(text for the model, note for what was left out) of one content block."""
    if not isinstance(block, dict):
        return None, _("a content block that could not be read was left out")
    kind = block.get("type")
    if kind == "text":
        text = block.get("text")
        return (server_text(text), None) if isinstance(text, str) else (None, _("a text block without text was left out"))
    mime = one_line(block.get("mimeType") or "?", 60)
    if kind == "image":
        return None, _("an image ({mime}, {size}) was left out: only text is passed on").format(
            mime=mime, size=_size(block.get("data")))
    if kind == "audio":
        return None, _("audio ({mime}, {size}) was left out: only text is passed on").format(
            mime=mime, size=_size(block.get("data")))
    if kind == "resource":
        resource = block.get("resource")
        if isinstance(resource, dict):
            uri = one_line(resource.get("uri") or "?", 300)
            if isinstance(resource.get("text"), str):
                return f"[{uri}]\n{server_text(resource['text'])}", None
            return None, _("the resource {uri} ({mime}, {size}) was left out: only text is passed on").format(
                uri=uri, mime=one_line(resource.get("mimeType") or "?", 60), size=_size(resource.get("blob")))
        return None, _("a resource that could not be read was left out")
    if kind == "resource_link":
        return None, _("a link to the resource {name} ({uri}) was left out").format(
            name=one_line(block.get("name") or "?", 100), uri=one_line(block.get("uri") or "?", 300))
    return None, _("content of an unknown kind ({kind}) was left out").format(kind=one_line(kind, 40))
