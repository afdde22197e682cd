"""The `ollama-chat` command: Typer parses, `app` acts, and every expected failure becomes one message and an
exit code.

`ollama-chat [PROMPT]` is the default command, beside listing commands (`personas`, `models`), the way llm
puts `llm "prompt"` beside `llm logs`. rich and prompt_toolkit are imported only on the paths that need
them, so a piped one-shot question starts fast.
"""

from __future__ import annotations

import os
from typing import Any, List, Optional

import typer

from ollama_chat import __version__, app, paths
from ollama_chat.cli_groups import history_cli, models_cli
from ollama_chat.cli_parsing import DefaultGroup, FastCommand, optional_values
from ollama_chat.environment import Environment
from ollama_chat.errors import EXIT_OK, UsageError
from ollama_chat.options import PRESETS, OptionError, check_option, parse_assignment
from ollama_chat.personas import THINK_LEVELS, known_names
from ollama_chat.settings import Flags

cli = typer.Typer(
    cls=DefaultGroup,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Chat with a local model served by Ollama.",
)


def _typed_options(
    temperature: float | None, top_p: float | None, top_k: int | None, num_ctx: int | None, seed: int | None, option: list[str]
) -> dict[str, Any]:
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


def _presets(incomplete: str) -> list[str]:
    return [name for name in PRESETS if name.startswith(incomplete)]


def _model_names(incomplete: str) -> list[str]:
    """Shell completion of `--model`: the server's models, if it answers within a second or two."""
    from ollama_chat.backends.base import BackendError
    from ollama_chat.backends.ollama import OllamaBackend, parse_host

    try:
        names = OllamaBackend(parse_host(os.environ.get("OLLAMA_HOST")), timeout=2).list_models()
    except (BackendError, ValueError):
        return []
    return [name for name in names if name.startswith(incomplete)]


def _persona_names(incomplete: str) -> list[str]:
    """Shell completion of `--persona`: built-in and your own persona names."""
    return [name for name in known_names(paths.user_persona_dir()) if name.startswith(incomplete)]


_THINK_VALUES = {"on": True, **{level: level for level in THINK_LEVELS}}


@cli.command(
    DefaultGroup.default,
    cls=optional_values(think=(THINK_LEVELS, "on")),
    epilog="Other commands: `ollama-chat history` lists, shows, searches and removes stored conversations;"
    " `ollama-chat personas` lists personas, `ollama-chat models` the server's models.",
)
def chat_command(
    ctx: typer.Context,
    prompt: Optional[List[str]] = typer.Argument(
        None, metavar="PROMPT", help="Ask this and exit (several words are one question). Piped stdin comes first, then PROMPT."
    ),
    model: Optional[str] = typer.Option(
        None, "--model", "-m", metavar="NAME", help="Model name (default llama3.2:latest).", autocompletion=_model_names
    ),
    persona: Optional[str] = typer.Option(
        None, "--persona", "-p", metavar="NAME|PATH", help="Persona NAME, or a PATH to a persona file.", autocompletion=_persona_names
    ),
    host: Optional[str] = typer.Option(None, "--host", metavar="HOST", help="Ollama server (default $OLLAMA_HOST or 127.0.0.1:11434)."),
    system: Optional[str] = typer.Option(None, "--system", metavar="TEXT", help="Replace the persona's system prompt for this run."),
    temperature: Optional[float] = typer.Option(None, "--temperature", metavar="T", help="0.0-2.0; higher is more random."),
    top_p: Optional[float] = typer.Option(None, "--top-p", metavar="P", help="0.0-1.0 nucleus sampling."),
    top_k: Optional[int] = typer.Option(None, "--top-k", metavar="K", help="Consider only the K most likely tokens (>= 1)."),
    num_ctx: Optional[int] = typer.Option(None, "--num-ctx", metavar="TOKENS", help="Context window in tokens."),
    seed: Optional[int] = typer.Option(None, "--seed", metavar="N", help="Random seed for repeatable answers."),
    option: List[str] = typer.Option([], "--option", "-o", metavar="KEY=VALUE", help="Any Ollama option as KEY=VALUE (repeatable)."),
    preset: Optional[str] = typer.Option(
        None, "--preset", metavar="NAME", help=f"Sampling preset: {', '.join(PRESETS)}.", autocompletion=_presets
    ),
    format: Optional[str] = typer.Option(None, "--format", metavar="json|FILE", help="'json', or a JSON Schema file for structured output."),
    think: Optional[str] = typer.Option(
        None, "--think", metavar="[low|medium|high]", help="Ask the model to think first; optionally how hard (--think high)."
    ),
    no_think: bool = typer.Option(False, "--no-think", help="Ask the model not to think."),
    hide_thinking: bool = typer.Option(False, "--hide-thinking", help="Don't show the model's thinking."),
    no_stream: bool = typer.Option(False, "--no-stream", help="Wait for the whole reply instead of streaming it."),
    timeout: Optional[float] = typer.Option(None, "--timeout", metavar="SECONDS", help="Seconds to wait for Ollama to send something (default 300)."),
    max_messages: Optional[int] = typer.Option(None, "--max-messages", metavar="N", help="History cap in messages (default 20)."),
    no_input_history: bool = typer.Option(False, "--no-input-history", help="Don't read or write the input history file."),
    continue_last: bool = typer.Option(False, "--continue", "-c", help="Go on with the most recent conversation."),
    resume: Optional[str] = typer.Option(
        None, "--resume", metavar="ID|FILE", help="Go on with conversation ID (a unique prefix will do; see `ollama-chat history`) or a saved JSON file."
    ),
    incognito: bool = typer.Option(False, "--incognito", help="Store nothing: no conversation, no input history."),
    pull: bool = typer.Option(False, "--pull", help="If the model is not on the server, pull it first (asked in the chat)."),
    interactive: bool = typer.Option(False, "--interactive", "-i", help="After the piped question, keep chatting."),
    plain: bool = typer.Option(False, "--plain", help="Print the reply exactly as received, without formatting."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show stats (tokens/s, ...) after each reply."),
    list_personas: bool = typer.Option(False, "--list-personas", help="The same as `ollama-chat personas`."),
    list_models: bool = typer.Option(False, "--list-models", help="The same as `ollama-chat models`."),
    version: bool = typer.Option(False, "--version", help="Show the version and exit."),
) -> None:
    """Chat with a local model served by Ollama. Interactive in a terminal; one-shot with PROMPT or piped input."""
    env: Environment = ctx.obj
    if version:
        env.stdout.write(f"ollama-chat {__version__}\n")
        raise typer.Exit(EXIT_OK)

    def flags() -> Flags:
        return Flags(
            model=model,
            persona=persona,
            host=host,
            system=system,
            options=_typed_options(temperature, top_p, top_k, num_ctx, seed, option),
            preset=preset,
            format=format,
            think=False if no_think else _THINK_VALUES.get(think) if think is not None else None,
            stream=not no_stream,
            timeout=timeout,
            max_messages=max_messages,
            input_history=False if no_input_history else None,
            hide_thinking=hide_thinking or None,  # None: not given, so the config file decides
            verbose=verbose or None,
            plain=plain,
            incognito=incognito,
            continue_last=continue_last,
            resume=resume,
            pull=pull,
        )

    if list_personas:
        raise typer.Exit(app.guarded(env, lambda: app.print_personas(env)))
    if list_models:
        raise typer.Exit(app.guarded(env, lambda: app.print_models(env, flags())))
    question = " ".join(prompt) if prompt else None
    if prompt and len(prompt) == 1:
        _hint_at_a_command(env, prompt[0])
    raise typer.Exit(app.guarded(env, lambda: app.chat(env, flags(), question, interactive=interactive)))


def _hint_at_a_command(env: Environment, word: str) -> None:
    """`ollama-chat modles` asks the model "modles"; say which command was probably meant."""
    import difflib

    close = difflib.get_close_matches(word.lower(), [c for c in cli_commands() if c != DefaultGroup.default], n=1, cutoff=0.7)
    if close or word.lower() in ("help", "-help"):
        meant = f"ollama-chat {close[0]}" if close else "ollama-chat --help"
        app.say(env, "Note:", "2", f"asking the model \"{word}\"; did you mean `{meant}`?")


def cli_commands() -> list[str]:
    return [info.name or "" for info in (*cli.registered_commands, *cli.registered_groups)]


@cli.command("personas", cls=FastCommand)
def personas_command(ctx: typer.Context) -> None:
    """List personas: built-in and your own, and where each comes from."""
    env: Environment = ctx.obj
    raise typer.Exit(app.guarded(env, lambda: app.print_personas(env)))


cli.add_typer(history_cli, name="history")
cli.add_typer(models_cli, name="models")


def main(argv: list[str] | None = None, env: Environment | None = None) -> None:
    """The entry point. Tests pass `argv` and an in-memory `env` and run it in-process."""
    cli(args=argv, prog_name="ollama-chat", obj=env or Environment.from_process())
