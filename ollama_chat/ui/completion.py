"""Tab completion at the prompt: slash commands and their arguments (persona and model names, options, paths
after /read and /image), and a path after `@` anywhere in a message. A name that one line cannot show (a
newline, a bidi override) is never offered: it would go into the line as it is."""

from __future__ import annotations

from collections.abc import Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from ollama_chat.backends.base import BackendError
from ollama_chat.chat.personas import known_names
from ollama_chat.chat.session import ChatSession
from ollama_chat.options import OPTIONS, THINK_WORDS
from ollama_chat.text import one_line
from ollama_chat.ui.commands import COMMANDS


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
                "/think": lambda: THINK_WORDS,
            }.get(command, lambda: ())()
        for candidate in candidates:
            # a name that one line cannot show (a newline, a bidi override) would go into the line as it is: not offered
            if candidate.startswith(word) and one_line(candidate) == candidate:
                yield Completion(candidate, start_position=-len(word))


def last_word(text: str) -> str:
    """The path being typed at the end of `text`: from an open quote if there is one, else from the last space."""
    if text.count('"') % 2:
        return text[text.rfind('"') :]
    return text.rpartition(" ")[2] if " " in text else text


def path_completions(paths: PathCompleter, word: str, event: CompleteEvent) -> Iterable[Completion]:
    """`word`'s completions, quoted when the path holds a space (or the user opened a quote): a name
    completed bare at a space would be read as two words."""
    quoted = word.startswith('"')
    bare = word[1:] if quoted else word
    for c in paths.get_completions(Document(bare, len(bare)), event):
        if one_line(c.text) != c.text:  # a newline or bidi override in a name: neither shown raw nor typed in
            continue
        full = bare[: len(bare) + c.start_position] + c.text
        if quoted or any(ch.isspace() for ch in full):
            end = "" if full.endswith("/") else '"'  # a folder: keep the quote open to go on into it
            yield Completion(f'"{full}{end}', start_position=-len(word), display=c.display)
        else:
            yield c


class MentionCompleter(Completer):
    """Tab after `@` completes a path (relative to the working directory, `~` expanded)."""

    def __init__(self) -> None:
        self._paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        before = document.text_before_cursor
        word = last_word(before)
        at = len(before) - len(word) - 1
        if not word.startswith("@"):
            if at < 0 or before[at] != "@":
                return
        else:
            word, at = word[1:], at + 1
        if at > 0 and not before[at - 1].isspace():
            return
        if not word.startswith('"') and any(ch.isspace() for ch in word):
            return
        yield from path_completions(self._paths, word, complete_event)
