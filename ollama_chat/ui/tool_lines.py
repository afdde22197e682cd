"""The consent desk's words, pure: a call as shown before it runs, the question, the answer echoed, and the
line each call leaves behind. Everything a model or an MCP server said (names, arguments, descriptions) is
made one line per line (`one_line`) before it is shown: arguments cannot draw on the terminal or reverse text."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ollama_chat.chat.events import ToolOutcome
from ollama_chat.i18n import _
from ollama_chat.text import one_line
from ollama_chat.types import ToolCall, ToolSpec

MAX_LINES = 40  # of arguments shown before a call (`e` shows them all)
MAX_WIDTH = 300  # characters of one line of them
SHORT = 60  # characters of the arguments on the line after a call

Line = tuple[str, str]  # text and style


def where(spec: ToolSpec) -> str:
    """Whose tool it is and what it may touch, in a few words; an MCP server's read-only claim as a claim."""
    parts = [_("built-in") if spec.source == "builtin" else _("MCP server {name}").format(name=one_line(spec.source, 64))]
    if spec.network:
        parts.append(_("reaches the network"))
    if spec.read_only_hint is True:
        parts.append(_("the server says it only reads (its claim, not checked)"))
    elif spec.read_only_hint is False:
        parts.append(_("the server says it may change things"))
    return " · ".join(parts)


def arguments_lines(arguments: Mapping[str, Any], title: str = "") -> list[Line]:
    text = json.dumps(dict(arguments), ensure_ascii=False, indent=2) if arguments else "{}"
    lines = text.split("\n")
    shown = [("  " + one_line(line, MAX_WIDTH), "default") for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(("  " + _("… {n} more lines (e shows them all)").format(n=len(lines) - MAX_LINES), "hint"))
    return ([(title, "hint")] if title else []) + shown


def call_lines(call: ToolCall, spec: ToolSpec, *, approved: bool, asking: bool = True) -> list[Line]:
    lines = [(_("Tool call: {name} ({where})").format(name=one_line(spec.name, 80), where=where(spec)), "notice")]
    lines += arguments_lines(call.arguments)
    if approved:
        lines.append((_("Allowed without asking (--yes-tools, your yes_tools, or 'always'): running (Ctrl+C stops it)"),
                      "hint"))
    return lines


def question(can_edit: bool = True) -> str:
    if can_edit:
        return _("Run it? y once · a always (this tool, this chat) · n no (Enter) · e edit › ")
    return _("Run it? y once · a always (this tool, this chat) · n no (Enter) › ")


def answer_words(answer: str) -> str:
    return {"once": _("yes, once: running (Ctrl+C stops it)"),
            "always": _("yes, and always for this tool in this chat: running (Ctrl+C stops it)"),
            "refuse": _("no: not run (the model is told)"),
            "edit": _("edit the arguments")}[answer]


def short_arguments(arguments: Mapping[str, Any]) -> str:
    return one_line(json.dumps(dict(arguments), ensure_ascii=False, separators=(",", ":")), SHORT)


STATUS = {"done": ("✓", "hint"), "error": ("✗", "warning"), "refused": ("⊘", "warning"), "interrupted": ("■", "warning"),
          "unknown": ("?", "warning"), "bad arguments": ("✗", "warning")}


def status_words(status: str) -> str:
    return {"done": _("ok"), "error": _("error"), "refused": _("refused"), "interrupted": _("stopped"),
            "unknown": _("no such tool"), "bad arguments": _("arguments not JSON")}.get(status, status)


def outcome_line(outcome: ToolOutcome) -> Line:
    """`✓ read_file {"path":"a.md"} · ok · 2,345 characters, ~612 tokens`"""
    mark, style = STATUS.get(outcome.status, ("·", "hint"))
    arguments = outcome.arguments or outcome.call.arguments
    text = f"{mark} {one_line(outcome.call.name, 80)} {short_arguments(arguments)} · {status_words(outcome.status)}"
    if outcome.status in ("done", "error"):
        text += " · " + _("{chars} characters, ~{tokens} tokens").format(chars=f"{outcome.size:,}",
                                                                          tokens=f"{outcome.tokens:,}")
    return text, style
