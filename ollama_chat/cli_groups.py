"""The command groups beside the chat: `ollama-chat history …` over stored conversations (their actions are in
`history`) and `ollama-chat models [pull NAME]` (in `app` and `models`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import List, Optional

import typer

from ollama_chat import app, history
from ollama_chat.app import guarded
from ollama_chat.cli_parsing import FastCommand, FastGroup
from ollama_chat.settings import Flags

def group(help: str) -> typer.Typer:  # noqa: A002 - Typer's own word
    """A command group that lists when given no subcommand, and parses without pydantic."""
    return typer.Typer(cls=FastGroup, help=help, invoke_without_command=True, rich_markup_mode=None,
                       context_settings={"help_option_names": ["-h", "--help"]})


history_cli = group("Stored conversations: list, show, export, search, rm. Alone, it lists them.")

_LIMIT = typer.Option(20, "--limit", "-n", metavar="N", help="At most N (0: all).")
_ID = typer.Argument(None, metavar="[ID]", help="A conversation ID, or a unique start of one (default: the most recent).")


def _run(ctx: typer.Context, body: Callable[[], int]) -> None:
    raise typer.Exit(guarded(ctx.obj, body))


@history_cli.callback()
def history_group(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        _run(ctx, lambda: history.list_conversations(ctx.obj, 20))


@history_cli.command("list", cls=FastCommand)
def list_command(ctx: typer.Context, limit: int = _LIMIT) -> None:
    """List conversations, newest first.

    One line each: ID, time, persona, model, exchanges, title (tab-separated in a pipe)."""
    _run(ctx, lambda: history.list_conversations(ctx.obj, limit))


@history_cli.command("show", cls=FastCommand)
def show_command(ctx: typer.Context, conversation: Optional[str] = _ID) -> None:
    """Show a conversation.

    As the chat showed it: Markdown in a terminal, the Markdown transcript in a pipe."""
    _run(ctx, lambda: history.show(ctx.obj, conversation))


@history_cli.command("export", cls=FastCommand)
def export_command(
    ctx: typer.Context,
    conversation: Optional[str] = _ID,
    form: str = typer.Option("md", "--format", "-f", metavar="md|json", help="Markdown, or JSON that /load and --resume read."),
) -> None:
    """Export a conversation as Markdown or JSON.

    On stdout: redirect it to a file. The JSON is what /load and --resume read."""
    _run(ctx, lambda: history.export(ctx.obj, conversation, form))


@history_cli.command("search", cls=FastCommand)
def search_command(
    ctx: typer.Context,
    text: List[str] = typer.Argument(..., metavar="TEXT", help="Words to find (inside words too; Korean works)."),
    limit: int = _LIMIT,
) -> None:
    """Find conversations holding TEXT.

    Newest first, each with the matching line. Korean is found inside words and sentences."""
    _run(ctx, lambda: history.search(ctx.obj, " ".join(text), limit))


@history_cli.command("rm", cls=FastCommand)
def rm_command(
    ctx: typer.Context,
    conversations: Optional[List[str]] = typer.Argument(None, metavar="[ID]...", help="Conversations to remove."),
    older_than: Optional[str] = typer.Option(None, "--older-than", metavar="AGE", help="Those last used more than AGE ago: 90d, 12h, 4w, 6mo, 1y."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Don't ask first."),
) -> None:
    """Remove conversations for good.

    Asks first in a terminal; --yes skips that (and is needed in a script)."""
    _run(ctx, lambda: history.remove(ctx.obj, conversations or [], older_than, yes))



models_cli = group("The server's models: name, size, parameters, quantisation, context window, capabilities."
                   " `pull NAME` downloads one.")
_HOST = typer.Option(None, "--host", metavar="HOST", help="Ollama server (default $OLLAMA_HOST or 127.0.0.1:11434).")


@models_cli.callback()
def models_group(ctx: typer.Context, host: Optional[str] = _HOST) -> None:
    ctx.meta["host"] = host
    if ctx.invoked_subcommand is None:
        _run(ctx, lambda: app.print_models(ctx.obj, Flags(host=host)))


@models_cli.command("pull", cls=FastCommand)
def pull_command(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME", help="A model, e.g. llama3.2 or qwen3:8b."),
                 host: Optional[str] = _HOST) -> None:
    """Download a model, with its progress."""
    _run(ctx, lambda: app.pull_model(ctx.obj, Flags(host=host or ctx.meta.get("host")), name))
