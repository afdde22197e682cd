"""What a line typed at the prompt does: leave, run a slash command from the table, or ask the model.

Ollama's own REPL habits (`/set parameter num_ctx 4096`, `/set system …`, `/set verbose`, `/show info`)
are accepted as aliases of our commands (`typed`), and an unknown command gets a "did you mean". The
commands themselves are grouped by what they act on: `settings`, `exchanges`, `conversations` (stored ones),
`attach`, `files` and `show`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text

from ollama_chat.i18n import N_, _
from ollama_chat.options import THINK_WORDS
from ollama_chat.suggest import did_you_mean
from ollama_chat.text import one_line
from ollama_chat.ui import attach, conversations, exchanges, files, settings, show
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.korean_keys import from_korean_keys, is_hangul
from ollama_chat.ui.typed import EXIT_WORDS, is_exit_word, strip_block_quotes, translate_ollama

LEAVE = object()  # returned by a handler to end the REPL


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    help: str
    handler: Callable[[Chat, str], object]


def handle_line(chat: Chat, line: str) -> bool:
    """Act on one submitted input. False means: leave the REPL."""
    text = line.strip()
    if not text:
        return True
    if is_exit_word(text):
        return False
    if text.startswith("/") and not text.startswith("//"):
        typed, _sep, arg = text.partition(" ")
        name = typed.lower()
        if name not in COMMANDS and any(is_hangul(c) for c in name):
            name = from_korean_keys(name).lower()  # typed with the Korean layout on: /ㅗ디ㅔ is /help
        name, arg = translate_ollama(name, arg.strip())
        command = COMMANDS.get(name)
        if command is None:
            guess = did_you_mean(name, COMMANDS, n=2)
            shown = typed.lower() if any(is_hangul(c) for c in typed) else name
            chat.say(_("Unknown command {name}.{guess} /help lists them.").format(
                name=one_line(shown), guess=" " + guess if guess else ""), "error")
            return True
        return command.handler(chat, arg) is not LEAVE
    attach.ask(chat, strip_block_quotes(line))
    return True


def _help(chat: Chat, arg: str) -> None:
    from rich.table import Table

    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    for command in COMMANDS.values():
        table.add_row(Text(f"{command.name} {command.args}".strip()), Text(_(command.help)))  # text, not markup
    chat.console.print(table)
    chat.say(
        _("Leave with {words}, /bye or Ctrl+D. Alt+Enter or Ctrl+J: new line. "
          '"""…""": a multi-line message. Ctrl+G: write the message in your editor. Ctrl+C stops a reply. '
          "Ollama's /set parameter, /set system, /set verbose, /set format and /set think work too.").format(
            words=", ".join(EXIT_WORDS)),
        "hint",
    )


def _leave(chat: Chat, arg: str) -> object:
    return LEAVE


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("/help", "", N_("this list"), _help),
        Command("/clear", "", N_("start a new conversation (keeps the persona; the old one stays in /resume)"), exchanges.clear),
        Command("/system", "[TEXT]", N_("show or replace the system prompt"), settings.system),
        Command("/persona", "[NAME]", N_("show or switch the persona (starts afresh; your model and /set options stay)"), settings.persona),
        Command("/personas", "", N_("list personas"), settings.personas),
        Command("/model", "[NAME]", N_("show or switch the model"), settings.model),
        Command("/models", "", N_("list the server's models"), settings.models),
        Command("/pull", "[NAME]", N_("download a model (default: the current one), with its progress"), settings.pull),
        Command("/set", "PARAM VALUE", N_("set a model option (temperature, top_p, num_ctx, stop, ...)"), settings.set_option),
        Command("/unset", "PARAM", N_("back to the model's default"), settings.unset_option),
        Command("/show", "", N_("the effective settings"), show.show),
        Command("/history", "[N]", N_("the exchanges so far; N: one of them in full"), conversations.history),
        Command("/title", "[TEXT]", N_("show or name this conversation's title (in `ollama-chat history`)"), conversations.title),
        Command("/resume", "[N|ID]", N_("go on with an earlier conversation (without N: list the recent ones)"), conversations.resume),
        Command("/compact", "", N_("summarise the exchanges that no longer fit the context window, and send that instead"), exchanges.compact),
        Command("/retry", "", N_("ask the last question again"), exchanges.retry),
        Command("/edit", "", N_("edit the last question in your editor ($VISUAL/$EDITOR) and ask it instead"), exchanges.edit),
        Command("/undo", "", N_("drop the last exchange"), exchanges.undo),
        Command("/format", "json|off", N_("ask for JSON answers"), settings.answer_format),
        Command("/think", "|".join(THINK_WORDS), N_("ask the model to think first, or not"), settings.think),
        Command("/stats", "on|off", N_("tokens/s and timings after each reply"), settings.stats),
        Command("/read", "PATH…", N_("attach text files to your next message (a folder or glob: its text files; @path in a"
                                     " message works too)"), attach.read),
        Command("/image", "PATH…", N_("attach images to your next message, for a model that can see"), attach.image),
        Command("/save", "FILE", N_("save the conversation (Markdown, or JSON for .json)"), files.save),
        Command("/save!", "FILE", N_("save, overwriting FILE"), files.save_overwrite),
        Command("/load", "FILE", N_("resume a conversation saved as JSON"), files.load),
        Command("/copy", "[code [N]]", N_("copy the last reply to the clipboard (OSC 52, works over SSH); code: its last"
                                          " code block, code N: the one numbered N"), files.copy),
        Command("/bye", "", N_("leave (also /exit, /quit, quit, exit, 종료, 나가기, 끝, Ctrl+D)"), _leave),
        Command("/exit", "", N_("leave"), _leave),
        Command("/quit", "", N_("leave"), _leave),
    )
}
