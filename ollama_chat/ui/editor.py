"""Your own editor on a message: $VISUAL, else $EDITOR, else a sensible default, run on the real terminal.

Ctrl+G (as in `ollama run`) and Ctrl+X Ctrl+E open it on the line being typed, `/edit` on the last question.
It is also the way around an input method that struggles in a terminal: type in the editor, save, and the
text comes back as the message.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ContextManager, TextIO

from ollama_chat.errors import ChatError
from ollama_chat.i18n import _
from ollama_chat.ui.termmode import terminal_mode

VARIABLES = ("VISUAL", "EDITOR")
FALLBACKS = ("notepad",) if sys.platform == "win32" else ("editor", "nano", "vi")  # `editor`: Debian's choice


class EditorError(ChatError):
    """The editor could not be started, failed, or saved something we cannot read: nothing is sent."""


class EditorStopped(EditorError):
    """The editor was killed by a signal: Ctrl+C while a `code --wait` waited, say."""


@dataclass(frozen=True)
class EditorCommand:
    """The editor to run, and where that choice came from (a variable and its value), for messages."""

    argv: list[str]
    variable: str | None = None
    value: str = ""


def _split(value: str) -> list[str]:
    if sys.platform != "win32":
        return shlex.split(value)
    return [part[1:-1] if part[:1] == part[-1:] == '"' and len(part) > 1 else part  # C:\Program Files\… stays
            for part in shlex.split(value, posix=False)]


def _usage_hint(variable: str) -> str:
    return _("Set {name} to an editor that is installed (e.g. export {name}=nano; `code --wait` for VS Code),"
             " or unset it for the default.").format(name=variable)


def choose(environ: Mapping[str, str]) -> EditorCommand:
    """$VISUAL, then $EDITOR (a command line: `code --wait`, `vim -u NONE`), then the first default installed."""
    for variable in VARIABLES:
        value = environ.get(variable, "")
        if not value.strip():
            continue
        try:
            argv = _split(value)
        except ValueError as e:  # an unclosed quote
            raise EditorError(_("${name} is “{value}”, which cannot be read as a command ({reason}).").format(
                name=variable, value=value, reason=e), _usage_hint(variable)) from None
        return EditorCommand(argv, variable, value)
    path = environ.get("PATH", os.defpath)
    for name in FALLBACKS:
        if shutil.which(name, path=path):
            return EditorCommand([name])
    raise EditorError(_("No editor found: VISUAL and EDITOR are not set, and none of {names} is installed.").format(
        names=", ".join(FALLBACKS)), _("Set EDITOR to your editor, e.g. export EDITOR=vim."))


def editor_command(environ: Mapping[str, str]) -> list[str]:
    """The editor's command line, without the file name."""
    return choose(environ).argv


def _normal(termios: Any, attributes: list[Any]) -> None:
    attributes[0] |= termios.ICRNL
    attributes[3] |= termios.ECHO | termios.ICANON | termios.IEXTEN | termios.ISIG


def normal_terminal(fd: int | None) -> ContextManager[None]:
    """The terminal as a program expects to find it (echo, line editing, Enter as a newline, Ctrl+C), for as
    long as the editor runs; the mode it was in (the chat's quiet mode, say) comes back after."""
    return terminal_mode(fd, _normal)


def _run(command: EditorCommand, filename: str, environ: Mapping[str, str], terminal: int | None,
         screen: TextIO | None) -> None:
    shown = command.value or shlex.join(command.argv)
    # As git does: a GUI editor (`code --wait`) leaves the terminal looking idle, so say what it waits for, and
    # erase the line once the editor is closed (a terminal editor draws over it and restores it).
    waiting = screen is not None and environ.get("TERM") != "dumb"
    if screen is not None and waiting:
        screen.write(_("Waiting for your editor ({program}) to close the file…").format(program=shown))
        screen.flush()
    try:
        with normal_terminal(terminal):
            code = subprocess.call([*command.argv, filename], stdin=terminal, env=dict(environ))
    except OSError as e:
        if command.variable is None:
            raise EditorError(_("The editor {program} could not be started: {reason}.").format(
                program=shown, reason=e.strerror or e), _("Set EDITOR to your editor, e.g. export EDITOR=vim.")) from None
        raise EditorError(_("${name} is “{value}”, but {program} could not be started: {reason}.").format(
            name=command.variable, value=command.value, program=command.argv[0], reason=e.strerror or e),
            _usage_hint(command.variable)) from None
    finally:
        if screen is not None and waiting:
            screen.write("\r\033[K")
            screen.flush()
    if code < 0:  # Ctrl+C while a `code --wait` waits, say
        raise EditorStopped(_("The editor ({program}) was stopped ({signal}); nothing was sent.").format(
            program=shown, signal=_signal_name(-code)))
    if code != 0:  # `:cq` in vim
        raise EditorError(_("The editor ({program}) exited with status {code}; nothing was sent.").format(
            program=shown, code=code))


def _signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def edit_text(text: str, environ: Mapping[str, str], *, terminal: int | None = None,
              screen: TextIO | None = None) -> str | None:
    """`text` in the user's editor; what they saved, or None when they left it as it was or emptied it.

    The file is private (0600), a `.md` so editors highlight Markdown, UTF-8, and always deleted. The editor
    runs on the real terminal (`terminal`: the fd its keys come from, when stdin is a pipe) and is waited for;
    `screen`, the terminal's output, says what it waits for meanwhile (None: nothing is said).
    One trailing newline (most editors add one when they save) is dropped. Raises EditorError when the
    editor cannot be started, exits with an error (`:cq` in vim), or saves text that is not UTF-8."""
    command = choose(environ)
    written = text if not text or text.endswith("\n") else text + "\n"
    fd, filename = tempfile.mkstemp(prefix="ollama-chat-", suffix=".md")  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(written)
        _run(command, filename, environ, terminal, screen)
        with open(filename, "rb") as f:
            data = f.read()
    finally:
        try:
            os.unlink(filename)
        except OSError:
            pass
    try:
        saved = data.decode("utf-8-sig")  # Notepad may start the file with a byte-order mark
    except UnicodeDecodeError:
        raise EditorError(_("The editor saved text that is not UTF-8; nothing was sent."),
                          _("Save the file as UTF-8 (the editor's encoding setting).")) from None
    saved = saved.replace("\r\n", "\n")
    if saved == written:
        return None
    saved = saved[:-1] if saved.endswith("\n") else saved
    if saved == text or not saved.strip():
        return None
    return saved


@dataclass(frozen=True)
class Editor:
    """What the chat needs to open the editor: the environment that chooses it, the terminal it reads, and the
    terminal's output (`screen`) that says what it waits for."""

    environ: Mapping[str, str]
    terminal: int | None = None
    screen: TextIO | None = None

    def edit(self, text: str) -> str | None:
        return edit_text(text, self.environ, terminal=self.terminal, screen=self.screen)
