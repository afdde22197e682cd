"""Where the user's files live. The one place that knows the XDG rules, so nothing else builds these paths."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Mapping
from pathlib import Path

APP = "ollama-chat"


def _xdg(env: Mapping[str, str], var: str, fallback: str) -> Path:
    value = env.get(var, "")
    # The XDG spec says relative paths are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value) / APP
    return Path(env.get("HOME") or Path.home()) / fallback / APP


def config_dir(env: Mapping[str, str] = os.environ) -> Path:
    return _xdg(env, "XDG_CONFIG_HOME", ".config")


def state_dir(env: Mapping[str, str] = os.environ) -> Path:
    return _xdg(env, "XDG_STATE_HOME", ".local/state")


def config_file(env: Mapping[str, str] = os.environ) -> Path:
    return config_dir(env) / "config.toml"


def user_persona_dir(env: Mapping[str, str] = os.environ) -> Path:
    return config_dir(env) / "personas"


def input_history_file(env: Mapping[str, str] = os.environ) -> Path:
    return state_dir(env) / "input_history"


def user_path(text: str) -> Path:
    """A path a person typed, with `~` and `~user` expanded. ValueError, worded for them, when `~user` is
    no user here (a typo such as `~Documents/chat.md`)."""
    path = Path(text)
    try:
        return path.expanduser()
    except RuntimeError:
        user = text[1:].split("/", 1)[0]
        raise ValueError(f"'~{user}' is no user's home folder here (did you mean ~/{text[1:]}?)") from None


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
