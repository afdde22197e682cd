"""Files brought into a message: read, decoded, and put before the user's words. Pure apart from reading.

Text is decoded as UTF-8 (a BOM is honoured), UTF-16 with its BOM, or a legacy encoding: CP949/EUC-KR
(common in files from Korean Windows) first when the bytes read as mostly Hangul in it, else what
charset-normalizer (which requests already installs) finds. Binary files are refused before anything is sent.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ollama_chat.errors import UsageError
from ollama_chat.i18n import _
from ollama_chat.paths import NotAFile, read_file

MAX_TEXT = 4 * 1024 * 1024  # bytes: far more than any context window holds; the budget refuses sooner
_SNIFF = 8192


@dataclass(frozen=True)
class Attachment:
    name: str  # as the user gave it
    text: str
    size: int  # bytes on disk
    encoding: str


class AttachmentError(UsageError):
    """A file that cannot be attached: what is wrong with which file, before anything was sent."""


def decode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding), or None when the bytes are not text."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                return None
    if b"\0" in data[:_SNIFF]:
        return None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:  # Korean Windows files: decided here, not guessed, when the bytes are mostly Hangul in CP949
        text = data.decode("cp949")
        wide = [ch for ch in text if ord(ch) > 0x7F]
        if wide and sum("\uac00" <= ch <= "\ud7a3" for ch in wide) >= 0.7 * len(wide):
            return text, "cp949"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return (str(best), best.encoding) if best is not None else None


def read_text(path: Path, name: str) -> Attachment:
    """A text file as an attachment; AttachmentError naming the file when it is missing, not a regular file,
    too large or not text."""
    try:
        data = read_file(path, MAX_TEXT)
    except FileNotFoundError:
        raise AttachmentError(_("Cannot attach {name}: there is no such file.").format(name=name)) from None
    except NotAFile as e:
        raise AttachmentError(_("Cannot attach {name}: {reason}.").format(name=name, reason=e.strerror)) from None
    except OSError as e:
        raise AttachmentError(_("Cannot attach {name}: {reason}.").format(name=name, reason=e.strerror or e)) from None
    decoded = decode(data)
    if decoded is None:
        raise AttachmentError(_("Cannot attach {name}: it is not a text file (binary data).").format(name=name),
                              _("Attach text files: source code, notes, logs, CSV, Markdown."))
    text, encoding = decoded
    return Attachment(name, text.replace("\r\n", "\n"), len(data), encoding)


def fence(text: str) -> str:
    """A backtick fence longer than any run of backticks in `text`, so the file cannot close it early."""
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def with_attachments(words: str, attachments: Sequence[Attachment]) -> str:
    """What the model receives: each file in a fenced block headed by its name, then the user's words."""
    blocks = []
    for a in attachments:
        marks = fence(a.text)
        blocks.append(f"{a.name}:\n{marks}\n{a.text.rstrip(chr(10))}\n{marks}")
    return "\n\n".join([*blocks, words]) if blocks else words
