"""The commands about this conversation and earlier ones: /history, /title, /resume, and what is shown when
a conversation is resumed."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ollama_chat.i18n import _, ngettext
from ollama_chat.chat.resume import Continuation, from_store
from ollama_chat.chat.compact import exchanges_text
from ollama_chat.store.sqlite import StoreError
from ollama_chat.store.step_lines import call_line, names_line, paired
from ollama_chat.types import Message
from ollama_chat.ui.chat import Chat
from ollama_chat.text import attached_text, one_line, sanitize, when

RECENT = 10  # conversations /resume lists


def history(chat: Chat, arg: str) -> None:
    session = chat.session
    exchanges = session.conversation.exchanges
    if not exchanges:
        chat.say(_("No exchanges yet."), "hint")
        return
    if arg:
        show_exchange(chat, arg)
        return
    plan = session.plan()
    sent = plan.fit.sent
    width = chat.console.width
    for number, exchange in enumerate(exchanges, 1):
        late = number > len(exchanges) - sent
        head = Text(_("{number}. you: ").format(number=number), style="plain" if late else "hint")
        words = exchange.question.words
        if exchange.question.attached:
            words = f"{attached_text(exchange.question.attached)} {words}"
        chat.console.print(head + preview(words, width - head.cell_len))
        if exchange.steps:
            chat.console.print(Text("   ") + preview(names_line(exchange.steps), width - 3), style="hint")
        model = one_line(exchange.model)
        who = "   " + (_("{model} (interrupted)").format(model=model) if exchange.interrupted else model) + ": "
        chat.console.print(Text(who, style="hint") + preview(exchange.reply, width - Text(who).cell_len), style="hint")
    old = len(exchanges) - sent
    summarized = session.conversation.summarized
    if summarized:
        chat.say(ngettext("{span} is sent as a summary (/compact).", "{span} are sent as a summary (/compact).",
                          summarized).format(span=exchanges_text(1, summarized)), "hint")
    if old > summarized:
        span = exchanges_text(summarized + 1, old)
        if plan.fit.capped:
            reason = _("the history cap")
        else:
            reason = _("too long for the {tokens}-token context").format(tokens=f"{plan.window.tokens:,}")
        chat.say(ngettext("{span} is not sent with new questions ({reason}); /history N shows one in full.",
                          "{span} are not sent with new questions ({reason}); /history N shows one in full.",
                          old - summarized).format(span=span, reason=reason), "hint")


def show_exchange(chat: Chat, arg: str) -> None:
    """`/history N`: exchange N in full, its reply drawn as it was when it arrived."""
    exchanges = chat.session.conversation.exchanges
    if not arg.isdigit() or not 1 <= int(arg) <= len(exchanges):
        chat.say(_("Usage: /history [N], N from 1 to {last}").format(last=len(exchanges)), "error")
        return
    exchange = exchanges[int(arg) - 1]
    chat.say(_("{number}. you:").format(number=arg), "hint")
    print_question(chat.console, exchange.question)
    print_steps(chat.console, exchange.steps)
    chat.say(f"{one_line(exchange.model)}:", "hint")  # an interrupted reply is marked at its end
    reply = chat.session.output.reply()
    reply.content(exchange.reply)
    reply.finish(interrupted=exchange.interrupted)


def print_question(console: Console, question: Message) -> None:
    """The user's words, under the line naming what they attached (never the files' text)."""
    if question.attached:
        console.print(Text(attached_text(question.attached), style="hint"))
    console.print(Text(sanitize(question.words)))


def print_steps(console: Console, steps: tuple[Message, ...]) -> None:
    """The tool calls before a reply, one line each (`/tools last` and the Markdown export have the results
    whole); what the model wrote beside them, on a line of its own before them."""
    width = console.width
    for called in paired(steps):
        if called.said.strip():
            console.print(preview(called.said, width), style="hint")
        console.print(Text(call_line(called, width), no_wrap=True, overflow="ellipsis"), style="hint")


def preview(text: str, width: int) -> Text:
    """One line of `text`, cut to `width` display cells (Hangul takes two), with "…" when cut."""
    preview = Text(one_line(" ".join(text.split())), no_wrap=True)
    preview.truncate(max(4, width), overflow="ellipsis")
    return preview


def title(chat: Chat, arg: str) -> None:
    recorder = chat.session.recorder
    if not recorder.saving:
        chat.say(_("{reason}, so there is nothing to name.").format(reason=one_line(recorder.off)), "hint")
    elif not arg:
        current = recorder.current_title()
        chat.say(_("Title: {title}").format(title=one_line(current)) if current
                 else _("No title yet: the first question stands in until /title TEXT names it."))
    elif recorder.title(arg):
        chat.say(_("Title: {title}").format(title=one_line(" ".join(arg.split()))))
    elif recorder.saving:
        chat.say(_("Ask something first: the conversation is stored at its first exchange. /title then names it."), "hint")


def resume(chat: Chat, arg: str) -> None:
    """`/resume`: the recent conversations, numbered; `/resume N` or `/resume ID` goes on with one."""
    session = chat.session
    store = session.recorder.store
    if store is None:
        chat.say(_("{reason}: no stored conversations to go back to.").format(reason=one_line(session.recorder.off)), "hint")
        return
    try:
        recent = store.list(RECENT)
        if not arg:
            _list(chat, recent, session.recorder.conversation_id)
            return
        if arg.isdigit() and len(arg) <= 2:
            if not 1 <= int(arg) <= len(recent):
                chat.say(_("Usage: /resume N, N from 1 to {last} (/resume lists them), or /resume ID").format(
                    last=len(recent)), "error")
                return
            conversation_id = recent[int(arg) - 1].id
        else:
            conversation_id = store.resolve(arg)
        resumed = from_store(store.load(conversation_id))
    except StoreError as e:
        chat.say(one_line(str(e) + (f" {e.hint}" if e.hint else "")), "error")
        return
    show_resumed(chat, session.resume(resumed))


def _list(chat: Chat, recent: list, current: str | None) -> None:
    if not recent:
        chat.say(_("No stored conversations yet."), "hint")
        return
    width = chat.console.width
    for number, meta in enumerate(recent, 1):
        mark = "*" if meta.id == current else " "
        head = Text(f"{mark}{number:>2}. ", style="plain") + Text(f"{meta.id}  {when(meta.updated)}  ", style="hint")
        count = ngettext("{n} exchange", "{n} exchanges", meta.exchanges).format(n=meta.exchanges)
        head += Text(f"{meta.persona} · {one_line(meta.model)} · {count} · ", style="hint")
        chat.console.print(head + preview(meta.title, width - head.cell_len))
    chat.say(_("/resume N goes on with one (its persona, model and options come with it); /resume ID works too."), "hint")


def show_resumed(chat: Chat, continuation: Continuation) -> None:
    """Where the resumed conversation stands: what it is, what to know about it, and its last exchange in full."""
    resumed = continuation.resumed
    t = resumed.transcript
    count = len(t.exchanges)
    source = resumed.conversation_id or _("a file")
    label = f"“{one_line(t.title)}” " if t.title else ""
    s = chat.session.settings
    chat.say(ngettext("Resumed {label}({source}): {n} exchange, persona {persona}, model {model}.",
                      "Resumed {label}({source}): {n} exchanges, persona {persona}, model {model}.",
                      count).format(label=label, source=source, n=count, persona=s.persona.name, model=one_line(s.model)),
             "notice")
    for notice in continuation.notices:
        chat.say(notice, "warning")
    if count:
        show_exchange(chat, str(count))
