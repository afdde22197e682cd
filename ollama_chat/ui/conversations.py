"""The commands about this conversation and earlier ones: /history, /title, /resume, and what is shown when
a conversation is resumed."""

from __future__ import annotations

from rich.text import Text

from ollama_chat.resume import Resumed, from_store
from ollama_chat.session import exchanges_text
from ollama_chat.store import StoreError
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.text import sanitize, when

RECENT = 10  # conversations /resume lists


def history(chat: Chat, arg: str) -> None:
    session = chat.session
    exchanges = session.conversation.exchanges
    if not exchanges:
        chat.say("No exchanges yet.", "hint")
        return
    if arg:
        show_exchange(chat, arg)
        return
    plan = session.plan()
    sent = plan.fit.sent
    width = chat.console.width
    for number, exchange in enumerate(exchanges, 1):
        late = number > len(exchanges) - sent
        head = f"{number}. you: "
        chat.console.print(Text(head, style="plain" if late else "hint") + preview(exchange.question.content, width - len(head)))
        who = f"   {sanitize(exchange.model)}{' (interrupted)' if exchange.interrupted else ''}: "
        chat.console.print(Text(who, style="hint") + preview(exchange.reply, width - Text(who).cell_len), style="hint")
    old = len(exchanges) - sent
    summarized = session.conversation.summarized
    if summarized:
        chat.say(f"{exchanges_text(1, summarized)} {'is' if summarized == 1 else 'are'} sent as a summary (/compact).",
                 "hint")
    if old > summarized:
        one = old == summarized + 1
        span = exchanges_text(summarized + 1, old)
        reason = "the history cap" if plan.fit.capped else f"too long for the {plan.window.tokens:,}-token context"
        chat.say(f"{span} {'is' if one else 'are'} not sent with new questions ({reason}); /history N shows one in full.",
                 "hint")


def show_exchange(chat: Chat, arg: str) -> None:
    """`/history N`: exchange N in full, its reply drawn as it was when it arrived."""
    exchanges = chat.session.conversation.exchanges
    if not arg.isdigit() or not 1 <= int(arg) <= len(exchanges):
        chat.say(f"Usage: /history [N], N from 1 to {len(exchanges)}", "error")
        return
    exchange = exchanges[int(arg) - 1]
    chat.say(f"{arg}. you:", "hint")
    chat.console.print(Text(sanitize(exchange.question.content)))
    chat.say(f"{sanitize(exchange.model)}:", "hint")  # an interrupted reply is marked at its end
    reply = chat.session.output.reply()
    reply.content(exchange.reply)
    reply.finish(interrupted=exchange.interrupted)


def preview(text: str, width: int) -> Text:
    """One line of `text`, cut to `width` display cells (Hangul takes two), with "…" when cut."""
    preview = Text(" ".join(sanitize(text).split()), no_wrap=True)
    preview.truncate(max(4, width), overflow="ellipsis")
    return preview


def title(chat: Chat, arg: str) -> None:
    recorder = chat.session.recorder
    if not recorder.saving:
        chat.say(f"{sanitize(recorder.off)}, so there is nothing to name.", "hint")
    elif not arg:
        current = recorder.current_title()
        chat.say(f"Title: {sanitize(current)}" if current else "No title yet: the first question stands in until /title TEXT names it.")
    elif recorder.title(arg):
        chat.say(f"Title: {sanitize(' '.join(arg.split()))}")
    elif recorder.saving:
        chat.say("Ask something first: the conversation is stored at its first exchange. /title then names it.", "hint")


def resume(chat: Chat, arg: str) -> None:
    """`/resume`: the recent conversations, numbered; `/resume N` or `/resume ID` goes on with one."""
    session = chat.session
    store = session.recorder.store
    if store is None:
        chat.say(f"{sanitize(session.recorder.off)}: no stored conversations to go back to.", "hint")
        return
    try:
        recent = store.list(RECENT)
        if not arg:
            _list(chat, recent, session.recorder.conversation_id)
            return
        if arg.isdigit() and len(arg) <= 2:
            if not 1 <= int(arg) <= len(recent):
                chat.say(f"Usage: /resume N, N from 1 to {len(recent)} (/resume lists them), or /resume ID", "error")
                return
            conversation_id = recent[int(arg) - 1].id
        else:
            conversation_id = store.resolve(arg)
        resumed = from_store(store.load(conversation_id))
    except StoreError as e:
        chat.say(sanitize(str(e) + (f" {e.hint}" if e.hint else "")), "error")
        return
    session.resume(resumed)
    show_resumed(chat, resumed)


def _list(chat: Chat, recent: list, current: str | None) -> None:
    if not recent:
        chat.say("No stored conversations yet.", "hint")
        return
    width = chat.console.width
    for number, meta in enumerate(recent, 1):
        mark = "*" if meta.id == current else " "
        head = Text(f"{mark}{number:>2}. ", style="plain") + Text(f"{meta.id}  {when(meta.updated)}  ", style="hint")
        head += Text(f"{meta.persona} · {sanitize(meta.model)} · {meta.exchanges} · ", style="hint")
        chat.console.print(head + preview(meta.title, width - head.cell_len))
    chat.say("/resume N goes on with one (its persona, model and options come with it); /resume ID works too.", "hint")


def show_resumed(chat: Chat, resumed: Resumed) -> None:
    """Where the resumed conversation stands: what it is, and its last exchange in full."""
    t = resumed.transcript
    count = len(t.exchanges)
    source = resumed.conversation_id or "a file"
    label = f"“{sanitize(t.title)}” " if t.title else ""
    s = chat.session.settings
    chat.say(f"Resumed {label}({source}): {count} exchange{'' if count == 1 else 's'}, persona {s.persona.name},"
             f" model {sanitize(s.model)}.", "notice")
    if count:
        show_exchange(chat, str(count))
