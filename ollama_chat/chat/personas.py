"""Personas: a Markdown file whose body is the system prompt, with an optional TOML header between `+++` lines.

    +++
    description = "75세 불교 스님"
    model = "llama3.2:latest"
    [options]
    temperature = 0.7
    [[examples]]
    user = "..."
    assistant = "..."
    +++
    당신은 75세의 불교 스님입니다. ...

`parse_persona` is pure (text in, Persona out, or PersonaError naming the file and line); the rest finds files.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ollama_chat.errors import UsageError
from ollama_chat.i18n import N_, _
from ollama_chat.options import THINK_LEVELS, OptionError, check_option
from ollama_chat.paths import NotAFile, read_file, user_path
from ollama_chat.suggest import did_you_mean
from ollama_chat.tomlfile import TOMLDecodeError, error_line, key_line, loads

BUILTIN = N_("built-in")  # an identity as well: compare with it as it is, translate it only where shown
NAME_RE = re.compile(r"[\w-]+")  # any letters or digits (Hangul too), '-' and '_'; never a path part
MAX_PERSONA = 1024 * 1024
HEADER_KEYS = ("description", "model", "format", "think", "keep_alive", "options", "examples", "tools", "mcp")


@dataclass(frozen=True)
class Example:
    user: str
    assistant: str


@dataclass(frozen=True)
class Persona:
    name: str
    system: str
    description: str = ""
    model: str | None = None
    format: str | dict | None = None
    think: bool | str | None = None
    keep_alive: str | int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    examples: tuple[Example, ...] = ()
    source: str = BUILTIN  # "built-in" or the file's path
    tools: tuple[str, ...] | None = None  # the built-in tools it turns on (never approves: that is the user's)
    mcp: tuple[str, ...] | None = None  # the MCP servers it uses


@dataclass(frozen=True)
class PersonaInfo:
    """A line of the persona list."""

    name: str
    description: str
    source: str
    overrides_builtin: bool = False


class PersonaError(UsageError):
    pass


def shown_source(source: str) -> str:
    """A persona's source as shown: "built-in" in the interface's language, or the file's path."""
    return _("built-in") if source == BUILTIN else source


def _fail(source: str, line: int | None, what: str) -> PersonaError:
    source = shown_source(source)
    where = _("{source}, line {line}").format(source=source, line=line) if line else source
    return PersonaError(
        _("Persona file {where}: {what}").format(where=where, what=what),
        _("Fix the file (the format is in the README under 'Persona files'), or choose another with --persona."),
    )


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(header or None, body, file line where the header starts). Raises ValueError for an unclosed header."""
    text = text.lstrip("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "+++":
        return None, text, 0
    for i in range(1, len(lines)):
        if lines[i].strip() == "+++":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), 2
    raise ValueError(_("the header opened with '+++' on line 1 is never closed by another '+++' line"))


def parse_persona(text: str, name: str, source: str = BUILTIN) -> Persona:
    try:
        header, body, start = split_front_matter(text)
    except ValueError as e:
        raise _fail(source, 1, str(e)) from None
    if header is None:
        return Persona(name=name, system=body.strip(), source=source)
    return Persona(name=name, system=body.strip(), source=source, **_header_values(header, start, source))


def _header_values(header: str, start: int, source: str) -> dict[str, Any]:
    """The header's fields of a Persona, each checked; an error names the file and the line of the wrong key."""
    try:
        meta = loads(header)
    except TOMLDecodeError as e:
        raise _toml_error(source, e, header, start) from None

    def fail(key: str, what: str) -> PersonaError:
        return _fail(source, key_line(header, key, start), what)

    unknown = [k for k in meta if k not in HEADER_KEYS]
    if unknown:
        raise fail(unknown[0], _("unknown header key '{key}' (known keys: {keys})").format(
            key=unknown[0], keys=", ".join(HEADER_KEYS)))

    def typed(key: str, kinds: tuple[type, ...], what: str) -> Any:
        value = meta.get(key)
        if value is not None and (not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds):
            raise fail(key, _("'{key}' must be {what}, not {value}").format(key=key, what=what, value=repr(value)))
        return value

    values = {"description": typed("description", (str,), _("a string")) or "",
              "model": typed("model", (str,), _("a model name string"))}
    fmt = typed("format", (str, dict), _('"json" or a JSON schema table'))
    if isinstance(fmt, str) and fmt != "json":
        raise fail("format", _("'format' must be \"json\" or a schema table, not {value}").format(value=repr(fmt)))
    think = typed("think", (bool, str), _("true, false or one of low/medium/high"))
    if isinstance(think, str) and think not in THINK_LEVELS:
        raise fail("think", _("'think' must be true, false or low/medium/high, not {value}").format(value=repr(think)))
    values.update(format=fmt, think=think,
                  keep_alive=typed("keep_alive", (str, int), _('a duration like "5m" or a number of seconds')))
    options = typed("options", (dict,), _("a table ([options])")) or {}
    values["options"] = {key: _option(key, value, fail) for key, value in options.items()}
    examples = typed("examples", (list,), _("an array of tables ([[examples]])")) or []
    values["examples"] = tuple(_example(number, example, fail) for number, example in enumerate(examples, 1))
    for key in ("tools", "mcp"):
        values[key] = _names(typed(key, (list,), _("a list of names")), key, fail)
    return values


def _option(key: str, value: Any, fail: Callable[[str, str], PersonaError]) -> Any:
    try:
        return check_option(key, value)
    except OptionError as e:
        raise fail(key, str(e)) from None


def _example(number: int, example: Any, fail: Callable[[str, str], PersonaError]) -> Example:
    if not isinstance(example, dict) or set(example) != {"user", "assistant"} or \
            not all(isinstance(v, str) for v in example.values()):
        raise fail("examples", _("example {number} must have exactly two strings, 'user' and 'assistant'").format(
            number=number))
    return Example(user=example["user"], assistant=example["assistant"])


def _names(value: list[Any] | None, key: str, fail: Callable[[str, str], PersonaError]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not all(isinstance(v, str) for v in value):
        raise fail(key, _("'tools' and 'mcp' must be lists of names, not {value}").format(value=repr(value)))
    return tuple(value)


def _toml_error(source: str, error: Exception, header: str, start: int) -> PersonaError:
    line, what = error_line(error, header)
    return _fail(source, line + start - 1, _("invalid TOML in the header: {what}").format(what=what))


# -- finding persona files -----------------------------------------------------------------------


def builtin_dir() -> Path:
    """The built-in personas: shipped in the package, or the checkout's personas/ when run from the source."""
    from importlib.resources import files

    try:
        return Path(str(files("ollama_chat.builtin_personas")))
    except ModuleNotFoundError:  # `python -m ollama_chat` in a checkout without an installed package
        return Path(__file__).resolve().parents[2] / "personas"


def builtin_files() -> dict[str, Path]:
    return {p.stem: p for p in builtin_dir().glob("*.md")}


def persona_name(text: str) -> str:
    """A persona name as typed or as a file stem, in one Unicode form (NFC): Hangul typed on Linux and a file
    name written by macOS (NFD) are the same name."""
    return unicodedata.normalize("NFC", text)


def user_files(user_dir: Path) -> dict[str, Path]:
    try:
        return {persona_name(p.stem): p for p in user_dir.glob("*.md") if NAME_RE.fullmatch(persona_name(p.stem))}
    except OSError:
        return {}


def is_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith(".md")


def read_persona_file(path: Path, name: str | None = None, source: str | None = None) -> Persona:
    source = source or str(path)
    try:
        data = read_file(path, MAX_PERSONA)
    except FileNotFoundError:
        raise PersonaError(_("Persona file {path} does not exist.").format(path=path),
                           _("Check the path, or use --persona NAME.")) from None
    except NotAFile as e:
        raise PersonaError(_("Cannot read persona file {path}: {reason}.").format(path=path, reason=e.strerror),
                           _("A persona is a Markdown file.")) from None
    except OSError as e:
        raise PersonaError(_("Cannot read persona file {path}: {reason}.").format(path=path, reason=e.strerror),
                           _("Check the file's permissions.")) from None
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")  # a BOM and Windows line ends are fine
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise _fail(source, line, _("the file is not UTF-8 text; save it as UTF-8")) from None
    return parse_persona(text, name or path.stem, source)


def load_persona(ref: str, user_dir: Path) -> Persona:
    """`--persona NAME` (user folder first, then built-ins) or `--persona PATH`."""
    if is_path(ref):
        try:
            path = user_path(ref)
        except ValueError as e:
            raise PersonaError(f"--persona {ref}: {e}.", _("Give a persona NAME, or a path to a persona file.")) from None
        return read_persona_file(path)
    ref = persona_name(ref)
    if not NAME_RE.fullmatch(ref):
        raise PersonaError(
            _("'{name}' is not a persona name (names use only letters, digits, '-' and '_').").format(name=ref),
            _("Known personas: {names}. For a file, give a path with a '/'.").format(
                names=", ".join(known_names(user_dir))),
        )
    user = user_files(user_dir)
    if ref in user:
        return read_persona_file(user[ref], ref)
    builtins = builtin_files()
    if ref in builtins:
        return read_persona_file(builtins[ref], ref, BUILTIN)
    known = known_names(user_dir)
    guess = did_you_mean(ref, known, n=2)
    guess += " " if guess else ""
    raise PersonaError(
        _("There is no persona named '{name}'.").format(name=ref),
        guess + _("Known personas: {names}. Add your own as {path}.").format(
            names=", ".join(known), path=user_dir / (ref + ".md")),
    )


def known_names(user_dir: Path) -> list[str]:
    return sorted(set(builtin_files()) | set(user_files(user_dir)))


def list_personas(user_dir: Path) -> list[PersonaInfo]:
    builtins, user = builtin_files(), user_files(user_dir)
    infos = []
    for name in sorted(set(builtins) | set(user)):
        path, source = (user[name], str(user[name])) if name in user else (builtins[name], BUILTIN)
        try:
            description = read_persona_file(path, name, source).description
        except PersonaError as e:
            description = _("(broken: {error})").format(error=e.message)
        infos.append(PersonaInfo(name, description, source, overrides_builtin=name in user and name in builtins))
    return infos
