"""/show: the effective settings, each with where it comes from, and what the context window holds."""

from __future__ import annotations

import json

from rich.text import Text

from ollama_chat.chat.context import Plan
from ollama_chat.i18n import N_, _, ngettext
from ollama_chat.chat.personas import shown_source
from ollama_chat.chat.session import ChatSession
from ollama_chat.ui.chat import Chat
from ollama_chat.text import one_line


def show(chat: Chat, arg: str) -> None:
    session = chat.session
    s = session.settings
    plan = session.plan()
    sent = plan.fit.sent
    rows = [
        ("host", s.host),
        ("model", _("{model} (from {source})").format(
            model=one_line(s.model), source=_(_SOURCES[session.layers.source_of("model")]))),
        ("persona", f"{s.persona.name} [{one_line(shown_source(s.persona.source))}]"),
        ("options", one_line(json.dumps(dict(s.options), ensure_ascii=False)) if s.options else _("(model defaults)")),
        ("format", "off" if not s.format else s.format if s.format == "json" else one_line(json.dumps(s.format, ensure_ascii=False))),
        ("think", think_text(s.think)),
        ("stream", "on" if s.stream else "off"),
        ("stats", "on" if s.verbose else "off"),
        ("history", _history_text(len(session.conversation.exchanges), sent, s.max_messages)),
        ("context", _context_text(session, plan)),
        ("tools", ", ".join([*s.tools, *(f"{one_line(n, 64)} (MCP)" for n in s.mcp)]) or _("off (/tools on)")),
        ("system", one_line(s.system.splitlines()[0] + (" …" if "\n" in s.system else "")) if s.system else _("(none)")),
    ]
    from rich.table import Table

    table = Table.grid(padding=(0, 1))  # a long value wraps under itself, not under the names
    table.add_column(no_wrap=True, min_width=8)
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(Text(key), Text(value))  # text, not markup: "[built-in]" is a word here
    chat.console.print(table)


_SOURCES = {"defaults": N_("the default"), "config": N_("the config file"), "env": N_("the environment"),
            "persona": N_("the persona"), "server": "--server", "resumed": N_("the resumed conversation"), "flags": N_("the command line"),
            "session": "/model"}


def _history_text(total: int, sent: int, cap: int) -> str:
    count = ngettext("{n} exchange", "{n} exchanges", total).format(n=total)
    if sent >= total:
        text = _("{count}, all sent with each question (cap {cap} messages)")
    elif sent == 0:
        text = _("{count}; none are sent with each question (cap {cap} messages)")
    elif sent == 1:
        text = _("{count}; the last one is sent with each question (cap {cap} messages)")
    else:
        text = _("{count}; the last {sent} are sent with each question (cap {cap} messages)")
    return text.format(count=count, sent=sent, cap=cap)


def _context_text(session: ChatSession, plan: Plan) -> str:
    window = plan.window
    src = session.layers.source_of("options", "num_ctx")
    if window.source == "num_ctx":
        why = _("num_ctx, set by {source}").format(source="/set" if src == "session" else _(_SOURCES[src]))
    elif window.source == "loaded":
        why = _("the window the server runs the model with")
    elif window.source == "model_max":
        why = _("the most the model supports")
    else:
        why = (_("Ollama's default; the model is not loaded yet") if session.backend.can_pull else
               _("assumed: the server does not say; /set num_ctx to its window"))
    most = _("; the model supports up to {tokens}").format(tokens=f"{window.model_max:,}") if (
        window.model_max and window.source != "model_max") else ""
    replies = session.context.replies(session.settings.model)
    if replies:
        counted = ngettext("token counts estimated, corrected by what {model} counted in {n} reply",
                           "token counts estimated, corrected by what {model} counted in {n} replies",
                           replies).format(model=one_line(session.settings.model), n=replies)
    else:
        counted = _("token counts estimated (no replies to learn from yet)")
    return _("{tokens} tokens ({why}{most}). The next question goes with about {sent} tokens of conversation;"
             " {counted}.").format(tokens=f"{window.tokens:,}", why=why, most=most, sent=f"{plan.fit.tokens:,}",
                                   counted=counted)


def think_text(value: bool | str | None) -> str:
    return {None: _("model default"), True: "on", False: "off"}.get(value, str(value))  # type: ignore[arg-type]
