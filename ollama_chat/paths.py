"""Where the user's files live. The one place that knows the XDG rules, so nothing else builds these paths.
Each takes the environment's variables (`Environment.environ`): none reads the process's own."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from ollama_chat.i18n import _

APP = "ollama-chat"


def _xdg(env: Mapping[str, str], var: str, fallback: str) -> Path:
    value = env.get(var, "")
    # The XDG spec says relative paths are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value) / APP
    return Path(env.get("HOME") or Path.home()) / fallback / APP


def config_dir(env: Mapping[str, str]) -> Path:
    return _xdg(env, "XDG_CONFIG_HOME", ".config")


def state_dir(env: Mapping[str, str]) -> Path:
    return _xdg(env, "XDG_STATE_HOME", ".local/state")


def data_dir(env: Mapping[str, str]) -> Path:
    return _xdg(env, "XDG_DATA_HOME", ".local/share")


def conversations_db(env: Mapping[str, str]) -> Path:
    return data_dir(env) / "conversations.db"


def config_file(env: Mapping[str, str]) -> Path:
    return config_dir(env) / "config.toml"


def user_persona_dir(env: Mapping[str, str]) -> Path:
    return config_dir(env) / "personas"


def input_history_file(env: Mapping[str, str]) -> Path:
    return state_dir(env) / "input_history"


def user_path(text: str) -> Path:
    """A path a person typed, with `~` and `~user` expanded. ValueError, worded for them, when `~user` is
    no user here (a typo such as `~Documents/chat.md`)."""
    path = Path(text)
    try:
        return path.expanduser()
    except RuntimeError:
        user = text[1:].split("/", 1)[0]
        raise ValueError(_("'~{user}' is no user's home folder here (did you mean ~/{rest}?)").format(
            user=user, rest=text[1:])) from None


def write_private(path: Path, text: str, *, overwrite: bool = True) -> None:
    """Write `text` (UTF-8) to `path`, mode 0600, through a temporary file beside it that is renamed over it:
    a failure (a full disk) leaves any old file as it was. FileExistsError if it exists and not `overwrite`."""
    import tempfile

    if not overwrite and path.exists():
        raise FileExistsError(errno.EEXIST, "File exists", str(path))
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


class NotAFile(OSError):
    """A path that is a folder, a FIFO, a device or too large: reading it would block, fail or fill memory."""


def read_file(path: Path, limit: int) -> bytes:
    """A regular file's bytes, at most `limit` of them. FileNotFoundError, NotAFile or another OSError."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        kind = _("it is a folder") if stat.S_ISDIR(info.st_mode) else _(
            "it is not a regular file (a pipe, a device or a socket)")
        raise NotAFile(errno.EINVAL, kind, str(path))
    if info.st_size > limit:
        raise NotAFile(errno.EFBIG, _("it is larger than {size} KiB").format(size=f"{limit // 1024:,}"), str(path))
    with open(path, "rb") as f:
        return f.read(limit + 1)[:limit]


def private_folder(path: Path) -> None:
    """Make `path` (and its parents) as needed; our own folder is 0700 even if it was made looser before. A
    symlink to a folder is the user's choice of place: used, and its target's mode never changed."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077 and not path.is_symlink():
        path.chmod(mode & 0o700)  # only taken away: a read-only folder stays read-only


def private_file(path: Path) -> None:
    """Create `path` if needed, 0600 in a 0700 folder; tighten it if it is looser. A symlink is followed but
    its target's mode is left as the user set it (it may be shared on purpose). NotAFile for a FIFO, a device
    or a folder (opening a FIFO for writing would block)."""
    private_folder(path.parent)
    with contextlib.suppress(FileNotFoundError):  # a FIFO with no reader fails to open (ENXIO): say what it is
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise NotAFile(errno.EINVAL, _("not a regular file"), str(path))
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK
    try:
        fd, linked = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o600), False
    except OSError as e:
        if e.errno != errno.ELOOP:
            raise
        fd, linked = os.open(path, flags, 0o600), True
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotAFile(errno.EINVAL, _("not a regular file"), str(path))
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077 and not linked:
            os.fchmod(fd, mode & 0o600)  # only taken away: never made writable
    finally:
        os.close(fd)
