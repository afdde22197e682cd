"""config.toml: its keys and types, checked on load, with the file and line in every error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ollama_chat.errors import UsageError
from ollama_chat.settings import MAX_TIMEOUT
from ollama_chat.suggest import did_you_mean
from ollama_chat.paths import read_file
from ollama_chat.options import OptionError, check_option
from ollama_chat.tomlfile import TOMLDecodeError, error_line, key_line, loads

MAX_CONFIG = 1024 * 1024

CONFIG_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "model": ((str,), "a model name string"),
    "host": ((str,), "a host string"),
    "persona": ((str,), "a persona name or path string"),
    "options": ((dict,), "a table ([options])"),
    "max_messages": ((int,), "a whole number"),
    "timeout": ((int, float), "a number of seconds"),
    "hide_thinking": ((bool,), "true or false"),
    "verbose": ((bool,), "true or false"),
    "input_history": ((bool,), "true or false"),
    "save_history": ((bool,), "true or false"),
}


def config_error(path: Path | str, what: str) -> UsageError:
    return UsageError(f"Config file {path}: {what}", "Fix or remove the file; the README lists the keys it takes.")


def parse_config(text: str, source: str) -> dict[str, Any]:
    """The config file's TOML, checked: unknown keys and wrong types are refused, not ignored."""
    try:
        raw = loads(text)
    except TOMLDecodeError as e:
        line, what = error_line(e, text)
        raise config_error(f"{source}, line {line}", f"invalid TOML: {what}") from None
    for key, value in raw.items():
        where = f"{source}, line {key_line(text, key)}"
        if key not in CONFIG_KEYS:
            guess = did_you_mean(key, CONFIG_KEYS, quote="'")
            raise config_error(where, f"unknown key '{key}'.{' ' + guess if guess else ''} (known keys: {', '.join(CONFIG_KEYS)})")
        kinds, what = CONFIG_KEYS[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise config_error(where, f"'{key}' must be {what}, not {value!r}")
    options = {}
    for k, v in raw.get("options", {}).items():
        try:
            options[k] = check_option(k, v)
        except OptionError as e:
            raise config_error(f"{source}, line {key_line(text, k)}", str(e)) from None
    raw["options"] = options
    if raw.get("max_messages", 2) < 2:
        raise config_error(f"{source}, line {key_line(text, 'max_messages')}", "'max_messages' must be at least 2 (one question and its answer)")
    timeout = raw.get("timeout", 1)
    if not 0 < timeout <= MAX_TIMEOUT:
        raise config_error(f"{source}, line {key_line(text, 'timeout')}", f"'timeout' must be a positive number of seconds up to {MAX_TIMEOUT:,.0f}")
    return raw


def load_config(path: Path) -> dict[str, Any]:
    try:
        data = read_file(path, MAX_CONFIG)
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise config_error(path, f"cannot read it ({e.strerror})") from None
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")  # a BOM and Windows line ends are fine
    except UnicodeDecodeError:
        raise config_error(path, "not UTF-8 text") from None
    return parse_config(text, str(path))
