"""How an exchange's tool steps read to a person: one compact line per call for a terminal (/history N,
`history show`), a names line for the /history overview, and a Markdown section for transcripts (the results
in full). Pure, and free of rich. Tool results and arguments are untrusted: every line for a terminal passes
through `one_line`; the Markdown fences each text in a fence longer than any run of backticks in it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ollama_chat.i18n import N_, _, ngettext
from ollama_chat.store.steps import arguments_text
from ollama_chat.text import cell_width, one_line, size_text
from ollama_chat.types import Message, ToolCall

ICON = "🔧"
ARGUMENTS_SHOWN = 120  # characters of a call's arguments on its line, at most


@dataclass(frozen=True)
class Called:
    """One call and what answered it (None: nothing did, an interrupted exchange); `said` is what the model
    wrote beside its calls (given with the first of them)."""

    call: ToolCall
    result: Message | None
    said: str = ""


def paired(steps: Sequence[Message]) -> list[Called]:
    """Each call with its result: the tool message with its ID, or (no ID, as older Ollama sends) the first
    unclaimed one with its name."""
    results = [m for m in steps if m.role == "tool"]
    claimed: set[int] = set()
    out = []
    for message in steps:
        for i, call in enumerate(message.tool_calls):
            found = next((n for n, r in enumerate(results) if n not in claimed and r.tool_name == call.name
                          and r.tool_call_id == call.id), None)
            if found is not None:
                claimed.add(found)
            out.append(Called(call, None if found is None else results[found], message.content if i == 0 else ""))
    return out


# How the tool round (chat/tool_round.py) words what it answers the model, first words first: the status a result
# is shown with. tests/test_steps.py runs a real ToolRound through these, so a change there fails a test here.
_STATUSES = (("Result of ", N_("done")), ("Error from ", N_("error")), ("The user refused this call", N_("refused")),
             ("Error: there is no tool named", N_("unknown tool")),
             ("Error: the arguments were not a JSON object", N_("bad arguments")))
_SIZED = {"done", "error"}  # a refusal's words are ours, not the tool's: their size says nothing


def status_of(result: Message | None) -> str:
    """"done", "error", "refused", "unknown tool", "bad arguments" (untranslated); "" when its words do not say
    (a result saved by another program)."""
    if result is None:
        return ""
    return next((status for start, status in _STATUSES if result.content.startswith(start)), "")


def result_size(result: Message | None) -> str:
    """"done, 12 lines, 1.2 KB", "refused", "12 lines, 1.2 KB" (no status known), "empty", or "no result"."""
    if result is None:
        return _("no result")
    status = status_of(result)
    if status and status not in _SIZED:
        return _(status)
    if not result.content:
        return _("empty")
    lines = result.content.count("\n") + 1
    size = ngettext("{n} line", "{n} lines", lines).format(n=lines) + ", " + size_text(len(result.content.encode()))
    return f"{_(status)}, {size}" if status else size


def call_line(called: Called, width: int | None = None) -> str:
    """`🔧 web_search {"query": "서울 날씨"} → done, 3 lines, 1.2 KB`, fit for a terminal; the arguments are cut to fit
    `width` cells when given."""
    name, after = one_line(called.call.name, 64), f" → {result_size(called.result)}"
    arguments = one_line(arguments_text(called.call), ARGUMENTS_SHOWN)
    if width is not None:
        arguments = _cut(arguments, width - cell_width(f"{ICON} {name} {after}"))
    return f"{ICON} {name} {arguments}{after}" if arguments else f"{ICON} {name}{after}"


def _cut(text: str, cells: int) -> str:
    """`text` in at most `cells` display cells, "…" at its end when cut ("" when not even that fits)."""
    if cell_width(text) <= cells:
        return text
    used, kept = 1, []
    for char in text:
        used += cell_width(char)
        if used > cells:
            break
        kept.append(char)
    return "".join(kept) + "…" if kept else ""


def names_line(steps: Sequence[Message]) -> str:
    """`🔧 web_search ×2, read_file`: the tools an exchange called, for the /history overview ("" for none)."""
    counts: dict[str, int] = {}
    for message in steps:
        for call in message.tool_calls:
            counts[call.name] = counts.get(call.name, 0) + 1
    if not counts:
        return ""
    return f"{ICON} " + ", ".join(one_line(n, 64) + (f" ×{c}" if c > 1 else "") for n, c in counts.items())


def fenced(text: str, info: str = "") -> list[str]:
    """`text` in a Markdown code fence longer than any run of backticks in it, so nothing inside closes it."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *text.split("\n"), fence]


def steps_markdown(steps: Sequence[Message]) -> list[str]:
    """The steps as Markdown lines: per call what the model wrote beside it, a heading with the tool's name and
    the result's size, its arguments, and the result in full. Its few words are English, as the rest of a
    Markdown transcript's headings are (a file read anywhere)."""
    lines: list[str] = []
    for called in paired(steps):
        if called.said.strip():
            lines += [*fenced(called.said, "text"), ""]
        raw = called.call.raw_arguments is not None
        status = status_of(called.result)
        size = "no result" if called.result is None else status if status and status not in _SIZED else ", ".join(
            [*([status] if status else []), size_text(len(called.result.content.encode()))])
        lines += [f"### {ICON} {one_line(called.call.name, 64)} ({size})", "",
                  *fenced(arguments_text(called.call) if raw else json.dumps(dict(called.call.arguments),
                          ensure_ascii=False, indent=2), "text" if raw else "json"), ""]
        if called.result is not None and called.result.content:
            lines += [*fenced(called.result.content, "text"), ""]
    return lines
