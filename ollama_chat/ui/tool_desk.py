"""The consent desk: a tool call the model asks for is shown before it runs (the tool, its server, its arguments
pretty-printed and sanitised, an MCP server's read-only claim shown as a claim) and needs one keypress: `y` once,
`a` always (this tool, this chat), `n` or Enter no, `e` edit the arguments in your editor. Keys typed ahead during
the reply are thrown away first, so they cannot answer a question they never saw; Ctrl+C refuses and stops.
After each call a line says how it went and what its result costs. With no terminal to ask on, what needs asking
is refused, and said so.

The REPL draws on its console (`ConsoleScreen`), a one-shot on stderr (`StreamScreen`); keys come from the
terminal (`KeyReader`). Drawing and reading are kept apart from the wording (`tool_lines`), which is pure."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TextIO

from ollama_chat.chat.events import Decision, ToolOutcome
from ollama_chat.errors import ChatError
from ollama_chat.i18n import _
from ollama_chat.types import ToolCall, ToolSpec
from ollama_chat.ui.termmode import terminal_mode
from ollama_chat.ui.tool_lines import answer_words, arguments_lines, call_lines, outcome_line, question

# the answers, by key; the Korean layout's keys too (ㅛ is y, ㅁ a, ㅜ n, ㄷ e), and Enter is No
KEYS = {"y": "once", "a": "always", "n": "refuse", "e": "edit", "ㅛ": "once", "ㅁ": "always", "ㅜ": "refuse",
        "ㄷ": "edit", "\r": "refuse", "\n": "refuse", "\x04": "refuse"}
_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?")  # arrows, function keys, Alt+key
NO_TERMINAL = ("It needs the user's approval, and there was no terminal to ask on, so it was not run. Do not call it"
               " again; answer with what you have.")


class Screen(Protocol):
    def line(self, text: str, style: str = "notice") -> None:
        """One line of ours (already sanitised)."""
        ...

    def prompt(self, text: str) -> None:
        """A question, the cursor left after it."""
        ...


class ConsoleScreen:
    """The REPL's console (rich), in the theme's styles."""

    def __init__(self, console: Any) -> None:
        self.console = console

    def line(self, text: str, style: str = "notice") -> None:
        from rich.text import Text

        self.console.print(Text(text, style=style))

    def prompt(self, text: str) -> None:
        from rich.text import Text

        self.console.print(Text(text, style="notice"), end="")
        self.console.file.flush()


class StreamScreen:
    """stderr, for a one-shot (its stdout is the answer's)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def line(self, text: str, style: str = "notice") -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def prompt(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _raw(termios: Any, attributes: list[Any]) -> None:
    attributes[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG)  # Ctrl+C arrives as a key: ours to handle
    attributes[6][termios.VMIN], attributes[6][termios.VTIME] = 1, 0


def _flush(fd: int) -> None:
    try:
        import termios

        termios.tcflush(fd, termios.TCIFLUSH)
    except Exception:  # noqa: BLE001 - not a terminal (or not POSIX): nothing to flush
        pass


class KeyReader:
    """One keypress from the terminal `fd`, after throwing away what was typed ahead."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __call__(self, ask: Callable[[], None] = lambda: None) -> str:
        """The answer the key gives ("once", "always", "refuse", "edit"); other keys are ignored. Ctrl+C raises
        KeyboardInterrupt; the end of the terminal refuses. `ask()` shows the question, once what was typed
        before it is thrown away (so a key pressed as soon as it shows is kept)."""
        with terminal_mode(self.fd, _raw):
            _flush(self.fd)
            ask()
            while True:
                data = os.read(self.fd, 64)
                if not data:
                    return "refuse"
                if b"\x03" in data:
                    raise KeyboardInterrupt
                for key in _ESCAPE.sub("", data.decode("utf-8", "replace")).lower():  # an arrow key is no answer
                    if key in KEYS:
                        return KEYS[key]


def parse_arguments(text: str) -> Mapping[str, Any]:
    """Edited arguments: a JSON object, or ValueError saying what is wrong."""
    try:
        value = json.loads(text)
    except ValueError as e:
        raise ValueError(_("not valid JSON ({reason})").format(reason=e)) from None
    if not isinstance(value, dict):
        raise ValueError(_("a JSON object {{…}} is needed, not {kind}").format(kind=type(value).__name__))
    return value


class ToolDesk:
    """`keys(ask)`: shows the question with `ask()` and reads one answer (None: no terminal, so what needs asking
    is refused); `edit(text)`: the user's
    editor on a text (None: `e` is not offered), returning what they saved or None when unchanged."""

    def __init__(self, screen: Screen, keys: Callable[[Callable[[], None]], str] | None,
                 edit: Callable[[str], str | None] | None = None) -> None:
        self.screen = screen
        self.keys = keys
        self.edit = edit

    def show(self, call: ToolCall, spec: ToolSpec, *, approved: bool) -> None:
        for text, style in call_lines(call, spec, approved=approved, asking=self.keys is not None):
            self.screen.line(text, style)

    def ask(self, call: ToolCall, spec: ToolSpec) -> Decision:
        if self.keys is None:
            self.screen.line(_("Not run: {name} needs your approval and there is no terminal to ask on. "
                               "--yes-tools {name} runs it without asking.").format(name=spec.name), "warning")
            return Decision("refuse", why=NO_TERMINAL)
        arguments, edited = call.arguments, False
        while True:
            try:
                answer = self.keys(lambda: self.screen.prompt(question(self.edit is not None)))
            except KeyboardInterrupt:
                self.screen.line(_("no (Ctrl+C): stopped"), "warning")
                raise
            if answer == "edit" and self.edit is None:
                answer = "refuse"
            self.screen.line(answer_words(answer), "hint")
            if answer == "edit":
                new = self._edited(arguments)
                if new is not None:
                    arguments, edited = new, True
                    for text, style in arguments_lines(arguments, _("Edited arguments:")):
                        self.screen.line(text, style)
                continue
            if answer == "refuse":
                return Decision("refuse")
            return Decision(answer, arguments if edited else None)

    def _edited(self, arguments: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The arguments as the user saved them; None (said why) when unchanged, not JSON, or no editor."""
        assert self.edit is not None
        try:
            saved = self.edit(json.dumps(arguments, ensure_ascii=False, indent=2))
        except ChatError as e:
            self.screen.line(_("Error: ") + e.message + (" " + e.hint if e.hint else ""), "error")
            return None
        if saved is None:
            self.screen.line(_("The arguments are unchanged."), "hint")
            return None
        try:
            return parse_arguments(saved)
        except ValueError as e:
            self.screen.line(_("The edited arguments were not used: {reason}. Edit again (e) or answer y/n.").format(
                reason=e), "error")
            return None

    def done(self, outcome: ToolOutcome) -> None:
        text, style = outcome_line(outcome)
        self.screen.line(text, style)
