"""Typer's parsing, adapted to this program through Typer's public API and the click API it exposes (the classes
`cls=` takes and their `parse_args`/`format_*`/`shell_complete` methods, `Context.command_path`, `ctx.meta`);
the two places that need Typer's internals are the last section.

- `DefaultGroup`: `ollama-chat [PROMPT]` beside `ollama-chat models`, the way llm puts `llm "prompt"` beside
  `llm logs`; its usage and error lines say `ollama-chat`, not the default command's name.
- `optional_values`: an option whose value may be left out (`--think` or `--think high`).
- `FastCommand`: parameter values converted without pydantic where a command line makes that trivial.
- Each command speaks the interface's language (`language.Localised`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, get_args, get_origin

import typer.core
from typer.core import TyperCommand, TyperGroup  # the classes Typer's `cls=` takes

from ollama_chat.cli.language import Context, Localised
from ollama_chat.cli.plain import DEFAULT
from ollama_chat.i18n import _

_GROUP_OPTIONS = ("--install-completion", "--show-completion")
_DEFAULTED = "ollama_chat.defaulted"  # ctx.meta key: the default command was chosen for the user

# -- options whose value may be left out ----------------------------------------------------------------------

def fill_optional_values(args: Sequence[str], optional: Mapping[str, tuple[Collection[str], str]],
                         takes_value: Mapping[str, bool]) -> list[str]:
    """`args` with each option of `optional` given its value explicitly, for the parser: `--think` takes the
    next word only if it is one of its values (`--think high` -> `--think=high`), else its value when left out
    (`--think` -> `--think=on`; the next word stays a word, the PROMPT's). The words are read as click's parser
    reads them: a word that is another option's value (`takes_value`: each option -> whether it takes one),
    and everything after `--`, is left alone; `--think=high` is `--think high`."""
    rest, out = list(args), []
    while rest:
        word = rest.pop(0)
        if word == "--":
            return [*out, word, *rest]
        if word[:1] != "-" or len(word) == 1:
            out.append(word)
            continue
        name, eq, attached = word.partition("=")
        if name in optional:
            values, alone = optional[name]
            if eq:
                rest.insert(0, attached)
            out.append(f"{name}={rest.pop(0) if rest and rest[0] in values else alone}")
            continue
        out.append(word)
        needs_next = False
        if word.startswith("--"):
            needs_next = takes_value.get(name, False) and not eq
        else:  # short options, maybe several in one word: `-ic`, `-mNAME`, `-im NAME`
            for i, letter in enumerate(word[1:], start=2):
                if takes_value.get(f"-{letter}", False):
                    needs_next = i == len(word)  # nothing attached: the value is the next word
                    break
                if f"-{letter}" not in takes_value:
                    break  # the parser will say it is no option
        if needs_next and rest:
            out.append(rest.pop(0))
    return out


def _takes_value(params: list[Any]) -> dict[str, bool]:
    """Each of the command's option strings -> whether it takes a value (click's `Option` attributes)."""
    return {opt: not (param.is_flag or param.count) for param in params if param.param_type_name == "option"
            for opt in (*param.opts, *param.secondary_opts)}


# -- our command classes --------------------------------------------------------------------------------------

class _Context(Context):
    @property
    def command_path(self) -> str:
        """`ollama-chat`, not `ollama-chat chat`, when the user did not name the default command."""
        path = super().command_path
        if self.parent is not None and self.parent.meta.get(_DEFAULTED):
            path = self.parent.command_path
        return path


class FastCommand(Localised, TyperCommand):
    """A command whose parameters take their values without pydantic when they can (see `_PlainValues`), and
    whose options may take optional values (`optional_values`: option -> (values, value when left out))."""

    context_class = _Context
    optional_values: dict[str, tuple[tuple[str, ...], str]] = {}

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        params = self.get_params(ctx)
        _plain_values(params)
        if self.optional_values:
            args = fill_optional_values(args, self.optional_values, _takes_value(params))
        return super().parse_args(ctx, args)


def optional_values(**options: tuple[tuple[str, ...], str]) -> type[FastCommand]:
    """A FastCommand class whose `--NAME` options take an optional value: optional_values(think=(levels, "on"))."""
    return type("Command", (FastCommand,), {"optional_values": {f"--{k}": v for k, v in options.items()}})


class FastGroup(Localised, TyperGroup):
    """A group (`ollama-chat history`) whose own options take their values without pydantic."""

    context_class = _Context

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _plain_values(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        super().format_options(ctx, formatter)
        self.format_commands(ctx, formatter)


class DefaultGroup(FastGroup):
    """A group whose first argument, when it names no command, belongs to the default command (`default`).
    (`ollama-chat chat models` asks the word "models".)"""

    default = DEFAULT

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        completing_first_word = ctx.resilient_parsing and not args
        if not completing_first_word and (not args or (args[0] not in self.commands and args[0] not in _GROUP_OPTIONS)):
            args = [self.default, *args]
            ctx.meta[_DEFAULTED] = True
        return super().parse_args(ctx, args)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        """The first word completes to a command or to any of the default command's options."""
        chat = self.commands[self.default]
        return [*super().shell_complete(ctx, incomplete), *chat.shell_complete(ctx, incomplete)]


# -- Typer's internals: the only two touch points -------------------------------------------------------------
# Typer 0.29 offers no public way to do either. pyproject.toml bounds Typer to that minor version; the tests
# named below fail if either stops working.

# 1. Typer's own words. Typer renders "Arguments", "Options", "Commands", "[default: 20]", "[required]" and
#    "No such command 'x'." through `typer.core._`, which is gettext's `gettext`: it reads the process's
#    global text domain and locale variables, so it cannot follow `--lang` or the config file (short of
#    changing the environment of every program we start). Pointed at our `_`, they are in the chosen
#    language. Without it, a Korean help says "Commands:" and "[default: 20]" (test_cli_korean.py).
typer.core._ = _  # type: ignore[attr-defined]

_INT = re.compile(r"-?[0-9]{1,18}")
_FLOAT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?")


# 2. Values without pydantic. Typer 0.29 turns every parameter's value into its type through a pydantic
#    TypeAdapter it builds on first use, kept in the parameter's `_runtime_param` (filled by its
#    `get_runtime_param()`), for every parameter but a bool flag holding a bool, even for an absent value (no
#    `--model`) and for its own `--help` and completion options, whatever the annotation. That imported
#    pydantic (~100 ms) and built ~20 adapters on every run. `_PlainValues` is put in `_runtime_param` in
#    its place. Without it, every start is ~100 ms slower (test_architecture.py: no pydantic on the piped
#    path or in `history`).
class _PlainValues:
    """Takes what a command line gives (nothing, a word, plain digits) to the value Typer would make, and hands
    anything else (`--top-k abc`, `--top-p .5`, `--temperature 1e-1`) to Typer's own coercion, with its messages.
    A default of the parameter's own type is taken as it is."""

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        annotation = param.type_descriptor.annotation
        if param.multiple or param.nargs == -1:
            if value is None:
                return ()
            strings = get_origin(annotation) is list and get_args(annotation) == (str,)
            if strings and isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                return list(value)
        elif value is None:
            return None
        elif type(value) is annotation and annotation in (int, float, bool):  # a default (`--limit` not given)
            return value
        elif isinstance(value, str):
            if annotation is str:
                return value
            if annotation is int and _INT.fullmatch(value):
                return int(value)
            if annotation is float and _FLOAT.fullmatch(value):
                return float(value)
        param._runtime_param = None  # Typer's own, built as Typer builds it, from now on
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)


def _plain_values(params: list[Any]) -> None:
    """Give Typer's parameters the coercion above; where Typer has no such hook (another version), leave them."""
    for param in params:
        if getattr(param, "_runtime_param", False) is None and hasattr(param, "get_runtime_param"):
            param._runtime_param = _PlainValues()
