"""Where the user's files live. The one place that knows the XDG rules, so nothing else builds these paths."""

from __future__ import annotations

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
