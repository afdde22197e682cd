"""The slash commands on the conversation so far: /clear starts afresh, /compact shortens it, /retry, /edit and
/undo change its last exchange."""

from __future__ import annotations

from rich.text import Text

from ollama_chat.i18n import _, ngettext
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.conversations import preview
from ollama_chat.ui.editor import EditorError
from ollama_chat.ui.typed import strip_block_quotes


def clear(chat: Chat, arg: str) -> None:
    waiting = len(chat.session.tray)
    chat.session.clear()
    if waiting:
        chat.say(ngettext("The {n} waiting attachment was dropped too.", "The {n} waiting attachments were dropped too.",
                          waiting).format(n=waiting), "hint")
    if chat.session.recorder.saving:
        chat.say(_("A new conversation starts (the system prompt and the persona's examples stay)."
                   " The one before is kept: /resume brings it back."))
    else:
        chat.say(_("A new conversation starts (the system prompt and the persona's examples stay)."))


def compact(chat: Chat, arg: str) -> None:
    chat.session.compact()


def retry(chat: Chat, arg: str) -> None:
    chat.session.retry()


def edit(chat: Chat, arg: str) -> None:
    words = chat.session.last_words
    if words is None:
        chat.say(_("Nothing to edit: ask something first (after /undo, ↑ brings the question back)."), "hint")
        return
    if chat.editor is None:
        chat.say(_("/edit needs a terminal to run the editor on."), "error")
        return
    try:
        edited = chat.editor.edit(words)
    except EditorError as e:
        chat.session.notify.error(e)
        return
    if edited is None:
        chat.say(_("Unchanged; nothing sent."), "hint")
        return
    edited = strip_block_quotes(edited)
    before, _sep, after = _("In place of the last exchange, asking: {question}").partition("{question}")
    chat.console.print(Text(before, style="notice") + preview(edited, 60) + Text(after, style="notice"))
    chat.session.edit_last(edited)


def undo(chat: Chat, arg: str) -> None:
    undone = chat.session.undo()
    if undone is None:
        chat.say(_("Nothing to undo."))
        return
    before, _sep, after = _("Dropped the last exchange ({question}).").partition("{question}")
    chat.console.print(Text(before, style="notice") + preview(undone.question.words, 40) + Text(after, style="notice"))
