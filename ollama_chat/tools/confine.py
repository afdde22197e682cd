"""The chat's folder as the file tools see it. A path the model names is taken relative to the folder the
chat was started in, and refused when it leads out of it (`..`, an absolute path elsewhere, a symbolic link
out at any depth), names what `/read .` would skip (a dot-name, anything .gitignore or .git/info/exclude
ignores), or is neither a regular file nor a folder (a FIFO, a socket, a device: never opened, since opening
a FIFO waits for a writer and a device may never end). The model sees exactly the files `/read .` would
attach; the user, who may want more, can still attach anything with `/read`.

The ignore rules are the ones `/read` uses (filesets: the repository's from its root down, nested
repositories apart). A path is checked both as named and as its symbolic links resolve, so a link inside the
folder to `.env` is as hidden as `.env`."""

from __future__ import annotations

import errno
import json
import os
import stat
from dataclasses import dataclass

from ollama_chat.files.filesets import _enter, _start  # the rule chain /read walks with, reused rather than copied
from ollama_chat.files.gitignore import excluded
from ollama_chat.i18n import _

MAX_PATH = 4096


class Refused(Exception):
    """Why a path cannot be used, in words for the model (and the user, who sees the result)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def shown(rel: str) -> str:
    """A path as the model sees it: as it is, or as a JSON string when it holds a character that is not
    printable (a newline would forge a line of the listing; the model may send the JSON form back)."""
    if rel.isprintable() and rel == rel.strip():
        return rel
    return json.dumps(rel)


@dataclass(frozen=True)
class Located:
    """A path inside the folder: `rel` as the model sees it (POSIX, "." for the folder itself), `real` with
    every link resolved, `st` its stat (a regular file or a folder)."""

    rel: str
    real: str
    st: os.stat_result

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.st.st_mode)


@dataclass(frozen=True)
class Entry:
    """One entry of a listed folder: `kind` is "dir", "file", "outside" (a link leading out), "special" (a
    FIFO, socket or device) or "broken" (a link to nothing, or a loop)."""

    name: str
    kind: str
    size: int = 0
    link: bool = False


@dataclass(frozen=True)
class Listing:
    entries: tuple[Entry, ...]
    skipped: int  # hidden or ignored entries, not shown


class Folder:
    """The folder the chat was started in; every path the tools take goes through `locate`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.realpath(root)
        self._spelled = os.path.abspath(root)  # an absolute path the model copies from the prompt may use either

    # -- paths ------------------------------------------------------------------------------------------------

    def _parts(self, text: str) -> list[str]:
        """The components below the root that `text` names, `..` taken as written; Refused when it leaves."""
        if os.path.isabs(text):
            path = os.path.normpath(text)
            for base in (self.root, self._spelled):
                if path == base or path.startswith(base.rstrip("/") + "/"):
                    text = os.path.relpath(path, base)
                    break
            else:
                raise Refused(_("{path} is outside the folder the chat was started in; the file tools read only "
                                "inside it. Use a path relative to that folder.").format(path=shown(text)))
        rel = os.path.normpath(text)
        if rel == ".":
            return []
        if rel == ".." or rel.startswith("../"):
            raise Refused(_("{path} leads outside the folder the chat was started in; the file tools read only "
                            "inside it.").format(path=shown(text)))
        return rel.split("/")

    def _why_skipped(self, parts: list[str], is_dir: bool) -> str | None:
        """"hidden" or "ignored" when `/read .` would skip this path (or a folder on the way), else None."""
        folder = _start(self.root)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part.startswith("."):
                return "hidden"
            if excluded(folder.child(part)[1], is_dir or not last, folder.rules):
                return "ignored"
            if not last:
                folder = _enter(folder, part)
        return None

    def _check_skipped(self, parts: list[str], is_dir: bool, name: str) -> None:
        why = self._why_skipped(parts, is_dir)
        if why == "hidden":
            raise Refused(_("{path} is hidden (its name, or a folder's on the way, starts with a dot); the file "
                            "tools leave hidden files alone. The user can attach it with /read.").format(path=name))
        if why == "ignored":
            raise Refused(_("{path} is ignored by .gitignore; the file tools leave ignored files alone. The user "
                            "can attach it with /read.").format(path=name))

    def locate(self, value: object, *, default: str = ".") -> Located:
        """The file or folder `value` (a path from the model) names, checked; Refused with the reason."""
        if value is None or value == "":
            value = default
        if not isinstance(value, str):
            raise Refused(_("The path must be a string, relative to the chat's folder."))
        if "\0" in value or len(value) > MAX_PATH:
            raise Refused(_("That path is not valid (a NUL character, or longer than {n} characters).").format(n=MAX_PATH))
        text = self._unquoted(value)
        parts = self._parts(text)
        name = shown("/".join(parts) or ".")
        real = os.path.realpath(os.path.join(self.root, *parts))
        if not (real == self.root or real.startswith(self.root.rstrip("/") + "/")):
            raise Refused(_("{path} leads outside the folder the chat was started in (through a symbolic link); "
                            "the file tools read only inside it.").format(path=name))
        try:
            st = os.stat(real)
        except FileNotFoundError:
            raise Refused(_("There is no file or folder named {path} in the chat's folder.").format(path=name)) from None
        except OSError as e:  # a link loop (ELOOP), a folder without permission
            raise Refused(_("{path} cannot be read: {reason}.").format(path=name, reason=e.strerror or e)) from None
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            raise Refused(_("{path} is not a regular file (a pipe, a device or a socket); it is never opened.")
                          .format(path=name))
        is_dir = stat.S_ISDIR(st.st_mode)
        self._check_skipped(parts, is_dir, name)
        real_parts = [] if real == self.root else os.path.relpath(real, self.root).split("/")
        if real_parts != parts:
            self._check_skipped(real_parts, is_dir, name)
        return Located("/".join(parts) or ".", real, st)

    def _unquoted(self, value: str) -> str:
        """A path sent back as `shown` wrote it (a JSON string) when the quoted text names nothing."""
        if len(value) >= 2 and value[0] == value[-1] == '"' and not os.path.lexists(os.path.join(self.root, value)):
            try:
                inner = json.loads(value)
            except ValueError:
                return value
            if isinstance(inner, str) and "\0" not in inner:
                return inner
        return value

    # -- reading ----------------------------------------------------------------------------------------------

    def read_bytes(self, located: Located, limit: int) -> bytes:
        """The file's bytes, at most `limit`. Opened without following a link and without blocking, then
        checked again, so a file swapped for a FIFO or a link after `locate` is still refused."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(located.real, flags)
        except OSError as e:
            raise Refused(_("{path} cannot be read: {reason}.").format(path=shown(located.rel),
                                                                       reason=e.strerror or e)) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (located.st.st_dev, located.st.st_ino):
                raise Refused(_("{path} changed while it was being read; ask again.").format(path=shown(located.rel)))
            chunks, size = [], 0
            while size < limit:
                chunk = os.read(fd, min(1 << 20, limit - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            return b"".join(chunks)
        except OSError as e:
            if e.errno == errno.EAGAIN:
                raise Refused(_("{path} is not a regular file (a pipe, a device or a socket); it is never opened.")
                              .format(path=shown(located.rel))) from None
            raise Refused(_("{path} cannot be read: {reason}.").format(path=shown(located.rel),
                                                                       reason=e.strerror or e)) from None
        finally:
            os.close(fd)

    def inside(self, path: str) -> Located | None:
        """A file a walk found (the walk has skipped hidden and ignored names), when it is a regular file
        inside the folder and, if it is a link, where it leads is inside and not hidden or ignored; else
        None. Cheaper than `locate`, which starts the rule chain over for each path."""
        real = os.path.realpath(path)
        if not real.startswith(self.root.rstrip("/") + "/"):
            return None
        try:
            st = os.stat(real)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        rel = os.path.relpath(path, self.root)
        real_rel = os.path.relpath(real, self.root)
        if real_rel != rel and self._why_skipped(real_rel.split("/"), False):
            return None
        return Located(rel, real, st)

    # -- listing ----------------------------------------------------------------------------------------------

    def listing(self, located: Located, limit: int) -> Listing:
        """The folder's entries in name order, hidden and ignored ones only counted; at most `limit` + 1 of
        them (one more than asked tells the caller there are more)."""
        folder = _start(located.real)
        try:
            with os.scandir(located.real) as it:
                found = sorted(it, key=lambda e: e.name)
        except OSError as e:
            raise Refused(_("{path} cannot be read: {reason}.").format(path=shown(located.rel),
                                                                       reason=e.strerror or e)) from None
        entries: list[Entry] = []
        skipped = 0
        for item in found:
            entry = self._entry(item)
            is_dir = entry.kind == "dir"
            if item.name.startswith(".") or excluded(folder.child(item.name)[1], is_dir, folder.rules):
                skipped += 1
                continue
            if entry.link and entry.kind in ("dir", "file"):
                real_rel = os.path.relpath(os.path.realpath(item.path), self.root).split("/")
                if self._why_skipped(real_rel, is_dir):
                    skipped += 1
                    continue
            entries.append(entry)
            if len(entries) > limit:
                break
        return Listing(tuple(entries), skipped)

    def _entry(self, item: os.DirEntry[str]) -> Entry:
        try:
            link = item.is_symlink()
            if link:
                real = os.path.realpath(item.path)
                if not real.startswith(self.root.rstrip("/") + "/"):
                    return Entry(item.name, "outside", link=True)
            st = os.stat(item.path)
        except OSError:
            return Entry(item.name, "broken", link=True)
        if stat.S_ISDIR(st.st_mode):
            return Entry(item.name, "dir", link=link)
        if stat.S_ISREG(st.st_mode):
            return Entry(item.name, "file", st.st_size, link)
        return Entry(item.name, "special", link=link)
