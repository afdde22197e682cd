"""The `ollama-chat` command as a Typer app: Typer parses, `app` (the chat) and `listings` act, and `guard`
turns every expected failure into one message and an exit code.

`ollama-chat [PROMPT]` is the default command, beside listing commands (`personas`, `models`), the way llm
puts `llm "prompt"` beside `llm logs`. rich and prompt_toolkit are imported only on the paths that need
them, and a command line with nothing to parse (`echo q | ollama-chat`) does not come here at all
(`plain`), so a piped one-shot question starts fast.
"""

from __future__ import annotations

import sys
from typing import Any, List, Optional

import typer

from ollama_chat import __version__, i18n, paths

from ollama_chat.cli import listings
from ollama_chat.cli.groups import LANG, history_cli, models_cli
from ollama_chat.cli.guard import guarded
from ollama_chat.cli.language import run
from ollama_chat.cli.parsing import DefaultGroup, FastCommand, optional_values
from ollama_chat.cli.plain import DEFAULT, ask, language
from ollama_chat.environment import Environment
from ollama_chat.errors import EXIT_OK, UsageError
from ollama_chat.i18n import N_, _
from ollama_chat.options import PRESETS, THINK_LEVELS, THINK_WORDS, OptionError, check_option, parse_assignment
from ollama_chat.chat.personas import known_names
from ollama_chat.chat.settings import Flags

cli = typer.Typer(
    cls=DefaultGroup,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=N_("Chat with a model served by Ollama or an OpenAI-compatible server."),
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
        raise UsageError(_("Bad option: {reason}.").format(reason=e)) from None
    return options


def _presets(incomplete: str) -> list[str]:
    return [name for name in PRESETS if name.startswith(incomplete)]


def _model_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of `--model`: the server's models (at $OLLAMA_HOST), if it answers within a second or
    two."""
    from ollama_chat.backends.base import BackendError
    from ollama_chat.hosts import parse_host
    from ollama_chat.backends.ollama import OllamaBackend
    from ollama_chat.text import one_line

    try:
        env: Environment = ctx.obj
        names = OllamaBackend(parse_host(env.environ.get("OLLAMA_HOST")), timeout=2).list_models()
    except (BackendError, ValueError):
        return []
    # the shell reads one candidate a line: a name with a newline (or a bidi override) is not offered
    return [name for name in names if name.startswith(incomplete) and one_line(name) == name]


def _persona_names(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of `--persona`: built-in and your own persona names."""
    env: Environment = ctx.obj
    return [name for name in known_names(paths.user_persona_dir(env.environ)) if name.startswith(incomplete)]


class _ChatCommand(optional_values(think=(THINK_LEVELS, "on"))):  # type: ignore[misc]
    help_values = {"presets": ", ".join(PRESETS)}


@cli.command(
    DEFAULT,
    cls=_ChatCommand,
    help=N_("Chat with a model served by Ollama or an OpenAI-compatible server. Interactive in a terminal; one-shot"
            " with PROMPT or piped input."),
    epilog=N_("Other commands: `ollama-chat history` lists, shows, searches and removes stored conversations;"
              " `ollama-chat personas` lists personas, `ollama-chat models` the server's models."),
)
def chat_command(
    ctx: typer.Context,
    prompt: Optional[List[str]] = typer.Argument(
        None, metavar="PROMPT", help=N_("Ask this and exit (several words are one question). Piped stdin comes first, then PROMPT.")
    ),
    model: Optional[str] = typer.Option(
        None, "--model", "-m", metavar="NAME", help=N_("Model name (default llama3.2:latest)."), autocompletion=_model_names
    ),
    persona: Optional[str] = typer.Option(
        None, "--persona", "-p", metavar="NAME|PATH", help=N_("Persona NAME, or a PATH to a persona file."), autocompletion=_persona_names
    ),
    host: Optional[str] = typer.Option(None, "--host", metavar="HOST", help=N_("Ollama server (default $OLLAMA_HOST or 127.0.0.1:11434); a URL ending in /v1 is an OpenAI-compatible server.")),
    api: Optional[str] = typer.Option(None, "--api", metavar="ollama|openai", help=N_("The server's API (default: openai for a host ending in /v1, else ollama). The key comes from $OPENAI_API_KEY or the config's api_key_env.")),
    server: Optional[str] = typer.Option(None, "--server", metavar="NAME", help=N_("A server named in the config file ([servers.NAME]: host, api, key variable, model).")),
    system: Optional[str] = typer.Option(None, "--system", metavar="TEXT", help=N_("Replace the persona's system prompt for this run.")),
    temperature: Optional[float] = typer.Option(None, "--temperature", metavar="T", help=N_("0.0-2.0; higher is more random.")),
    top_p: Optional[float] = typer.Option(None, "--top-p", metavar="P", help=N_("0.0-1.0 nucleus sampling.")),
    top_k: Optional[int] = typer.Option(None, "--top-k", metavar="K", help=N_("Consider only the K most likely tokens (>= 1).")),
    num_ctx: Optional[int] = typer.Option(None, "--num-ctx", metavar="TOKENS", help=N_("Context window in tokens.")),
    seed: Optional[int] = typer.Option(None, "--seed", metavar="N", help=N_("Random seed for repeatable answers.")),
    option: List[str] = typer.Option([], "--option", "-o", metavar="KEY=VALUE", help=N_("Any Ollama option as KEY=VALUE (repeatable).")),
    preset: Optional[str] = typer.Option(
        None, "--preset", metavar="NAME", help=N_("Sampling preset: {presets}."), autocompletion=_presets
    ),
    format: Optional[str] = typer.Option(None, "--format", metavar="json|FILE", help=N_("'json', or a JSON Schema file for structured output.")),
    think: Optional[str] = typer.Option(
        None, "--think", metavar=f"[{'|'.join(THINK_LEVELS)}]", help=N_("Ask the model to think first; optionally how hard (--think high).")
    ),
    no_think: bool = typer.Option(False, "--no-think", help=N_("Ask the model not to think.")),
    hide_thinking: bool = typer.Option(False, "--hide-thinking", help=N_("Don't show the model's thinking.")),
    no_stream: bool = typer.Option(False, "--no-stream", help=N_("Wait for the whole reply instead of streaming it.")),
    timeout: Optional[float] = typer.Option(None, "--timeout", metavar="SECONDS", help=N_("Seconds to wait for the server to send something (default 300).")),
    max_messages: Optional[int] = typer.Option(None, "--max-messages", metavar="N", help=N_("History cap in messages (default 20).")),
    no_input_history: bool = typer.Option(False, "--no-input-history", help=N_("Don't read or write the input history file.")),
    continue_last: bool = typer.Option(False, "--continue", "-c", help=N_("Go on with the most recent conversation.")),
    resume: Optional[str] = typer.Option(
        None, "--resume", metavar="ID|FILE", help=N_("Go on with conversation ID (a unique prefix will do; see `ollama-chat history`) or a saved JSON file.")
    ),
    incognito: bool = typer.Option(False, "--incognito", help=N_("Store nothing: no conversation, no input history.")),
    pull: bool = typer.Option(False, "--pull", help=N_("If the model is not on the server, pull it first (asked in the chat).")),
    file: List[str] = typer.Option([], "--file", "-f", metavar="PATH", help=N_("Attach a text file to the question (repeatable; - reads standard input).")),
    image: List[str] = typer.Option([], "--image", metavar="PATH", help=N_("Attach an image for a vision model (repeatable).")),
    interactive: bool = typer.Option(False, "--interactive", "-i", help=N_("After the piped question, keep chatting.")),
    tools: Optional[str] = typer.Option(None, "--tools", metavar="NAMES", help=N_("Let the model use built-in tools: read (read_file, list_directory, search_files in this folder), web (web_search, web_fetch), or single tool names, comma-separated; off for none. Each call is shown and asked first.")),
    mcp: List[str] = typer.Option([], "--mcp", metavar="NAME", help=N_("Let the model use the tools of the MCP server NAME from mcp.json in the config folder (repeatable).")),
    yes_tools: List[str] = typer.Option([], "--yes-tools", metavar="NAME", help=N_("Run the tool NAME without asking (a built-in tool or group, SERVER__TOOL, or SERVER for all its tools; repeatable).")),
    plain: bool = typer.Option(False, "--plain", help=N_("Print the reply exactly as received, without formatting.")),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=N_("Show stats (tokens/s, ...) after each reply.")),
    list_personas: bool = typer.Option(False, "--list-personas", help=N_("The same as `ollama-chat personas`.")),
    list_models: bool = typer.Option(False, "--list-models", help=N_("The same as `ollama-chat models`.")),
    version: bool = typer.Option(False, "--version", help=N_("Show the version and exit.")),
    lang: Optional[str] = LANG,
) -> None:
    """`ollama-chat [PROMPT]`. Long because Typer reads the options from this signature, one parameter each;
    the work is `plain.ask`'s."""
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
            think=False if no_think else THINK_WORDS.get(think) if think is not None else None,
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
            api=api,
            server=server,
            tools=(tools,) if tools is not None else None,
            mcp=tuple(mcp),
            yes_tools=tuple(yes_tools),
        )

    if list_personas:
        raise typer.Exit(guarded(env, lambda: listings.print_personas(env)))
    if list_models:
        raise typer.Exit(guarded(env, lambda: listings.print_models(env, flags())))
    raise typer.Exit(ask(env, prompt or [], flags, interactive=interactive, files=file, images=image))


@cli.command("personas", cls=FastCommand, help=N_("List personas: built-in and your own, and where each comes from."))
def personas_command(ctx: typer.Context, lang: Optional[str] = LANG) -> None:
    env: Environment = ctx.obj
    raise typer.Exit(guarded(env, lambda: listings.print_personas(env)))


cli.add_typer(history_cli, name="history")
cli.add_typer(models_cli, name="models")


def main(argv: list[str] | None = None, env: Environment | None = None) -> None:
    """The Typer path, for a command line that needs parsing (`entry` runs the others in `plain`; this takes
    them too). Tests pass `argv` and an in-memory `env` and run it in-process."""
    env = env or Environment.from_process()
    i18n.use(language(sys.argv[1:] if argv is None else list(argv), env.environ))
    run(cli, argv, "ollama-chat", env)
