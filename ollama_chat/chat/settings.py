"""What a chat is set to: the command line's flags as given (`Flags`) and the resolved view every other module
reads (`Settings`), with the checks of single values (a timeout, a think level, a `--format` schema file). How
the sources of a setting are layered and resolved is in `layers`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ollama_chat.hosts import DEFAULT_KEY_ENV, parse_host
from ollama_chat.errors import UsageError
from ollama_chat.i18n import _
from ollama_chat.options import THINK_LEVELS
from ollama_chat.paths import read_file, user_path
from ollama_chat.chat.personas import Persona

DEFAULT_MODEL = "llama3.2:latest"
DEFAULT_PERSONA = "assistant"
DEFAULT_MAX_MESSAGES = 20  # as in the seed: keep the last 20 messages
DEFAULT_TIMEOUT = 300.0  # seconds without a byte; a big model can take minutes to load
MAX_TIMEOUT = 1_000_000.0  # about 11 days: more than any model needs, and what a socket can take
APIS = ("ollama", "openai")
MAX_SCHEMA = 1024 * 1024


def check_timeout(value: float, source: str) -> float:
    if not 0 < value <= MAX_TIMEOUT:  # also refuses NaN
        raise UsageError(_("{source} must be a positive number of seconds up to {max}, not {value}.").format(
            source=source, max=f"{MAX_TIMEOUT:,.0f}", value=value))
    return float(value)


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
    incognito: bool = False  # store nothing: no conversation, no input history
    continue_last: bool = False  # -c: go on with the most recent conversation
    resume: str | None = None  # --resume ID (or a prefix of it), or a JSON transcript's path
    pull: bool = False  # --pull: a one-shot question pulls a missing model first
    api: str | None = None  # --api ollama|openai
    server: str | None = None  # --server NAME: a [servers.NAME] table of the config file
    tools: tuple[str, ...] | None = None  # --tools read,web (the words as given; "off" for none)
    mcp: tuple[str, ...] = ()  # --mcp NAME (repeatable): MCP servers of mcp.json to use
    yes_tools: tuple[str, ...] = ()  # --yes-tools NAME (repeatable): run without asking


@dataclass(frozen=True)
class Settings:
    """The resolved view: what every other module reads. Never changed in place; the layers are."""

    host: str = parse_host(None)
    api: str = ""  # "ollama" or "openai"; "" decides by the host (`api` below)
    api_key_env: str = DEFAULT_KEY_ENV  # the variable holding an OpenAI-compatible server's key (never a flag)
    server_name: str | None = None  # the config's [servers.NAME] the host comes from (--server NAME)
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
    save_history: bool = True  # keep conversations in the store
    hide_thinking: bool = False
    verbose: bool = False
    plain: bool = False
    tools: tuple[str, ...] = ()  # the built-in tools offered (off until asked for)
    mcp: tuple[str, ...] = ()  # the MCP servers whose tools are offered (mcp.json names)
    yes_tools: tuple[str, ...] = ()  # the user's allow-list (never a persona's): run without asking

    @property
    def backend_api(self) -> str:
        """The API spoken: as chosen, else OpenAI's for a host whose path ends in /v1, else Ollama's."""
        return self.api or ("openai" if self.host.rstrip("/").endswith("/v1") else "ollama")

    @property
    def server(self) -> dict[str, str]:
        """What a stored conversation or saved file keeps of its server: the config's name for it (which takes a
        resume back there), else the plain host, shown only. Never the API or the key variable: a file must not
        choose where a key is sent."""
        return {"name": self.server_name} if self.server_name else {"host": self.host}


def load_format(value: str) -> str | dict:
    """`--format json` or `--format SCHEMA.json` (a JSON Schema file for structured output)."""
    if value == "json":
        return "json"
    try:
        path = user_path(value)
        schema = json.loads(read_file(path, MAX_SCHEMA).decode("utf-8-sig"))
    except FileNotFoundError:
        raise UsageError(_("--format: '{value}' is neither 'json' nor an existing JSON Schema file.").format(
            value=value)) from None
    except OSError as e:
        raise UsageError(_("--format: cannot read the JSON Schema in {path}: {reason}.").format(
            path=value, reason=e.strerror)) from None
    except RecursionError:
        raise UsageError(_("--format: the JSON Schema in {path} is nested too deeply.").format(path=value)) from None
    except ValueError as e:  # not UTF-8, not JSON, or a ~user that does not exist
        raise UsageError(_("--format: cannot read the JSON Schema in {path}: {reason}").format(
            path=value, reason=e)) from None
    if not isinstance(schema, dict):
        raise UsageError(_("--format: {path} must hold a JSON object (a JSON Schema).").format(path=path))
    return schema


def check_think(value: bool | str | None) -> bool | str | None:
    if value is None or isinstance(value, bool) or value in THINK_LEVELS:
        return value
    raise UsageError(_("think must be on, off or one of {levels}, not '{value}'.").format(
        levels=", ".join(THINK_LEVELS), value=value))
