"""mcp.json: the `mcpServers` shape that Claude Desktop, Claude Code, Cursor and most MCP clients read, so a user
can copy their servers over unchanged. Checked on load; every message names the file and the server (and the
line, for a JSON syntax error). A bad entry is skipped and reported, the others are kept.

    {"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "~/notes"],
                  "env": {"GITHUB_TOKEN": "${GITHUB_TOKEN}"}},
        "search": {"url": "https://example.com/mcp", "headers": {"Authorization": "Bearer ${SEARCH_KEY}"}}}}

Besides `command`/`args`/`env` and `url`/`headers` we read `type` (stdio, http, streamable-http), `cwd`,
`disabled` (as mcp-client-for-ollama does) and `timeout` (seconds a call may take); other keys, which other
clients add, are ignored. `${VAR}` and `${VAR:-default}` are expanded in command, args, env, cwd, url and
headers when the server starts, as Claude Code, Gemini CLI and Copilot CLI do: a server gets a minimal
environment, so this is how a secret from ours reaches it without being written in the file. A bare `$VAR` is
left as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ollama_chat.errors import UsageError
from ollama_chat.i18n import _

SERVER_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_)){0,31}$")  # no "__": it joins server and tool
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)
_HTTP_TYPES = ("http", "streamable-http", "streamable_http")
MAX_TIMEOUT = 3600.0
MAX_FILE = 1024 * 1024


class McpConfigError(UsageError):
    """mcp.json cannot be used at all (unreadable, not JSON, not the mcpServers shape)."""


@dataclass(frozen=True)
class StdioServer:
    """A server we start as a subprocess and talk to over its stdin and stdout."""

    name: str
    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class HttpServer:
    """A server already running somewhere, reached by streamable HTTP at `url`."""

    name: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None


ServerConfig = StdioServer | HttpServer


@dataclass(frozen=True)
class ConfigProblem:
    """A server entry that was skipped; `message` names the file and the server."""

    server: str
    message: str


@dataclass(frozen=True)
class McpConfig:
    path: Path
    servers: tuple[ServerConfig, ...] = ()
    disabled: tuple[str, ...] = ()
    problems: tuple[ConfigProblem, ...] = ()

    def names(self) -> list[str]:
        return [s.name for s in self.servers]


def config_path(env: Mapping[str, str]) -> Path:
    from ollama_chat.paths import config_dir

    return config_dir(env) / "mcp.json"


def load_config(path: Path) -> McpConfig:
    """The servers `path` configures; no file means no servers. McpConfigError when the file cannot be used."""
    try:
        data = path.read_bytes()[: MAX_FILE + 1]
    except FileNotFoundError:
        return McpConfig(path)
    except OSError as e:
        raise McpConfigError(_("Cannot read {path}: {reason}.").format(path=path, reason=e.strerror or e),
                             _("Check that it is a readable file.")) from None
    if len(data) > MAX_FILE:
        raise McpConfigError(_("{path} is larger than {size} KiB; is it the right file?").format(
            path=path, size=MAX_FILE // 1024))
    return parse_config(data, path)


def parse_config(data: bytes | str, path: Path) -> McpConfig:
    """Pure: the configuration in `data` (the text of `path`, which is named in every message)."""
    text = data.decode("utf-8-sig", "replace") if isinstance(data, bytes) else data
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise McpConfigError(
            _("{path}, line {line}, column {column}: invalid JSON ({problem}).").format(
                path=path, line=e.lineno, column=e.colno, problem=e.msg),
            _("Fix the file, or move it away to go without MCP servers.")) from None
    except RecursionError:
        raise McpConfigError(_("{path}: invalid JSON (nested too deeply).").format(path=path)) from None
    if not isinstance(document, dict) or not isinstance(document.get("mcpServers"), dict):
        raise McpConfigError(
            _("{path} has no \"mcpServers\" object.").format(path=path),
            _("It should look like {example}.").format(example='{"mcpServers": {"NAME": {"command": "...", "args": []}}}'))
    servers: list[ServerConfig] = []
    disabled: list[str] = []
    problems: list[ConfigProblem] = []
    for name, entry in document["mcpServers"].items():
        try:
            server = _server(name, entry)
        except ValueError as e:
            problems.append(ConfigProblem(name, _("{path}: server '{name}': {problem}").format(
                path=path, name=_shown_name(name), problem=e)))
            continue
        if server is None:
            disabled.append(name)
        else:
            servers.append(server)
    return McpConfig(path, tuple(servers), tuple(disabled), tuple(problems))


def _shown_name(name: str) -> str:
    return name if len(name) <= 40 else name[:40] + "…"


def _server(name: str, entry: object) -> ServerConfig | None:
    """One entry, checked; None when it is disabled. ValueError, worded for the user, when it cannot be used."""
    if not SERVER_NAME.match(name):
        raise ValueError(_("a server name is 1 to 32 letters, digits, '-' or '_' (not two '_' in a row), "
                           "starting with a letter or digit"))
    if not isinstance(entry, dict):
        raise ValueError(_("the entry must be an object with \"command\" or \"url\""))
    if entry.get("disabled") is True:
        return None
    kind = entry.get("type")
    if kind is not None and not isinstance(kind, str):
        raise ValueError(_("\"type\" must be a string"))
    if kind == "sse":
        raise ValueError(_("the old HTTP+SSE transport is not supported; give the server's streamable HTTP "
                           "endpoint (often ending in /mcp) as \"url\""))
    if kind not in (None, "stdio", *_HTTP_TYPES):
        raise ValueError(_("unknown \"type\" '{kind}' (it takes stdio or http)").format(kind=kind))
    if "command" in entry and "url" in entry:
        raise ValueError(_("give either \"command\" (a program to start) or \"url\" (a running server), not both"))
    timeout = _timeout(entry.get("timeout"))
    if kind in _HTTP_TYPES or (kind is None and "url" in entry):
        url = entry.get("url")
        if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url):
            raise ValueError(_("\"url\" must be an http:// or https:// address"))
        return HttpServer(name, _checked(url, "url"), _strings(entry.get("headers"), "headers"), timeout)
    command = entry.get("command")
    if not isinstance(command, str) or not command.strip():
        raise ValueError(_("the entry needs \"command\" (a program to start) or \"url\" (a running server)"))
    args = entry.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise ValueError(_("\"args\" must be a list of strings"))
    cwd = entry.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise ValueError(_("\"cwd\" must be a string"))
    return StdioServer(name, _checked(command, "command"), tuple(_checked(a, "args") for a in args),
                       _strings(entry.get("env"), "env"), None if cwd is None else _checked(cwd, "cwd"), timeout)


def _timeout(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_TIMEOUT:
        raise ValueError(_("\"timeout\" must be a number of seconds from 1 to {max}").format(max=int(MAX_TIMEOUT)))
    return float(value)


def _strings(value: object, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(_("\"{key}\" must be an object whose values are strings").format(key=key))
    return {k: _checked(v, key) for k, v in value.items()}


def _checked(text: str, key: str) -> str:
    """`text` if each `${...}` in it names a variable (with an optional `:-default`); ValueError if not."""
    for match in _VARIABLE.finditer(text):
        if not _VARIABLE_NAME.match(match.group(1)):
            raise ValueError(_("\"{key}\": '{found}' is not a variable (write ${{NAME}} or ${{NAME:-default}})").format(
                key=key, found=match.group(0)))
    return text


class MissingVariable(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def expand(text: str, env: Mapping[str, str]) -> str:
    """`text` with `${NAME}` and `${NAME:-default}` replaced from `env`. MissingVariable for an unset NAME
    without a default (sending the literal text would only fail later, less clearly)."""

    def value(match: re.Match[str]) -> str:
        found = _VARIABLE_NAME.match(match.group(1))
        if found is None:  # checked on load; kept as written
            return match.group(0)
        name, default = found.group(1), found.group(2)
        if env.get(name):
            return env[name]
        if default is not None:
            return default
        if name in env:
            return ""
        raise MissingVariable(name)

    return _VARIABLE.sub(value, text) if "${" in text else text
