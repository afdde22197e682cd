"""The interactive loop: prompt_toolkit for input (Korean-safe editing, history, completion, toolbar), on the
real terminal kept quiet between prompts. Its pieces: `completion`, `keybindings`, `input_history`, and
`commands` for what a line does."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import ThreadedCompleter, merge_completers
from prompt_toolkit.styles import Style

from ollama_chat import paths
from ollama_chat.backends.base import Backend
from ollama_chat.chat.recorder import Recorder
from ollama_chat.chat.resume import Continuation
from ollama_chat.chat.session import ChatSession
from ollama_chat.chat.layers import Layers
from ollama_chat.chat.toolbox import ToolPlace
from ollama_chat.environment import Environment
from ollama_chat.errors import EXIT_OK, ChatError, Terminated, UsageError
from ollama_chat.files.attachments import Attachment, Image
from ollama_chat.i18n import _, ngettext
from ollama_chat.text import one_line
from ollama_chat.ui.chat import Chat, ConsoleNotify
from ollama_chat.ui.commands import handle_line
from ollama_chat.ui.completion import ChatCompleter, MentionCompleter
from ollama_chat.ui.tty_input import TerminalInput
from ollama_chat.ui.conversations import show_resumed
from ollama_chat.ui.editor import Editor
from ollama_chat.ui.heap import give_back, keep_large_blocks_mapped
from ollama_chat.ui.input_history import open_history
from ollama_chat.ui.keybindings import key_bindings
from ollama_chat.ui.typed import EXIT_WORDS
from ollama_chat.ui.output import make_output
from ollama_chat.ui.status import banner, toolbar
from ollama_chat.ui.termmode import quiet_terminal
from ollama_chat.ui.theme import make_console
from ollama_chat.ui.tool_desk import ConsoleScreen, KeyReader, ToolDesk


@dataclass(frozen=True)
class Start:
    """How an interactive chat begins: where it is recorded, what it resumes, and a first question (piped in
    with -i, or a PROMPT with -i)."""

    recorder: Recorder
    continuation: Continuation | None = None  # a resume, resolved once (`resume.continue_with`)
    first_message: str | None = None
    attachments: tuple[Attachment | Image, ...] = ()  # -f and --image: held for the first question


STYLE = Style.from_dict(
    {
        "prompt": "bold ansicyan",
        "continuation": "ansibrightblack",
        "bottom-toolbar": "noreverse ansibrightblack",
    }
)


def run_repl(env: Environment, layers: Layers, backend: Backend, start: Start) -> int:
    """The REPL on the real terminal. With piped stdin (-i), input continues on /dev/tty."""
    if env.stdin_isatty:
        terminal = env.stdin
    else:  # -i with piped stdin: the pipe is read; keep talking on the terminal
        try:
            terminal = env.open_tty()
        except OSError:
            raise UsageError(_("--interactive needs a terminal to continue on, and none is available.")) from None
    prompt_input, tty_fd = TerminalInput(terminal), terminal.fileno()
    if not env.stdout_isatty:
        raise UsageError(_("The interactive chat needs a terminal on stdout."), _("Drop -i to answer once into the pipe."))
    console = make_console(env.stdout)
    settings = layers.resolve()
    output = make_output(
        stdout_is_terminal=True,
        plain=settings.plain,
        hide_thinking=settings.hide_thinking,
        out=env.stdout.buffer,
        err=env.stderr,
        console=console,
        environ=env.environ,
    )
    notify = ConsoleNotify(console)
    editor = Editor(env.environ, tty_fd, screen=env.stdout)
    desk = ToolDesk(ConsoleScreen(console), KeyReader(tty_fd) if tty_fd is not None else None, editor.edit)
    place = ToolPlace(os.getcwd(), settings.host if settings.backend_api == "ollama" else None, env.environ)
    session = ChatSession(layers, backend, output, notify, paths.user_persona_dir(env.environ), start.recorder,
                          desk, place)
    start.recorder.warn_with(notify.warning, lambda text: notify.say(text, "hint"))
    if start.continuation is not None:
        session.continue_from(start.continuation)
    chat = Chat(session, console, editor)
    history_file = paths.input_history_file(env.environ)
    try:
        return chat_loop(chat, prompt_session(chat, history_file, input=prompt_input), start, tty_fd)
    finally:
        session.tool_use.toolbox.close()  # MCP servers it started


def prompt_session(chat: Chat, history_file: Path, **io: Any) -> PromptSession:
    """The line editor. `io` may carry prompt_toolkit's `input`/`output` (tests pass a pipe and a dummy)."""
    session = chat.session
    return PromptSession(
        history=open_history(session.settings.input_history, lambda text: chat.say(_("Warning: ") + text, "warning"), history_file),
        key_bindings=key_bindings(chat.editor, session.notify.error),
        completer=ThreadedCompleter(merge_completers([ChatCompleter(session), MentionCompleter()])),  # a slow server never blocks typing
        complete_while_typing=False,
        bottom_toolbar=lambda: toolbar(session),
        prompt_continuation=lambda width, line, wrap: [("class:continuation", "…".rjust(width - 1) + " ")],
        style=STYLE,
        **io,
    )


def chat_loop(chat: Chat, prompt: PromptSession, start: Start | None = None, tty_fd: int | None = None) -> int:
    """`tty_fd`: the terminal the keys come from. It stays quiet for the whole chat, not just during replies:
    prompt_toolkit puts it in raw mode for each prompt and back to quiet after, so there is no moment, at
    start-up or between a reply and the next prompt, when a key typed ahead is echoed or Enter is cooked."""
    with quiet_terminal(tty_fd):
        return _loop(chat, prompt, start or Start(chat.session.recorder))


def offer_pull(chat: Chat, prompt: PromptSession) -> None:
    """The model is not on the server: ask to pull it (Enter says yes), as `ollama run` would just do."""
    from ollama_chat.ui.progress import PullView

    model = chat.session.settings.model
    ask: PromptSession = PromptSession(input=prompt.input, output=prompt.output)
    try:
        question = _("{model} is not installed on the server. Pull it now? [Y/n] ").format(model=one_line(model))
        answer = ask.prompt([("class:prompt", question)])
    except (EOFError, KeyboardInterrupt):
        answer = "n"
    if answer.strip().lower() in ("", "y", "yes", "예", "네", "ㅇ"):
        if chat.session.pull(model, PullView(chat.console)):
            chat.session.check_model()
    else:
        chat.say(_("Not pulled. /pull fetches it later; /model NAME switches (/models lists them)."), "hint")


def _loop(chat: Chat, prompt: PromptSession, start: Start) -> int:
    session = chat.session
    for text, style in banner(session):
        chat.say(text, style)
    if start.continuation is not None:
        chat.console.print()
        show_resumed(chat, start.continuation)
    if session.check_model(quiet_if_missing=session.backend.can_pull) and session.backend.can_pull:
        offer_pull(chat, prompt)
    for item in start.attachments:
        session.tray.add(item)
    first_message = start.first_message
    if first_message is not None:
        lines = first_message.count("\n") + 1
        piped = ngettext("(piped in: {chars} characters, {lines} line)", "(piped in: {chars} characters, {lines} lines)",
                         lines)
        chat.say(piped.format(chars=f"{len(first_message):,}", lines=f"{lines:,}"), "hint")
        keep_large_blocks_mapped()  # before its reply streams (see heap.py)
        session.ask(first_message)
        give_back()
        chat.console.print()
    held = first_message is not None
    while True:
        try:
            line = prompt.prompt([("class:prompt", f"{session.settings.persona.name}> ")])
        except Terminated:
            raise
        except KeyboardInterrupt:
            chat.say(_("(Ctrl+C clears the line. To leave: {words} or Ctrl+D)").format(words=", ".join(EXIT_WORDS)), "hint")
            continue
        except EOFError:
            break
        if not held:  # once, after the first prompt (see heap.py)
            held = True
            keep_large_blocks_mapped()
        try:
            if not handle_line(chat, line):
                break
        except Terminated:
            raise
        except KeyboardInterrupt:
            chat.say(_("Interrupted."), "hint")
        except ChatError as e:  # the chat survives any one bad command: it is said, and the prompt comes back
            chat.session.notify.error(e)
        give_back()  # what the line's work freed (heap.py)
        if line.strip():
            chat.console.print()  # air between a reply (or a command's answer) and the next prompt
    session.log.leave(session.settings)
    chat.say(_("Bye!"), "hint")
    return EXIT_OK
