"""Typer's parsing, adapted to this program. Every reliance on Typer's internals (its vendored click: the option
parser, runtime parameters, contexts) is in this module, and pyproject.toml bounds Typer to the minor version
these were written against.

- `DefaultGroup`: `ollama-chat [PROMPT]` beside `ollama-chat models`, the way llm puts `llm "prompt"` beside
  `llm logs`; its usage and error lines say `ollama-chat`, not the default command's name.
- `optional_values`: an option whose value may be left out (`--think` or `--think high`).
- `FastCommand`: parameter values converted without pydantic where a command line makes that trivial.
"""

from __future__ import annotations

import re
from typing import Any, get_args, get_origin

from typer._click.core import Context
from typer.core import TyperCommand, TyperGroup

_GROUP_OPTIONS = ("--install-completion", "--show-completion")
_INT = re.compile(r"-?[0-9]{1,18}")
_FLOAT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?")
_DEFAULTED = "ollama_chat.defaulted"  # ctx.meta key: the default command was chosen for the user


class _PlainValues:
    """Start-up speed. Typer 0.29 turns each parameter's value into its type through a pydantic TypeAdapter that it
    builds on first use, and uses it for every parameter but a bool flag holding a bool, even for an absent value
    (no `--model`) and for its own `--help` and completion options: so every run imported pydantic (~100 ms) and
    built ~20 adapters, whatever the annotations. This takes what a command line gives (nothing, a word, plain
    digits) to the same result itself, and hands anything else (`--top-k abc`, `--top-p .5`, `--temperature 1e-1`)
    to Typer's own coercion, with its messages. A default of the parameter's own type is taken as it is."""

    def __init__(self) -> None:
        self.typer_runtime: Any = None

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
        if self.typer_runtime is None:
            from typer._coercion import build_runtime_param

            self.typer_runtime = build_runtime_param(param.type_descriptor)
        return self.typer_runtime.coerce(value, param=param, ctx=ctx)


def _plain_values(params: list[Any]) -> None:
    """Give Typer's parameters the coercion above; where Typer has no such hook (another version), leave them."""
    for param in params:
        if getattr(param, "_runtime_param", False) is None and hasattr(param, "type_descriptor"):
            param._runtime_param = _PlainValues()


def _named_arguments(params: list[Any]) -> None:
    """`--help` lists an argument by its metavar (`PROMPT`, `ID`), not with Typer 0.29's Python type beside it
    (`PROMPT <list[str]>`)."""
    for param in params:
        if getattr(param, "param_type_name", "") == "argument" and param.metavar and hasattr(param, "display_type_rich"):
            param.display_type_rich = lambda ctx: None


class _Context(Context):
    @property
    def command_path(self) -> str:
        """`ollama-chat`, not `ollama-chat chat`, when the user did not name the default command."""
        path = super().command_path
        if self.parent is not None and self.parent.meta.get(_DEFAULTED):
            path = self.parent.command_path
        return path


class FastCommand(TyperCommand):
    """A command whose parameters take their values without pydantic when they can (see `_PlainValues`), and
    whose options may take optional values (`optional_values`: option -> (values, value when left out))."""

    context_class = _Context
    optional_values: dict[str, tuple[tuple[str, ...], str]] = {}

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _plain_values(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _named_arguments(self.get_params(ctx))
        super().format_help(ctx, formatter)

    def make_parser(self, ctx: Any) -> Any:
        from typer._click.parser import _Option

        parser = super().make_parser(ctx)
        for name, (values, alone) in self.optional_values.items():

            class OptionalValue(_Option):
                """Takes the next word only if it is one of `values`; any other word is left alone (it may be
                the PROMPT). `--think=high` arrives here as the next word too."""

                def process(self, value: Any, state: Any, values: tuple[str, ...] = values, alone: str = alone) -> None:
                    rargs = state.rargs
                    state.opts[self.dest] = rargs.pop(0) if rargs and rargs[0] in values else alone
                    state.order.append(self.obj)

            option = parser._long_opt[name]
            parser._long_opt[name] = OptionalValue(option.obj, [name], option.dest, action="store", nargs=0)
        return parser


def optional_values(**options: tuple[tuple[str, ...], str]) -> type[FastCommand]:
    """A FastCommand class whose `--NAME` options take an optional value: optional_values(think=(levels, "on"))."""
    return type("Command", (FastCommand,), {"optional_values": {f"--{k}": v for k, v in options.items()}})


class FastGroup(TyperGroup):
    """A group (`ollama-chat history`) whose own options take their values without pydantic."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _plain_values(self.get_params(ctx))
        return super().parse_args(ctx, args)


class DefaultGroup(TyperGroup):
    """A group whose first argument, when it names no command, belongs to the default command (`default`).
    (`ollama-chat chat models` asks the word "models".)"""

    default = "chat"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        completing_first_word = ctx.resilient_parsing and not args
        if not completing_first_word and (not args or (args[0] not in self.commands and args[0] not in _GROUP_OPTIONS)):
            args = [self.default, *args]
            ctx.meta[_DEFAULTED] = True
        _plain_values(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        """The first word completes to a command or to any of the default command's options."""
        chat = self.commands[self.default]
        return [*super().shell_complete(ctx, incomplete), *chat.shell_complete(ctx, incomplete)]
