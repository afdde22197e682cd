"""The interactive loop: prompt_toolkit for input (Korean-safe editing, history, completion, toolbar)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ContextManager

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import (CompleteEvent, Completer, Completion, PathCompleter, ThreadedCompleter,
                                     merge_completers)
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.styles import Style

from rich.console import Console
from rich.text import Text

from ollama_chat import paths
from ollama_chat.files.attachments import Attachment, Image
from ollama_chat.backends.base import Backend, BackendError
from ollama_chat.environment import Environment
from ollama_chat.errors import EXIT_OK, ChatError, Terminated, UsageError, cut_values
from ollama_chat.i18n import _, ngettext
from ollama_chat.options import OPTIONS
from ollama_chat.chat.personas import THINK_LEVELS, known_names
from ollama_chat.chat.recorder import Recorder
from ollama_chat.chat.refusals import Refusal
from ollama_chat.chat.resume import Continuation
from ollama_chat.chat.session import ChatSession
from ollama_chat.chat.settings import Layers
from ollama_chat.ui.attach import MentionCompleter, last_word, path_completions
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.commands import COMMANDS, EXIT_WORDS, handle_line
from ollama_chat.ui.conversations import show_resumed
from ollama_chat.ui.editor import Editor, EditorError, EditorStopped
from ollama_chat.ui.output import make_output
from ollama_chat.ui.status import banner, toolbar
from ollama_chat.ui.termmode import terminal_mode
from ollama_chat.text import one_line, sanitize
from ollama_chat.ui.theme import make_console
from ollama_chat.ui.wording import for_repl

TRIPLE = '"""'


@dataclass(frozen=True)
class Start:
    """How an interactive chat begins: where it is recorded, what it resumes, and a first question (piped in
    with -i, or a PROMPT with -i)."""

    recorder: Recorder
    continuation: Continuation | None = None  # a resume, resolved once (`resume.continue_with`)
    first_message: str | None = None
    attachments: tuple[Attachment | Image, ...] = ()  # -f and --image: held for the first question


class PrivateHistory(FileHistory):
    """Input history in a 0600 file. If it can't be written, warn once and go on without it."""

    def __init__(self, path: Path, warn: Callable[[str], None]) -> None:
        super().__init__(str(path))
        self._warn = warn
        self._broken = False

    def load_history_strings(self) -> Iterable[str]:
        try:
            yield from super().load_history_strings()
        except OSError as e:
            self._fail(e)

    def store_string(self, string: str) -> None:
        if self._broken:
            return
        try:
            super().store_string(string)
        except OSError as e:
            self._fail(e)

    def _fail(self, error: OSError) -> None:
        if not self._broken:
            self._broken = True
            self._warn(_("Input history {path} is not usable ({reason}); going on without saving it.")
                       .format(path=self.filename, reason=error.strerror))


def open_history(enabled: bool, warn: Callable[[str], None], path: Path | None = None) -> History:
    if not enabled:
        return InMemoryHistory()
    path = path or paths.input_history_file()
    try:
        paths.private_file(path)
    except OSError as e:
        warn(_("Input history {path} is not writable ({reason}); going on without saving it (--no-input-history hides"
               " this).").format(path=path, reason=e.strerror))
        return InMemoryHistory()
    return PrivateHistory(path, warn)


class ConsoleNotify:
    """The session's messages, on the REPL's console."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def say(self, text: str, style: str = "notice") -> None:
        if style in ("error", "warning"):  # (what a command shows, a long system prompt, is not cut)
            text = cut_values(text)
        self.console.print(Text(text, style=style))

    def error(self, error: ChatError) -> None:
        error = for_repl(error)  # the hint in the chat's words
        self._labelled(_("Error: "), "error", error.message, error.hint)

    def refused(self, refusal: Refusal) -> None:
        self.error(for_repl(refusal))

    def warning(self, text: str, hint: str = "") -> None:
        self._labelled(_("Warning: "), "warning", text, hint)

    def _labelled(self, label: str, style: str, text: str, hint: str) -> None:
        from rich.padding import Padding

        self.console.print(Text(label, style=style) + Text(one_line(cut_values(text))))  # a server's or file's words in it too
        if hint:  # indented as a whole, wrapped lines too
            self.console.print(Padding(Text(sanitize(cut_values(hint)), style="hint"), (0, 0, 0, 2)))


class ChatCompleter(Completer):
    """Slash commands, then persona names after /persona, model names after /model, options after /set, paths
    after /read and /image."""

    def __init__(self, session: ChatSession) -> None:
        self.session = session
        self._paths = PathCompleter(expanduser=True)

    def _models(self) -> list[str]:
        try:
            return self.session.models()
        except BackendError:
            return []  # no completions when the server can't be asked; /models says why

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        if not text.startswith("/") or "\n" in text:
            return
        command, space, arg = text.partition(" ")
        if space and command in ("/read", "/image"):  # paths, as many as wanted: complete the last one
            yield from path_completions(self._paths, last_word(arg), complete_event)
            return
        if not space:
            candidates: Iterable[str] = COMMANDS
            word = command
        elif " " in arg:  # past the command's one argument: nothing to complete
            return
        else:
            word = arg
            candidates = {
                "/persona": lambda: known_names(self.session.user_persona_dir),
                "/model": self._models,
                "/set": lambda: OPTIONS,
                "/unset": lambda: self.session.settings.options,
                "/format": lambda: ("json", "off"),
                "/stats": lambda: ("on", "off"),
                "/think": lambda: ("on", "off", *THINK_LEVELS),
            }.get(command, lambda: ())()
        for candidate in candidates:
            # a name that one line cannot show (a newline, a bidi override) would go into the line as it is: not offered
            if candidate.startswith(word) and one_line(candidate) == candidate:
                yield Completion(candidate, start_position=-len(word))


def _quiet(termios: Any, attributes: list[Any]) -> None:
    attributes[0] &= ~termios.ICRNL
    attributes[3] &= ~(termios.ECHO | termios.ICANON | getattr(termios, "ECHOCTL", 0))
    attributes[3] |= termios.NOFLSH  # Ctrl+C stops the reply but keeps what was typed ahead
    attributes[6][termios.VMIN], attributes[6][termios.VTIME] = 1, 0


def quiet_terminal(fd: int | None) -> ContextManager[None]:
    """Keys typed ahead (while a reply is drawn, or before the first prompt) are neither echoed nor cooked by
    the terminal: no echo, no line editing, and Enter stays a carriage return (ICRNL off), so a line typed
    ahead and ended with Enter is submitted on its own by the next prompt instead of becoming a newline glued
    to the next question. Ctrl+C still interrupts (ISIG stays), without discarding keys typed ahead (NOFLSH).
    Restored however the chat ends."""
    return terminal_mode(fd, _quiet)


def key_bindings(editor: Editor | None = None, report: Callable[[ChatError], None] | None = None) -> KeyBindings:
    """Alt+Enter and Ctrl+J: a new line. Ctrl+G (as in `ollama run`) and Ctrl+X Ctrl+E: the line in `editor`;
    what is saved is sent at once, and a line left as it was (or emptied) stays, unsent. `report`: the
    editor's failures, shown while the prompt is put away."""
    kb = KeyBindings()

    @Condition
    def in_triple_quote_block() -> bool:
        from prompt_toolkit.application import get_app

        text = get_app().current_buffer.text.strip()
        return text.startswith(TRIPLE) and (len(text) < 6 or not text.endswith(TRIPLE))

    @kb.add("enter", filter=in_triple_quote_block)
    @kb.add("escape", "enter")
    @kb.add("c-j")
    def _newline(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    if editor is not None:

        @kb.add("c-g")
        @kb.add("c-x", "c-e")
        def _edit(event: Any) -> None:
            from prompt_toolkit.application import run_in_terminal

            buffer = event.current_buffer

            def edit() -> str | None:
                try:
                    return editor.edit(buffer.text)
                except EditorStopped:  # by Ctrl+C, which the prompt answers itself
                    return None
                except EditorError as e:
                    if report is not None:
                        report(e)
                    return None

            async def edit_then_send() -> None:
                # run_in_terminal puts the prompt away, hands the editor a cooked terminal, and redraws after
                text = await run_in_terminal(edit, in_executor=True)
                if text is not None:
                    buffer.document = Document(text, len(text))
                    buffer.validate_and_handle()

            event.app.create_background_task(edit_then_send())

    return kb


STYLE = Style.from_dict(
    {
        "prompt": "bold ansicyan",
        "continuation": "ansibrightblack",
        "bottom-toolbar": "noreverse ansibrightblack",
    }
)


def run_repl(env: Environment, layers: Layers, backend: Backend, start: Start) -> int:
    """The REPL on the real terminal. With piped stdin (-i), input continues on /dev/tty."""
    prompt_input, tty_fd = None, None
    if env.stdin_isatty:
        tty_fd = env.stdin.fileno()
    else:  # -i with piped stdin: the pipe is read; keep talking on the terminal
        try:
            tty = env.open_tty()
        except OSError:
            raise UsageError(_("--interactive needs a terminal to continue on, and none is available.")) from None
        from prompt_toolkit.input import create_input

        prompt_input, tty_fd = create_input(tty), tty.fileno()
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
    session = ChatSession(layers, backend, output, notify, paths.user_persona_dir(env.environ), start.recorder)
    start.recorder.warn_with(notify.warning, lambda text: notify.say(text, "hint"))
    if start.continuation is not None:
        session.continue_from(start.continuation)
    chat = Chat(session, console, Editor(env.environ, tty_fd))
    history_file = paths.input_history_file(env.environ)
    return chat_loop(chat, prompt_session(chat, history_file, input=prompt_input), start, tty_fd)


def prompt_session(chat: Chat, history_file: Path | None = None, **io: Any) -> PromptSession:
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
        session.ask(first_message)
        chat.console.print()
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
        try:
            if not handle_line(chat, line):
                break
        except Terminated:
            raise
        except KeyboardInterrupt:
            chat.say(_("Interrupted."), "hint")
        except ChatError as e:  # the chat survives any one bad command: it is said, and the prompt comes back
            chat.session.notify.error(e)
        if line.strip():
            chat.console.print()  # air between a reply (or a command's answer) and the next prompt
    session.log.leave(session.settings)
    chat.say(_("Bye!"), "hint")
    return EXIT_OK
