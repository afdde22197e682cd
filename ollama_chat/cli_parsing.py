"""Typer's parsing, adapted to this program. Every reliance on Typer's internals (its vendored click: the option
parser, runtime parameters, contexts) is in this module, and pyproject.toml bounds Typer to the minor version
these were written against.

- `DefaultGroup`: `ollama-chat [PROMPT]` beside `ollama-chat models`, the way llm puts `llm "prompt"` beside
  `llm logs`; its usage and error lines say `ollama-chat`, not the default command's name.
- `optional_values`: an option whose value may be left out (`--think` or `--think high`).
- `FastCommand`: parameter values converted without pydantic where a command line makes that trivial.
- The interface's language (`i18n`): our help texts are English literals marked with `N_()` where they are
  defined, and `_localised` translates a command's help, epilog and its parameters' help just while they are
  rendered (help, short help in a group's list, completion descriptions). Typer's own words go through its
  `typer.core._`, pointed at ours. Click's hard-coded ones: the "Usage: " prefix is ours in `format_usage`,
  and `run` calls Typer in non-standalone mode so that a usage error is shown by `show_error` ("Try ... for
  help.", "Error: ...", the message rebuilt from the exception's fields or matched against click's English
  templates). In English, click's own `show` does it, so the output is click's, byte for byte.
  Click folds help by characters; in another language `_wrap_text` folds it by terminal cells (a Hangul
  syllable takes two), in place of click's `formatting.wrap_text`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, get_args, get_origin

import typer.core
from typer._click import exceptions as click_errors
from typer._click import formatting as click_formatting
from typer._click.core import Context
from typer._click.utils import echo
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import Abort

from ollama_chat import i18n
from ollama_chat.errors import cut_values
from ollama_chat.i18n import N_, _
from ollama_chat.ui.wrap import wrap

_GROUP_OPTIONS = ("--install-completion", "--show-completion")
_INT = re.compile(r"-?[0-9]{1,18}")
_FLOAT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?")
_DEFAULTED = "ollama_chat.defaulted"  # ctx.meta key: the default command was chosen for the user


# Typer's own words: typer.core looks them up with its module-level `_` (gettext's) when it renders.
TYPER_WORDS = (N_("Arguments"), N_("Options"), N_("Commands"), N_("default: {default}"), N_("required"),
               N_("Missing command."), N_("No such command {name!r}."), N_("(dynamic)"), N_("Aborted!"),
               N_("env var: {var}"))
typer.core._ = _  # type: ignore[attr-defined]

_click_wrap_text = click_formatting.wrap_text


def _wrap_text(text: str, width: int = 78, initial_indent: str = "", subsequent_indent: str = "",
               preserve_paragraphs: bool = False) -> str:
    """click's `wrap_text` in English; otherwise the same folding (paragraphs kept) counted in terminal cells."""
    if i18n.language == "en":
        return _click_wrap_text(text, width, initial_indent, subsequent_indent, preserve_paragraphs)
    paragraphs = text.split("\n\n") if preserve_paragraphs else [text]
    folded = [wrap(initial_indent + " ".join(p.split()), width, indent=subsequent_indent) for p in paragraphs]
    return "\n\n".join("\n".join(lines) for lines in folded)


click_formatting.wrap_text = _wrap_text

# Click's hard-coded words: the help option's help (translated with the other parameters' help), and the
# messages of its usage errors, rebuilt in `_message` (English template -> its pattern).
HELP_OPTION = N_("Show this message and exit.")
_ERROR_TEMPLATES = [
    (r"Got unexpected extra argument\(s\) \((?P<args>.*)\)", N_("Got unexpected extra argument(s) ({args})")),
    (r"Option (?P<name>'.*') requires an argument\.", N_("Option {name} requires an argument.")),
    (r"Option (?P<name>'.*') requires (?P<n>[0-9]+) arguments\.", N_("Option {name} requires {n} arguments.")),
    (r"Option (?P<name>'.*') does not take a value\.", N_("Option {name} does not take a value.")),
    (r"No such option: (?P<name>.*)", N_("No such option: {name}")),
    (r"Value (?P<value>.*) is not a valid (?P<type>.*)\.", N_("Value {value} is not a valid {type}.")),
    (r"(?P<message>.*)\. Did you mean (?P<suggestions>.*)\?", N_("{message}. Did you mean {suggestions}?")),
]
_ERROR_PATTERNS = [(re.compile(pattern, re.DOTALL), template) for pattern, template in _ERROR_TEMPLATES]
# pydantic's words for a bad number (`--top-k abc`), looked up as they are
PYDANTIC_WORDS = (N_("Input should be a valid integer, unable to parse string as an integer"),
                  N_("Input should be a valid number, unable to parse string as a number"))
_MISSING = {"argument": N_("Missing argument {name}."), "option": N_("Missing option {name}."),
            "parameter": N_("Missing parameter {name}.")}


def _translate(message: str) -> str:
    """One of click's (or pydantic's) English messages in the interface's language, where it is one we know."""
    translated = _(message)
    if translated != message:
        return translated
    for pattern, template in _ERROR_PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            fields = {k: _translate(v) if k == "message" else v for k, v in match.groupdict().items()}
            return _(template).format(**fields)
    return message


def _message(e: click_errors.ClickException) -> str:
    """What click's `format_message` says, in the interface's language."""
    if isinstance(e, click_errors.NoSuchOption) and e.possibilities:
        options = ", ".join(sorted(e.possibilities))
        return f"{_translate(e.message)} " + _("(Possible options: {options})").format(options=options)
    if isinstance(e, click_errors.BadParameter):
        hint = e.param_hint if e.param_hint is not None else e.param.get_error_hint() if e.param is not None else None
        hint = click_errors._join_param_hints(hint)
        if isinstance(e, click_errors.MissingParameter):
            kind = e.param_type or (e.param.param_type_name if e.param is not None else None)
            if hint and kind in _MISSING and not e.message:
                extra = e.param.get_missing_message(ctx=e.ctx) if e.param is not None else None
                missing = _(_MISSING[kind]).format(name=hint)
                return f"{missing} {_translate(extra)}" if extra else missing
            return _translate(e.format_message())
        if hint:
            return _("Invalid value for {name}: {message}").format(name=hint, message=_translate(e.message))
        return _("Invalid value: {message}").format(message=_translate(e.message))
    return _translate(e.format_message())


def show_error(e: click_errors.ClickException) -> None:
    """click's `show` (usage, "Try ... for help.", "Error: ..."), in the interface's language; a value it
    echoes is cut (`--num-ctx` given 100 KB)."""
    e.message = cut_values(e.message)
    if i18n.language == "en" or isinstance(e, click_errors.NoArgsIsHelpError):
        e.show()
        return
    color = e.show_color
    if isinstance(e, click_errors.UsageError) and e.ctx is not None:
        ctx = e.ctx
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = _("Try '{command} {option}' for help.").format(command=ctx.command_path, option=ctx.help_option_names[0]) + "\n"
        color = ctx.color
        echo(f"{ctx.get_usage()}\n{hint}", err=True, color=color)
    echo(_("Error: {message}").format(message=_message(e)), err=True, color=color)


def run(command: Any, args: list[str] | None, prog_name: str, obj: Any) -> NoReturn:
    """Typer's main (`command` is the Typer app), with its usage errors shown by `show_error`: it runs in
    non-standalone mode, which returns the exit code and lets click's exceptions out, and exits as the
    standalone mode does."""
    try:
        code = command(args=args, prog_name=prog_name, obj=obj, standalone_mode=False)
    except click_errors.ClickException as e:
        show_error(e)
        sys.exit(e.exit_code)
    except Abort:
        echo(_("Aborted!"), err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


@contextmanager
def _localised(command: Any, ctx: Any) -> Iterator[None]:
    """The command's help, short help, epilog and its parameters' help in the interface's language while they
    are rendered, put back afterwards. `help_values` fills the placeholders of a help text ("{presets}")."""
    params = command.get_params(ctx) if ctx is not None else command.params
    saved = [(command, "help", command.help), (command, "short_help", command.short_help), (command, "epilog", command.epilog)]
    saved += [(param, "help", getattr(param, "help", None)) for param in params]
    values = getattr(command, "help_values", {})
    for obj, attr, text in saved:
        if text:
            shown = _(text)
            setattr(obj, attr, shown.format(**values) if values and "{" in shown else shown)
    try:
        yield
    finally:
        for obj, attr, text in saved:
            setattr(obj, attr, text)


class _Localised:
    """Help and usage in the interface's language (see `_localised`); mixed into our command classes."""

    help_values: dict[str, str] = {}

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with _localised(self, ctx):
            super().format_help(ctx, formatter)  # type: ignore[misc]

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        """click's, with its "Usage: " prefix translated."""
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), _("Usage: "))

    def get_short_help_str(self, limit: int = 45) -> str:
        with _localised(self, None):
            return super().get_short_help_str(limit)  # type: ignore[misc]

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        with _localised(self, ctx):
            return super().shell_complete(ctx, incomplete)  # type: ignore[misc]


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


class FastCommand(_Localised, TyperCommand):
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


class FastGroup(_Localised, TyperGroup):
    """A group (`ollama-chat history`) whose own options take their values without pydantic."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _plain_values(self.get_params(ctx))
        return super().parse_args(ctx, args)


class DefaultGroup(_Localised, TyperGroup):
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
