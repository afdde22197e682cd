"""Typer's and click's output in the interface's language, through Typer's public API and the click API it
exposes. Our help texts are English literals marked with `N_()` where they are defined, and `localised`
translates a command's help, epilog and its parameters' help just while they are rendered (help, short help in
a group's list, completion descriptions). Typer's own words ("Options", "[default: 20]") follow our `_` through
the touch point at the end of `parsing`. Click's hard-coded words: the "Usage: " prefix is ours in
`format_usage`, and `run` calls Typer in non-standalone mode so that a usage error is shown by `show_error`
("Try ... for help.", "Error: ...", the message matched against click's English templates). Click folds help
by characters; in another language `CellFormatter` folds it by terminal cells (a Hangul syllable takes two).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, TextIO

import typer

from ollama_chat import i18n
from ollama_chat.environment import Environment
from ollama_chat.errors import cut_values
from ollama_chat.i18n import N_, _
from ollama_chat.text import wrap

# -- usage errors ---------------------------------------------------------------------------------------------

# Typer's own words, which Typer looks up itself when it renders them (see the end of `parsing`)
TYPER_WORDS = (N_("Arguments"), N_("Options"), N_("Commands"), N_("default: {default}"), N_("required"),
               N_("Missing command."), N_("No such command {name!r}."), N_("(dynamic)"), N_("Aborted!"),
               N_("env var: {var}"))

# Click's hard-coded words: the help option's help (translated with the other parameters' help), and the
# messages of its usage errors, translated in `_message` (English template -> its pattern).
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
# click's `MissingParameter.format_message()`: "Missing argument 'TEXT'." and what may follow
_MISSING_MESSAGE = re.compile(r"Missing (?P<kind>argument|option|parameter) (?P<name>'[^']*'(?: / '[^']*')*)\."
                              r"(?: (?P<extra>.*))?", re.DOTALL)


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


def _message(message: str, formatted: str) -> str:
    """A usage error's text in the interface's language: `formatted` is click's `format_message()`, which puts
    the exception's `message` inside a frame of its own (a parameter's name before it, the options meant
    after it); the frame is matched around the known `message`, so nothing typed on the command line can
    pass for it."""
    if i18n.language == "en":
        return formatted
    if formatted == message:
        return _translate(message)
    possible = f"{message} (Possible options: "
    if formatted.startswith(possible) and formatted.endswith(")"):
        options = formatted[len(possible):-1]
        return f"{_translate(message)} " + _("(Possible options: {options})").format(options=options)
    invalid = "Invalid value for "
    if formatted.startswith(invalid) and formatted.endswith(f": {message}"):
        name = formatted[len(invalid):len(formatted) - len(message) - 2]
        return _("Invalid value for {name}: {message}").format(name=name, message=_translate(message))
    if formatted == f"Invalid value: {message}":
        return _("Invalid value: {message}").format(message=_translate(message))
    missing = None if message else _MISSING_MESSAGE.fullmatch(formatted)
    if missing:
        said = _(_MISSING[missing["kind"]]).format(name=missing["name"])
        return f"{said} {_translate(missing['extra'])}" if missing["extra"] else said
    return _translate(formatted)


def show_error(e: typer.TyperException, err: TextIO) -> None:
    """What click's `show` prints for a usage error (usage, "Try ... for help.", "Error: ..."), in the
    interface's language, on `err`; a value it echoes is cut (`--num-ctx` given 100 KB)."""
    e.message = cut_values(e.message)
    ctx = getattr(e, "ctx", None)  # a usage error's context, where the usage line comes from
    color = None if ctx is None else ctx.color
    if ctx is not None:
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            hint = _("Try '{command} {option}' for help.").format(command=ctx.command_path, option=ctx.help_option_names[0]) + "\n"
        typer.echo(f"{ctx.get_usage()}\n{hint}", file=err, color=color)
    typer.echo(_("Error: {message}").format(message=_message(e.message, e.format_message())), file=err, color=color)


def run(command: Any, args: list[str] | None, prog_name: str, env: Environment) -> NoReturn:
    """Typer's main (`command` is the Typer app, `env` its context's `obj`), with its usage errors shown by
    `show_error` on the environment's stderr: it runs in non-standalone mode, which returns the exit code and
    lets click's exceptions out (each one a `typer.TyperException`), and exits as the standalone mode does.
    (Help and completions are click's to print, on the process's stdout.)"""
    try:
        code = command(args=args, prog_name=prog_name, obj=env, standalone_mode=False)
    except typer.TyperException as e:
        show_error(e, env.stderr)
        sys.exit(e.exit_code)
    except typer.Abort:
        typer.echo(_("Aborted!"), file=env.stderr)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


# -- help -----------------------------------------------------------------------------------------------------

def _fold(text: str, width: int, initial_indent: str = "", subsequent_indent: str = "",
          preserve_paragraphs: bool = False) -> str:
    """click's `wrap_text` (paragraphs kept) counted in terminal cells."""
    paragraphs = text.split("\n\n") if preserve_paragraphs else [text]
    folded = [wrap(initial_indent + " ".join(p.split()), width, indent=subsequent_indent) for p in paragraphs]
    return "\n\n".join("\n".join(lines) for lines in folded)


class CellFormatter(typer.Context.formatter_class):  # type: ignore[name-defined,misc]
    """click's help formatter; in another language than English its three folding methods fold by cells
    (`_fold`), each otherwise as click's."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if i18n.language == "en":
            return super().write_usage(prog, args, prefix)
        prefix = _("Usage: ") if prefix is None else prefix
        usage_prefix = f"{prefix:>{self.current_indent}}{prog} "
        text_width = self.width - self.current_indent
        if text_width >= len(usage_prefix) + 20:  # the arguments fit to the right of the prefix
            self.write(_fold(args, text_width, usage_prefix, " " * len(usage_prefix)))
        else:
            indent = " " * (max(self.current_indent, len(prefix)) + 4)
            self.write(f"{usage_prefix}\n" + _fold(args, text_width, indent, indent))
        self.write("\n")
        return None

    def write_text(self, text: str) -> None:
        if i18n.language == "en":
            return super().write_text(text)
        indent = " " * self.current_indent
        self.write(_fold(text, self.width, indent, indent, preserve_paragraphs=True) + "\n")
        return None

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        if i18n.language == "en":
            return super().write_dl(rows, col_max, col_spacing)
        first_col = min(max((len(row[0]) for row in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if len(first) <= first_col - col_spacing:
                self.write(" " * (first_col - len(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = _fold(second, max(self.width - first_col - 2, 10), preserve_paragraphs=True).splitlines() or [""]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")
        return None


class Context(typer.Context):
    """click's context with our help formatter."""

    formatter_class = CellFormatter


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


class Localised:
    """Help and usage in the interface's language (see `_localised`); mixed into our command classes."""

    context_class: type[typer.Context] = Context
    help_values: dict[str, str] = {}

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with _localised(self, ctx):
            super().format_help(ctx, formatter)  # type: ignore[misc]

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        """click's, with its "Usage: " prefix translated."""
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), _("Usage: "))

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """Typer's sections, Arguments then Options; an argument is listed by its metavar (`PROMPT`, `ID`), not
        with Typer 0.29's Python type beside it (`PROMPT <list[str]>`)."""
        rows: dict[str, list[tuple[str, str]]] = {"argument": [], "option": []}
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            record = param.get_help_record(ctx)
            if record is not None and param.param_type_name in rows:
                name = param.metavar if param.param_type_name == "argument" and param.metavar else record[0]
                rows[param.param_type_name].append((name, record[1]))
        for kind, title in (("argument", "Arguments"), ("option", "Options")):
            if rows[kind]:
                with formatter.section(_(title)):
                    formatter.write_dl(rows[kind])

    def get_short_help_str(self, limit: int = 45) -> str:
        with _localised(self, None):
            return super().get_short_help_str(limit)  # type: ignore[misc, no-any-return]

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        with _localised(self, ctx):
            return super().shell_complete(ctx, incomplete)  # type: ignore[misc, no-any-return]
