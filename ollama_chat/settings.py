"""One resolved, immutable Settings.

Precedence, lowest first: built-in defaults < config file < environment (OLLAMA_HOST) < persona header <
command-line flags. `resolve` is pure; reading the config file and the persona happens at the edge (cli).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ollama_chat.client import parse_host
from ollama_chat.errors import UsageError
from ollama_chat.options import PRESETS, OptionError, check_option
from ollama_chat.personas import THINK_LEVELS, Persona
from ollama_chat.tomlfile import TOMLDecodeError, error_line, key_line, loads

DEFAULT_MODEL = "llama3.2:latest"
DEFAULT_PERSONA = "assistant"
DEFAULT_MAX_MESSAGES = 20  # as in the seed: keep the last 20 messages
DEFAULT_TIMEOUT = 300.0  # seconds without a byte; a big model can take minutes to load

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
}


@dataclass(frozen=True)
class Flags:
    """What was given on the command line; None means 'not given'."""

    model: str | None = None
    persona: str | None = None
    host: str | None = None
    system: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # --temperature etc. and --option, already typed
    preset: str | None = None
    format: str | dict | None = None
    think: bool | str | None = None
    stream: bool = True
    timeout: float | None = None
    max_messages: int | None = None
    input_history: bool | None = None
    hide_thinking: bool | None = None
    verbose: bool | None = None
    plain: bool = False


@dataclass(frozen=True)
class Settings:
    host: str = parse_host(None)
    model: str = DEFAULT_MODEL
    persona: Persona = field(default_factory=lambda: Persona(name=DEFAULT_PERSONA, system=""))
    system: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    format: str | dict | None = None
    think: bool | str | None = None
    keep_alive: str | int | None = None
    stream: bool = True
    timeout: float = DEFAULT_TIMEOUT
    max_messages: int = DEFAULT_MAX_MESSAGES
    input_history: bool = True
    hide_thinking: bool = False
    verbose: bool = False
    plain: bool = False

    def with_persona(self, persona: Persona) -> Settings:
        """Switch persona mid-session (/persona): its prompt, model and options replace the old one's."""
        options = {k: v for k, v in self.options.items() if k not in self.persona.options}
        options.update(persona.options)
        return replace(
            self,
            persona=persona,
            system=persona.system,
            model=persona.model or self.model,
            options=options,
            format=persona.format,
            think=persona.think,
            keep_alive=persona.keep_alive,
        )


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
            raise config_error(where, f"unknown key '{key}' (known keys: {', '.join(CONFIG_KEYS)})")
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
        raise config_error(source, "'max_messages' must be at least 2 (one question and its answer)")
    if raw.get("timeout", 1) <= 0:
        raise config_error(source, "'timeout' must be a positive number of seconds")
    return raw


def load_config(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise config_error(path, f"cannot read it ({e.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise config_error(path, "not UTF-8 text") from None
    return parse_config(text, str(path))


def persona_ref(flags: Flags, config: Mapping[str, Any]) -> str:
    return flags.persona or config.get("persona") or DEFAULT_PERSONA


def load_format(value: str) -> str | dict:
    """`--format json` or `--format SCHEMA.json` (a JSON Schema file for structured output)."""
    if value == "json":
        return "json"
    path = Path(value).expanduser()
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--format: '{value}' is neither 'json' nor an existing JSON Schema file.") from None
    except (OSError, ValueError) as e:
        raise UsageError(f"--format: cannot read the JSON Schema in {path}: {e}") from None
    if not isinstance(schema, dict):
        raise UsageError(f"--format: {path} must hold a JSON object (a JSON Schema).")
    return schema


def check_think(value: bool | str | None) -> bool | str | None:
    if value is None or isinstance(value, bool) or value in THINK_LEVELS:
        return value
    raise UsageError(f"think must be on, off or one of {', '.join(THINK_LEVELS)}, not '{value}'.")


def resolve_host(flags: Flags, config: Mapping[str, Any], env: Mapping[str, str]) -> str:
    for value, source in ((flags.host, "--host"), (env.get("OLLAMA_HOST"), "OLLAMA_HOST"), (config.get("host"), "the config file")):
        if value:
            try:
                return parse_host(value)
            except ValueError as e:
                raise UsageError(
                    f"The Ollama host {value!r} (from {source}) is malformed: {e}.",
                    "Give it as HOST, HOST:PORT or http(s)://HOST:PORT/PATH, e.g. 127.0.0.1:11434.",
                ) from None
    return parse_host(None)


def resolve(flags: Flags, config: Mapping[str, Any], env: Mapping[str, str], persona: Persona) -> Settings:
    options: dict[str, Any] = dict(config.get("options", {}))
    options.update(persona.options)
    if flags.preset is not None:
        if flags.preset not in PRESETS:
            raise UsageError(f"Unknown preset '{flags.preset}'.", f"Presets: {', '.join(PRESETS)}.")
        options.update(PRESETS[flags.preset])
    options.update(flags.options)

    def pick(flag: Any, key: str, default: Any) -> Any:
        return flag if flag is not None else config.get(key, default)

    max_messages = pick(flags.max_messages, "max_messages", DEFAULT_MAX_MESSAGES)
    if max_messages < 2:
        raise UsageError("--max-messages must be at least 2 (one question and its answer).")
    timeout = float(pick(flags.timeout, "timeout", DEFAULT_TIMEOUT))
    if timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds.")
    return Settings(
        host=resolve_host(flags, config, env),
        model=flags.model or persona.model or config.get("model") or DEFAULT_MODEL,
        persona=persona,
        system=flags.system if flags.system is not None else persona.system,
        options=options,
        format=flags.format if flags.format is not None else persona.format,
        think=check_think(flags.think if flags.think is not None else persona.think),
        keep_alive=persona.keep_alive,
        stream=flags.stream,
        timeout=timeout,
        max_messages=max_messages,
        input_history=pick(flags.input_history, "input_history", True),
        hide_thinking=pick(flags.hide_thinking, "hide_thinking", False),
        verbose=pick(flags.verbose, "verbose", False),
        plain=flags.plain,
    )
