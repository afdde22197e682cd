"""What a run reads before it asks: the files and images of -f and --image, and standard input (the question
piped in, or `-f -`), each read and checked before anything is sent."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ollama_chat.backends.base import Backend
from ollama_chat.chat.settings import Settings
from ollama_chat.cli.servers import open_backend
from ollama_chat.environment import Environment
from ollama_chat.errors import UsageError
from ollama_chat.i18n import _
from ollama_chat.text import one_line, sanitize
from ollama_chat.types import Message

if TYPE_CHECKING:
    from ollama_chat.files.attachments import Attachment, Image


def read_attachments(env: Environment, files: Sequence[str], images: Sequence[str], settings: Settings
                     ) -> tuple[list[Attachment], list[Image]]:
    """-f and --image: each read and checked now, so a bad file stops the run before anything is sent. As in
    the chat, -f takes a file's image by its bytes, and a folder or glob for its text files (`-f -` standard
    input, read as far as it can fit `settings`' model and no further than a file may be). Imported only then:
    a plain question's start-up does not pay for them."""
    from ollama_chat.files import attachments
    from ollama_chat.estimate import Calibration
    from ollama_chat.files.filesets import expand
    from ollama_chat.chat.tray import attached_note

    cwd, seen = Path.cwd(), set()
    texts: list[attachments.Attachment] = []
    pictures = [attachments.read_image(attachments.resolve(name, cwd), name) for name in images]
    for name in files:
        if name == "-":
            if env.stdin_isatty:
                env.stderr.write(_("Reading -f - from the terminal; finish with Ctrl+D.") + "\n")
            texts.append(attachments.text_from(read_input(env, settings, None, _("standard input"), attachments.MAX_TEXT),
                                               _("standard input")))
            continue
        path = attachments.resolve(name, cwd)
        named = not os.path.isdir(path) and not any(ch in name for ch in "*?[")  # (False for a name too long)
        # a file named is taken as it is (an image by its bytes); a folder or glob gives its text files, as /read
        found = [(path, name)] if named else [(p, attachments.shown_path(p, cwd)) for p in expand([name], cwd).files]
        if not found:
            raise UsageError(_("Nothing to attach in {name}.").format(name=name))
        for p, shown in found:
            if p.resolve() in seen:
                continue
            seen.add(p.resolve())
            try:
                item = attachments.read_any(p, shown) if named else attachments.read_text(p, shown)
            except attachments.AttachmentError:
                if named:
                    raise
                continue  # a binary file in a folder is skipped, as /read skips it
            (pictures if isinstance(item, attachments.Image) else texts).append(item)  # type: ignore[arg-type]
    if env.stderr_isatty:
        for item in [*texts, *pictures]:
            tokens = Calibration().tokens(attachments.block(item)) if isinstance(item, attachments.Attachment) else None
            env.stderr.write(one_line(attached_note(item, tokens)) + "\n")
    return texts, pictures


def question_with(words: str, texts: Sequence[Attachment], pictures: Sequence[Image]) -> Message:
    from ollama_chat.files.attachments import question

    return question(words, texts, pictures)


def read_input(env: Environment, settings: Settings, backend: Backend | None, name: str,
               most_bytes: int | None = None) -> bytes:
    """Standard input, refused as soon as it clearly cannot fit (`stdin.read_within`): the server is asked how
    much the model can take only when the input has grown that far."""
    from ollama_chat.cli.stdin import ceiling_for, read_within, smallest_budget

    def too_many_bytes(size: int) -> UsageError:
        return UsageError(_("Cannot attach {name}: {reason}.").format(name=name, reason=_(
            "it is larger than {size} KiB").format(size=f"{(most_bytes or 0) // 1024:,}")))

    return read_within(env.stdin.buffer, lambda: ceiling_for(backend or open_backend(env, settings), settings),
                       quiet_below=smallest_budget(settings), name=name, model=sanitize(settings.model),
                       most_bytes=most_bytes, too_many_bytes=too_many_bytes)


def read_stdin(env: Environment, settings: Settings, backend: Backend) -> str:
    decoded = decode_input(read_input(env, settings, backend, _("standard input")))
    if decoded.bad_byte_offset is not None:
        env.warn(_("standard input is not valid UTF-8 (first bad byte at offset {offset}); "
                   "invalid bytes were replaced with U+FFFD.").format(offset=decoded.bad_byte_offset))
    return decoded.text


@dataclass(frozen=True)
class DecodedInput:
    text: str
    bad_byte_offset: int | None = None  # where the first invalid UTF-8 byte was, if any


def decode_input(data: bytes) -> DecodedInput:
    """Piped bytes as text. Invalid UTF-8 is replaced (U+FFFD), never fatal; the caller warns."""
    try:
        return DecodedInput(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        return DecodedInput(data.decode("utf-8", "replace"), e.start)


def combine_question(piped: str | None, prompt: str | None, *, attached: bool = False) -> str:
    """Piped text, a blank line, then the PROMPT argument (`cat notes.txt | ollama-chat "요약해 주세요"`).
    With `attached` files or images the words may be empty: the model gets the files alone."""
    parts = [p.strip("\n") for p in (piped, prompt) if p is not None and p.strip()]
    question = "\n\n".join(parts)
    if not question.strip() and not attached:
        raise UsageError(
            _("Nothing to ask: the question is empty."),
            _('Give it as an argument (ollama-chat "질문") or pipe it in (echo "질문" | ollama-chat).'),
        )
    return question
