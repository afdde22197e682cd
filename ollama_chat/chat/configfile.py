"""config.toml: its keys and types, checked on load, with the file and line in every error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ollama_chat.errors import UsageError
from ollama_chat.i18n import LANGUAGES, N_, _
from ollama_chat.chat.settings import APIS, MAX_TIMEOUT
from ollama_chat.suggest import did_you_mean
from ollama_chat.paths import read_file
from ollama_chat.options import OptionError, check_option
from ollama_chat.tomlfile import TOMLDecodeError, error_line, key_line, loads

MAX_CONFIG = 1024 * 1024

CONFIG_KEYS: dict[str, tuple[tuple[type, ...], str]] = {
    "model": ((str,), N_("a model name string")),
    "host": ((str,), N_("a host string")),
    "persona": ((str,), N_("a persona name or path string")),
    "options": ((dict,), N_("a table ([options])")),
    "max_messages": ((int,), N_("a whole number")),
    "timeout": ((int, float), N_("a number of seconds")),
    "hide_thinking": ((bool,), N_("true or false")),
    "verbose": ((bool,), N_("true or false")),
    "input_history": ((bool,), N_("true or false")),
    "save_history": ((bool,), N_("true or false")),
    "language": ((str,), N_('"ko" or "en"')),
    "api": ((str,), N_('"ollama" or "openai"')),
    "api_key_env": ((str,), N_("the name of an environment variable")),
    "servers": ((dict,), N_("tables ([servers.NAME])")),
    "tools": ((list,), N_('a list of built-in tools or groups, e.g. ["read", "web"]')),
    "mcp": ((list,), N_('a list of MCP server names from mcp.json, e.g. ["files"]')),
    "yes_tools": ((list,), N_('a list of tools that run without asking, e.g. ["read_file"]')),
}
SERVER_KEYS = ("api", "host", "api_key_env", "model")


def config_error(path: Path | str, what: str) -> UsageError:
    return UsageError(_("Config file {path}: {problem}").format(path=path, problem=what),
                      _("Fix or remove the file; the README lists the keys it takes."))


def _at(source: str, line: object) -> str:
    return _("{path}, line {line}").format(path=source, line=line)


def parse_config(text: str, source: str) -> dict[str, Any]:
    """The config file's TOML, checked: unknown keys and wrong types are refused, not ignored."""
    try:
        raw = loads(text)
    except TOMLDecodeError as e:
        line, what = error_line(e, text)
        raise config_error(_at(source, line), _("invalid TOML: {problem}").format(problem=what)) from None
    for key, value in raw.items():
        where = _at(source, key_line(text, key))
        if key not in CONFIG_KEYS:
            guess = did_you_mean(key, CONFIG_KEYS, quote="'")
            unknown = _("unknown key '{key}'.").format(key=key) + (" " + guess if guess else "")
            known = _("(known keys: {keys})").format(keys=", ".join(CONFIG_KEYS))
            raise config_error(where, f"{unknown} {known}")
        kinds, what = CONFIG_KEYS[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds) or (
                list in kinds and not all(isinstance(v, str) for v in value)):
            raise config_error(where, _("'{key}' must be {kind}, not {value}").format(key=key, kind=_(what), value=repr(value)))
        if (key == "language" and value not in LANGUAGES) or (key == "api" and value not in APIS) or (
                key == "api_key_env" and not _VARIABLE.fullmatch(value)):
            raise config_error(where, _("'{key}' must be {kind}, not {value}").format(key=key, kind=_(what), value=repr(value)))
    for name, table in raw.get("servers", {}).items():
        _check_server(text, source, name, table)
    options = {}
    for k, v in raw.get("options", {}).items():
        try:
            options[k] = check_option(k, v)
        except OptionError as e:
            raise config_error(_at(source, key_line(text, k)), str(e)) from None
    raw["options"] = options
    if raw.get("max_messages", 2) < 2:
        raise config_error(_at(source, key_line(text, "max_messages")),
                           _("'max_messages' must be at least 2 (one question and its answer)"))
    timeout = raw.get("timeout", 1)
    if not 0 < timeout <= MAX_TIMEOUT:
        raise config_error(_at(source, key_line(text, "timeout")),
                           _("'timeout' must be a positive number of seconds up to {max}").format(max=f"{MAX_TIMEOUT:,.0f}"))
    return raw


_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_server(text: str, source: str, name: str, table: Any) -> None:
    """[servers.NAME]: host, api, api_key_env and model, all text; the API one we speak."""
    start = key_line(text, f"servers.{name}")
    where = _at(source, start)
    if not isinstance(table, dict):
        raise config_error(where, _("'servers.{name}' must be a table ([servers.{name}])").format(name=name))
    if "host" not in table:
        raise config_error(where, _("[servers.{name}] needs a host (e.g. host = \"https://gpu.example.com/v1\")").format(
            name=name))
    for key, value in table.items():
        line = _at(source, key_line("\n".join(text.splitlines()[start - 1 :]), key, start))
        if key not in SERVER_KEYS:
            raise config_error(line, _("unknown key '{key}' in [servers.{name}] (it takes {keys})").format(
                key=key, name=name, keys=", ".join(SERVER_KEYS)))
        if not isinstance(value, str) or (key == "api" and value not in APIS) or (
                key == "api_key_env" and not _VARIABLE.fullmatch(value)):
            kind = {"api": _('"ollama" or "openai"'), "api_key_env": _("the name of an environment variable")}.get(
                key, _("a string"))
            raise config_error(line, _("'{key}' must be {kind}, not {value}").format(key=key, kind=kind, value=repr(value)))


def load_config(path: Path) -> dict[str, Any]:
    try:
        data = read_file(path, MAX_CONFIG)
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise config_error(path, _("cannot read it ({reason})").format(reason=e.strerror)) from None
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")  # a BOM and Windows line ends are fine
    except UnicodeDecodeError:
        raise config_error(path, _("not UTF-8 text")) from None
    return parse_config(text, str(path))
