"""The `ollama-chat` command: flags -> Settings, then one-shot or the REPL; errors -> messages and exit codes.

rich and prompt_toolkit are imported only on the paths that need them (the REPL, a terminal renderer), so a
piped one-shot question starts fast.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from typing import List, Optional

import typer

from ollama_chat import __version__, paths
from ollama_chat.client import OllamaClient
from ollama_chat.errors import EXIT_INTERRUPTED, EXIT_OK, ChatError, UsageError
from ollama_chat.oneshot import combine_question, decode_input
from ollama_chat.oneshot import run as run_oneshot
from ollama_chat.options import PRESETS, OptionError, check_option, parse_assignment
from ollama_chat.personas import BUILTIN, THINK_LEVELS, PersonaError, list_personas, load_persona
from ollama_chat.render import make_output
from ollama_chat.settings import Flags, load_config, load_format, persona_ref, resolve

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def normalise_argv(argv: list[str]) -> list[str]:
    """`--think high` means `--think-level high`; a bare `--think` stays a switch."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out += argv[i:]
            break
        if arg == "--think" and i + 1 < len(argv) and argv[i + 1] in THINK_LEVELS:
            out += ["--think-level", argv[i + 1]]
            i += 2
            continue
        if arg.startswith("--think=") and arg[8:] in THINK_LEVELS:
            out += ["--think-level", arg[8:]]
        else:
            out.append(arg)
        i += 1
    return out


def _to_stderr(label: str, sgr: str, text: str) -> None:
    if sys.stderr.isatty() and "NO_COLOR" not in os.environ:
        label = f"\033[{sgr}m{label}\033[0m"
    print(f"{label} {text}", file=sys.stderr)


def report_error(error: ChatError) -> None:
    """What went wrong and what to do next, on stderr. Never a traceback."""
    _to_stderr("Error:", "1;31", error.message)
    for line in error.hint.splitlines():
        print(f"  {line}", file=sys.stderr)


def warn(text: str) -> None:
    _to_stderr("Warning:", "33", text)


def _typed_options(
    temperature: float | None, top_p: float | None, top_k: int | None, num_ctx: int | None, seed: int | None, option: list[str]
) -> dict:
    options = {}
    try:
        for name, value in (("temperature", temperature), ("top_p", top_p), ("top_k", top_k), ("num_ctx", num_ctx), ("seed", seed)):
            if value is not None:
                options[name] = check_option(name, value)
        for assignment in option:
            name, value = parse_assignment(assignment)
            options[name] = value
    except OptionError as e:
        raise UsageError(f"Bad option: {e}.") from None
    return options


@app.command()
def command(
    prompt: Optional[str] = typer.Argument(None, metavar="PROMPT", help="Ask this and exit. Piped stdin comes first, then PROMPT."),
    model: Optional[str] = typer.Option(None, "--model", "-m", metavar="NAME", help="Model name (default llama3.2:latest)."),
    persona: Optional[str] = typer.Option(None, "--persona", "-p", metavar="NAME|PATH", help="Persona NAME, or a PATH to a persona file."),
    host: Optional[str] = typer.Option(None, "--host", metavar="HOST", help="Ollama server (default $OLLAMA_HOST or 127.0.0.1:11434)."),
    system: Optional[str] = typer.Option(None, "--system", metavar="TEXT", help="Replace the persona's system prompt for this run."),
    temperature: Optional[float] = typer.Option(None, "--temperature", metavar="T", help="0.0-2.0; higher is more random."),
    top_p: Optional[float] = typer.Option(None, "--top-p", metavar="P", help="0.0-1.0 nucleus sampling."),
    top_k: Optional[int] = typer.Option(None, "--top-k", metavar="K", help="Consider only the K most likely tokens (>= 1)."),
    num_ctx: Optional[int] = typer.Option(None, "--num-ctx", metavar="TOKENS", help="Context window in tokens."),
    seed: Optional[int] = typer.Option(None, "--seed", metavar="N", help="Random seed for repeatable answers."),
    option: List[str] = typer.Option([], "--option", "-o", metavar="KEY=VALUE", help="Any Ollama option as KEY=VALUE (repeatable)."),
    preset: Optional[str] = typer.Option(None, "--preset", metavar="NAME", help=f"Sampling preset: {', '.join(PRESETS)}."),
    format: Optional[str] = typer.Option(None, "--format", metavar="json|FILE", help="'json', or a JSON Schema file for structured output."),
    think: Optional[bool] = typer.Option(
        None, "--think/--no-think", help="Ask the model to think first, or not. `--think high` (low, medium) sets how hard."
    ),
    think_level: Optional[str] = typer.Option(None, "--think-level", hidden=True),
    hide_thinking: bool = typer.Option(False, "--hide-thinking", help="Don't show the model's thinking."),
    no_stream: bool = typer.Option(False, "--no-stream", help="Wait for the whole reply instead of streaming it."),
    timeout: Optional[float] = typer.Option(None, "--timeout", metavar="SECONDS", help="Seconds to wait for Ollama to send something (default 300)."),
    max_messages: Optional[int] = typer.Option(None, "--max-messages", metavar="N", help="History cap in messages (default 20)."),
    no_input_history: bool = typer.Option(False, "--no-input-history", help="Don't read or write the input history file."),
    interactive: bool = typer.Option(False, "--interactive", "-i", help="After the piped question, keep chatting."),
    plain: bool = typer.Option(False, "--plain", help="Print the reply exactly as received, without formatting."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show stats (tokens/s, ...) after each reply."),
    list_personas: bool = typer.Option(False, "--list-personas", help="List personas and where they come from."),
    list_models: bool = typer.Option(False, "--list-models", help="List the models the Ollama server has."),
    version: bool = typer.Option(False, "--version", help="Show the version and exit."),
) -> None:
    """Chat with a local model served by Ollama. Interactive in a terminal; one-shot with PROMPT or piped input."""
    if version:
        print(f"ollama-chat {__version__}")
        raise typer.Exit(EXIT_OK)
    def body() -> int:
        flags = Flags(
            model=model,
            persona=persona,
            host=host,
            system=system,
            options=_typed_options(temperature, top_p, top_k, num_ctx, seed, option),
            preset=preset,
            format=format,
            think=think_level if think_level is not None else think,
            stream=not no_stream,
            timeout=timeout,
            max_messages=max_messages,
            input_history=False if no_input_history else None,
            hide_thinking=hide_thinking or None,  # None: not given, so the config file decides
            verbose=verbose or None,
            plain=plain,
        )
        return run(flags, prompt, interactive=interactive, list_personas=list_personas, list_models=list_models)

    raise typer.Exit(guarded(body))


def guarded(body) -> int:
    """Run `body`, turning every expected failure into its message and exit code."""
    try:
        return body()
    except ChatError as e:
        report_error(e)
        return e.exit_code
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _closed_pipe()


def run(flags: Flags, prompt: str | None, *, interactive: bool, list_personas: bool, list_models: bool) -> int:
    config = load_config(paths.config_file())
    if list_personas:
        return print_personas()
    if flags.format is not None:
        flags = replace(flags, format=load_format(flags.format))
    ref = persona_ref(flags, config)
    try:
        persona = load_persona(ref, paths.user_persona_dir())
    except PersonaError as e:
        if flags.persona is None and config.get("persona"):
            e.hint += f"\n(persona = \"{ref}\" is set in {paths.config_file()})"
        raise
    settings = resolve(flags, config, os.environ, persona)
    client = OllamaClient(settings.host, settings.timeout)
    if list_models:
        for name in client.list_models():
            print(name)
        return EXIT_OK

    stdin_tty, stdout_tty = sys.stdin.isatty(), sys.stdout.isatty()
    if interactive or (prompt is None and stdin_tty and stdout_tty):
        from ollama_chat.repl import run_repl

        first = None if stdin_tty else read_stdin()
        if first is not None or prompt is not None:
            first = combine_question(first, prompt)
        return run_repl(settings, client, first_message=first)

    if prompt is None and stdin_tty:
        print("Reading the question from the terminal; finish with Ctrl+D.", file=sys.stderr)
    piped = None if stdin_tty else read_stdin()
    question = combine_question(piped, prompt)
    output = make_output(
        stdout_is_terminal=stdout_tty, plain=settings.plain, show_stats=settings.verbose, hide_thinking=settings.hide_thinking
    )
    return run_oneshot(settings, question, client, output)


def read_stdin() -> str:
    decoded = decode_input(sys.stdin.buffer.read())
    if decoded.bad_byte_offset is not None:
        warn(
            f"standard input is not valid UTF-8 (first bad byte at offset {decoded.bad_byte_offset}); "
            "invalid bytes were replaced with U+FFFD."
        )
    return decoded.text


def print_personas() -> int:
    user_dir = paths.user_persona_dir()
    infos = list_personas(user_dir)
    width = max(len(i.name) for i in infos)
    for info in infos:
        where = BUILTIN if info.source == BUILTIN else info.source + (" (overrides the built-in)" if info.overrides_builtin else "")
        print(f"{info.name:<{width}}  {info.description}  [{where}]")
    print(f"\nAdd your own as {user_dir}/NAME.md", file=sys.stderr)
    return EXIT_OK


def main(argv: list[str] | None = None) -> None:
    args = normalise_argv(sys.argv[1:] if argv is None else argv)
    app(args=args, prog_name="ollama-chat")


def _closed_pipe() -> int:
    """The reader went away (`| head -1`): stop quietly, without Python's 'Exception ignored' at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK
