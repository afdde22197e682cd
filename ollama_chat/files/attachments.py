"""Files and images brought into a message: read, checked, and put before the user's words. Pure apart from
reading.

Text is decoded as UTF-8 (a BOM is honoured), UTF-16 with its BOM, or a legacy encoding: CP949/EUC-KR
(common in files from Korean Windows) first when the bytes read as mostly Hangul in it, else what
charset-normalizer (which requests already installs) finds. Binary files are refused before anything is sent.
"""

from __future__ import annotations

import base64
import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ollama_chat.errors import UsageError
from ollama_chat.i18n import _
from ollama_chat.paths import NotAFile, read_file, user_path
from ollama_chat.types import Attached, Message

MAX_TEXT = 4 * 1024 * 1024  # bytes: far more than any context window holds; the budget refuses sooner
MAX_IMAGE = 20 * 1024 * 1024  # bytes: a photo straight from a phone fits; a vision model scales it down anyway
_SNIFF = 8192


@dataclass(frozen=True)
class Attachment:
    name: str  # as the user gave it
    text: str
    size: int  # bytes on disk
    encoding: str


@dataclass(frozen=True)
class Image:
    name: str  # as the user gave it
    data: str  # base64 of the file's bytes, exactly
    size: int
    format: str  # PNG, JPEG, WebP, GIF


class AttachmentError(UsageError):
    """A file that cannot be attached: what is wrong with which file, before anything was sent."""


def image_format(head: bytes) -> str | None:
    """The image format by the file's magic bytes (never by its name), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return None


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
    # Decided here, not guessed, when the bytes read as mostly letters of one legacy encoding: Hangul in CP949
    # (Korean Windows), or accented Latin letters in CP1252 (Western Windows and Latin-1), which
    # charset-normalizer takes for CP775 in a short text.
    for encoding, letter in (("cp949", lambda ch: "\uac00" <= ch <= "\ud7a3"),
                             ("cp1252", lambda ch: ch.isalpha() and "\u00c0" <= ch <= "\u00ff")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        wide = [ch for ch in text if ord(ch) > 0x7F]
        if wide and sum(map(letter, wide)) >= 0.7 * len(wide):
            return text, encoding
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return (str(best), best.encoding) if best is not None else None


def _read(path: Path, name: str, limit: int) -> bytes:
    try:
        return read_file(path, limit)
    except FileNotFoundError:
        raise AttachmentError(_("Cannot attach {name}: there is no such file.").format(name=name)) from None
    except NotAFile as e:
        raise AttachmentError(_("Cannot attach {name}: {reason}.").format(name=name, reason=e.strerror)) from None
    except OSError as e:
        raise AttachmentError(_("Cannot attach {name}: {reason}.").format(name=name, reason=e.strerror or e)) from None


def read_text(path: Path, name: str) -> Attachment:
    """A text file as an attachment; AttachmentError naming the file when it is missing, not a regular file,
    too large or not text."""
    return text_from(_read(path, name, MAX_TEXT), name)


def text_from(data: bytes, name: str) -> Attachment:
    """Bytes read elsewhere (stdin for `-f -`) as a text attachment."""
    decoded = decode(data)
    if decoded is None:
        raise AttachmentError(_("Cannot attach {name}: it is not a text file (binary data).").format(name=name),
                              _("Attach text files: source code, notes, logs, CSV, Markdown."))
    text, encoding = decoded
    return Attachment(name, text.replace("\r\n", "\n"), len(data), encoding)


def read_image(path: Path, name: str) -> Image:
    """An image as an attachment, checked by its magic bytes; AttachmentError naming the file otherwise."""
    data = _read(path, name, MAX_IMAGE)
    kind = image_format(data[:16])
    if kind is None:
        raise AttachmentError(_("Cannot attach {name} as an image: it is not a PNG, JPEG, WebP or GIF file.").format(name=name))
    return Image(name, base64.b64encode(data).decode("ascii"), len(data), kind)


def read_any(path: Path, name: str) -> Attachment | Image:
    """`@path` in the REPL: an image when its bytes say so, else a text file."""
    head = b""
    try:
        if path.is_file():  # never open a FIFO: it would wait for a writer
            with open(path, "rb") as f:
                head = f.read(16)
    except OSError:
        pass
    return read_image(path, name) if image_format(head) else read_text(path, name)


def resolve(text: str, cwd: Path) -> Path:
    """A path as typed (relative to `cwd`, `~` expanded); AttachmentError for an unknown `~user`."""
    try:
        path = user_path(text)
    except ValueError as e:
        raise AttachmentError(str(e)) from None
    return path if path.is_absolute() else cwd / path


def shown_path(path: Path, cwd: Path) -> str:
    """A found file's name as the model and the screen see it: relative to the working directory when inside it."""
    return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)


# `@path` at the start or after a space; `@"a path with spaces"` quoted. An e-mail address is not one.
_MENTION = re.compile(r'(?:(?<=\s)|^)@(?:"([^"\n]+)"|(\S+))')
_TRAILING = ",.;:!?)]}'\""
_PARTICLE = re.compile(r"(?<=[^\uac00-\ud7a3])[\uac00-\ud7a3]{1,3}$")  # `@notes.md를`: Korean puts 를 right after


def mentions(text: str) -> list[str]:
    """The `@path` words of a message, as typed (`candidates` tries them less punctuation and particles)."""
    return [m.group(1) or m.group(2) for m in _MENTION.finditer(text)]


def candidates(word: str) -> list[str]:
    """What an `@word` may name: itself, less trailing punctuation ("see @notes.txt,"), less a Korean
    particle written onto it ("@notes.md를 요약해")."""
    bare = word.rstrip(_TRAILING)
    return [word, bare, _PARTICLE.sub("", bare)]


_PATHLIKE = re.compile(r"(^[~./]|/|\.[A-Za-z][A-Za-z0-9]{0,4}$)")  # ./x, ~/x, a/b, notes.md: a file was meant


@dataclass(frozen=True)
class Mentioned:
    """What a message's `@word`s name: files to attach, and words that stay text but deserve a word: folders
    (/read takes those) and path-shaped words that name nothing."""

    files: tuple[tuple[str, Path], ...] = ()  # (name as typed, less punctuation or particle; its path)
    folders: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def mentioned(text: str, cwd: Path) -> Mentioned:
    """Each `@word` tried as itself, then less punctuation, then less a particle; the first that exists wins.
    A word that names nothing stays plain text (an e-mail address, `@someone`)."""
    files: list[tuple[str, Path]] = []
    folders: list[str] = []
    missing: list[str] = []
    for word in mentions(text):
        names = [c for c in candidates(word) if c]
        try:
            found = next(((c, p) for c in names if (p := resolve(c, cwd)).exists()), None)
        except (AttachmentError, OSError):  # `~nobody/x`: not a path here, so text
            continue
        if found is None:
            if names and _PATHLIKE.search(names[-1]):
                missing.append(names[-1])
        elif found[1].is_dir():
            folders.append(found[0].rstrip("/"))
        elif all(p != found[1] for _n, p in files):
            files.append(found)
    return Mentioned(tuple(files), tuple(folders), tuple(missing))


def fence(text: str) -> str:
    """A backtick fence longer than any run of backticks in `text`, so the file cannot close it early."""
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def block(attachment: Attachment) -> str:
    """One file as the model receives it: a fenced block headed by its name."""
    marks = fence(attachment.text)
    return f"{attachment.name}:\n{marks}\n{attachment.text.rstrip(chr(10))}\n{marks}"


def with_attachments(words: str, attachments: Sequence[Attachment]) -> str:
    """What the model receives: each file in a fenced block headed by its name, then the user's words."""
    return "\n\n".join([*map(block, attachments), words]) if attachments else words


def question(words: str, files: Sequence[Attachment] = (), images: Sequence[Image] = ()) -> Message:
    """The user's message: the files' blocks and the words for the model, the words and names for people."""
    attached = tuple(Attached(f.name, f.size) for f in files) + tuple(Attached(i.name, i.size, "image") for i in images)
    return Message("user", with_attachments(words, files), tuple(i.data for i in images),
                   typed=words if files else None, attached=attached)


def reworded(message: Message, words: str) -> Message:
    """`message` with new words and the same attachments (/edit)."""
    if message.typed is None:
        return Message("user", words, message.images, attached=message.attached)
    head = message.content[: len(message.content) - len(message.typed)]
    return Message("user", head + words, message.images, typed=words, attached=message.attached)
