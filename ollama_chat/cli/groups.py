"""The command groups beside the chat: `ollama-chat history …` over stored conversations (their actions are in
`history`) and `ollama-chat models [pull NAME]` (in `listings` and `models`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import List, Optional

import typer

from ollama_chat.cli import history, listings
from ollama_chat.cli.guard import guarded
from ollama_chat.cli.parsing import FastCommand, FastGroup
from ollama_chat.i18n import LANGUAGES, N_, _
from ollama_chat.chat.settings import Flags


def group(help: str) -> typer.Typer:  # noqa: A002 - Typer's own word
    """A command group that lists when given no subcommand, and parses without pydantic."""
    return typer.Typer(cls=FastGroup, help=help, invoke_without_command=True, rich_markup_mode=None,
                       context_settings={"help_option_names": ["-h", "--help"]})


def _check_language(value: Optional[str]) -> Optional[str]:
    """`--lang` was read before parsing (`cli.main`); here a wrong value gets the parser's usage error."""
    if value is not None and value not in LANGUAGES:
        raise typer.BadParameter(_("'{value}' is not ko or en.").format(value=value))
    return value


LANG = typer.Option(None, "--lang", metavar="ko|en", callback=_check_language,
                    help=N_("Interface language: ko or en (default: `language` in the config file, else LANG)."))

history_cli = group(N_("Stored conversations: list, show, export, search, rm. Alone, it lists them."))

_LIMIT = typer.Option(20, "--limit", "-n", metavar="N", help=N_("At most N (0: all)."))
_ID = typer.Argument(None, metavar="[ID]", help=N_("A conversation ID, or a unique start of one (default: the most recent)."))


def _run(ctx: typer.Context, body: Callable[[], int]) -> None:
    raise typer.Exit(guarded(ctx.obj, body))


@history_cli.callback()
def history_group(ctx: typer.Context, lang: Optional[str] = LANG) -> None:
    if ctx.invoked_subcommand is None:
        _run(ctx, lambda: history.list_conversations(ctx.obj, 20))


@history_cli.command("list", cls=FastCommand, help=N_(
    "List conversations, newest first.\n\n"
    "One line each: ID, time, persona, model, exchanges, title (tab-separated in a pipe)."))
def list_command(ctx: typer.Context, limit: int = _LIMIT, lang: Optional[str] = LANG) -> None:
    _run(ctx, lambda: history.list_conversations(ctx.obj, limit))


@history_cli.command("show", cls=FastCommand, help=N_(
    "Show a conversation.\n\n"
    "As the chat showed it: Markdown in a terminal, the Markdown transcript in a pipe."))
def show_command(ctx: typer.Context, conversation: Optional[str] = _ID, lang: Optional[str] = LANG) -> None:
    _run(ctx, lambda: history.show(ctx.obj, conversation))


@history_cli.command("export", cls=FastCommand, help=N_(
    "Export a conversation as Markdown or JSON.\n\n"
    "On stdout: redirect it to a file. The JSON is what /load and --resume read."))
def export_command(
    ctx: typer.Context,
    conversation: Optional[str] = _ID,
    form: str = typer.Option("md", "--format", "-f", metavar="md|json", help=N_("Markdown, or JSON that /load and --resume read.")),
    lang: Optional[str] = LANG,
) -> None:
    _run(ctx, lambda: history.export(ctx.obj, conversation, form))


@history_cli.command("search", cls=FastCommand, help=N_(
    "Find conversations holding TEXT.\n\n"
    "Newest first, each with the matching line. Korean is found inside words and sentences."))
def search_command(
    ctx: typer.Context,
    text: List[str] = typer.Argument(..., metavar="TEXT", help=N_("Words to find (inside words too; Korean works).")),
    limit: int = _LIMIT,
    lang: Optional[str] = LANG,
) -> None:
    _run(ctx, lambda: history.search(ctx.obj, " ".join(text), limit))


@history_cli.command("rm", cls=FastCommand, help=N_(
    "Remove conversations for good.\n\n"
    "Asks first in a terminal; --yes skips that (and is needed in a script)."))
def rm_command(
    ctx: typer.Context,
    conversations: Optional[List[str]] = typer.Argument(None, metavar="[ID]...", help=N_("Conversations to remove.")),
    older_than: Optional[str] = typer.Option(
        None, "--older-than", metavar="AGE", help=N_("Those last used more than AGE ago: 90d, 12h, 4w, 6mo, 1y.")
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help=N_("Don't ask first.")),
    lang: Optional[str] = LANG,
) -> None:
    _run(ctx, lambda: history.remove(ctx.obj, conversations or [], older_than, yes))



models_cli = group(N_("The server's models: name, size, parameters, quantisation, context window, capabilities."
                      " `pull NAME` downloads one."))
_HOST = typer.Option(None, "--host", metavar="HOST", help=N_("Ollama server (default $OLLAMA_HOST or 127.0.0.1:11434)."))
_API = typer.Option(None, "--api", metavar="ollama|openai", help=N_("The server's API (default: openai for a host ending in /v1)."))
_SERVER = typer.Option(None, "--server", metavar="NAME", help=N_("A server named in the config file ([servers.NAME])."))


@models_cli.callback()
def models_group(ctx: typer.Context, host: Optional[str] = _HOST, api: Optional[str] = _API,
                 server: Optional[str] = _SERVER, lang: Optional[str] = LANG) -> None:
    ctx.meta["server"] = Flags(host=host, api=api, server=server)
    if ctx.invoked_subcommand is None:
        _run(ctx, lambda: listings.print_models(ctx.obj, ctx.meta["server"]))


@models_cli.command("pull", cls=FastCommand, help=N_("Download a model, with its progress."))
def pull_command(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME", help=N_("A model, e.g. llama3.2 or qwen3:8b.")),
                 host: Optional[str] = _HOST, api: Optional[str] = _API, server: Optional[str] = _SERVER,
                 lang: Optional[str] = LANG) -> None:
    above = ctx.meta.get("server") or Flags()
    flags = Flags(host=host or above.host, api=api or above.api, server=server or above.server)
    _run(ctx, lambda: listings.pull_model(ctx.obj, flags, name))
