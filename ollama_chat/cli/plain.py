"""The command line without Typer: the language choice, the chat command's work once its words are read, and a
plain run of a command line that has nothing to parse.

`ollama-chat` and `echo q | ollama-chat some words` (no word starting with `-`, the first naming no command,
no shell completion asked for) mean the chat command with every option left out. `entry` runs them here:
importing Typer and building the command tree cost ~30 ms of every piped question. What the user sees is the
Typer path's, byte for byte: both end in `ask`, and `main` exits as Typer's main does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn

from ollama_chat import i18n, paths

from ollama_chat.cli import app
from ollama_chat.cli.guard import guarded
from ollama_chat.chat.configfile import load_config
from ollama_chat.environment import Environment
from ollama_chat.errors import EXIT_FAILURE, EXIT_INTERRUPTED, ChatError
from ollama_chat.i18n import _
from ollama_chat.chat.settings import Flags

DEFAULT = "chat"  # the command a first word that names no command belongs to
COMMANDS = ("personas", "history", "models")  # beside it; tests/test_cli_plain.py checks them against `main`'s Typer app
COMPLETE_VAR = "_OLLAMA_CHAT_COMPLETE"  # set by the shell's completion script: Typer answers it


def needs_parsing(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether the command line needs Typer: an option (or `--`), a command named, or a completion asked."""
    if environ.get(COMPLETE_VAR):
        return True
    if argv and argv[0] in (DEFAULT, *COMMANDS):
        return True
    return any(word.startswith("-") for word in argv)


def language(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The interface's language, chosen before parsing (help is rendered while parsing): `--lang ko|en`, else
    `language` in the config file, else the locale variables. A wrong `--lang` is left to the parser's error,
    a broken config file to the normal path's."""
    chosen = None
    for i, word in enumerate(argv):
        if word == "--":
            break
        if word == "--lang" and i + 1 < len(argv):
            chosen = argv[i + 1]
        elif word.startswith("--lang="):
            chosen = word[len("--lang="):]
    if chosen in i18n.LANGUAGES:
        return chosen
    try:
        configured = load_config(paths.config_file(environ)).get("language")
    except ChatError:
        configured = None
    return configured if configured in i18n.LANGUAGES else i18n.from_environment(environ)


def hint_at_a_command(env: Environment, word: str) -> None:
    """`ollama-chat modles` asks the model "modles"; say which command was probably meant."""
    import difflib  # here: a plain question's start-up does not pay for it

    close = difflib.get_close_matches(word.lower(), COMMANDS, n=1, cutoff=0.7)
    if close or word.lower() in ("help", "-help"):
        meant = f"ollama-chat {close[0]}" if close else "ollama-chat --help"
        env.note(_("asking the model \"{word}\"; did you mean `{command}`?").format(word=word, command=meant))


def ask(env: Environment, words: Sequence[str], flags: Callable[[], Flags] = Flags, *, interactive: bool = False,
        files: Sequence[str] = (), images: Sequence[str] = ()) -> int:
    """The chat command's work: PROMPT's words are one question (a lone word like a command's name gets a note),
    and `flags` are made inside the guard, so a bad value is a message. Returns the exit code."""
    question = " ".join(words) if words else None
    if len(words) == 1:
        hint_at_a_command(env, words[0])
    return guarded(env, lambda: app.chat(env, flags(), question, interactive=interactive, files=files, images=images))


def main(argv: Sequence[str], env: Environment | None = None) -> NoReturn:
    """`ollama-chat [WORDS]` where `needs_parsing` says no. Leaves as Typer's main does when something escapes
    the chat's guard: Ctrl+C is exit 130, an end of input says "Aborted!"."""
    env = env or Environment.from_process()
    i18n.use(language(argv, env.environ))
    try:
        code = ask(env, list(argv))
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except EOFError:
        env.stderr.write("\n" + _("Aborted!") + "\n")
        sys.exit(EXIT_FAILURE)
    sys.exit(code)
