"""What the REPL shows about the session: the banner when it opens and the toolbar under the prompt."""

from __future__ import annotations

from ollama_chat.chat.budget import short
from ollama_chat.i18n import _, ngettext
from ollama_chat.chat.session import ChatSession
from ollama_chat.text import one_line


def toolbar(session: ChatSession) -> str:
    """The line under the prompt: model, context used, persona, exchanges (what the first cut keeps first)."""
    s = session.settings
    tray = session.tray
    plan = session.plan(tray.question("").content if tray.files else "")  # waiting files count in ctx
    total, sent = len(session.conversation.exchanges), plan.fit.sent
    history = ngettext("{n} exchange", "{n} exchanges", total).format(n=total)
    if sent < total:
        history = _("{exchanges}, last {sent} sent").format(exchanges=history, sent=sent)
    saved = "" if session.recorder.saving else _(" · not saved")
    # first: a narrow terminal cuts the end
    context = _("ctx {used}/{window}").format(used=short(plan.fit.tokens), window=short(plan.window.tokens))
    waiting = f" · 📎 {len(tray)}" if tray else ""  # early: a narrow terminal cuts the end
    return f" {one_line(s.model)} · {context}{waiting} · {s.persona.name} · {history}{saved} "


def banner(session: ChatSession) -> list[tuple[str, str]]:
    """(text, style) lines shown when the REPL opens."""
    s = session.settings
    persona = s.persona.name + (f" — {s.persona.description}" if s.persona.description else "")
    return [
        (f"ollama-chat · {one_line(s.model)} · {session.backend.host}", "banner"),  # the URL it talks to
        (_("persona: {persona}").format(persona=one_line(persona)), "notice"),
        *([] if session.recorder.saving else [(_("{reason}: nothing of this chat is stored.").format(
            reason=session.recorder.off), "warning")]),
        (_("Leave with quit, exit, 종료 or Ctrl+D · /help lists commands · Alt+Enter for a new line"), "hint"),
    ]
