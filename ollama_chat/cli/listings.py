"""`ollama-chat personas` and `ollama-chat models [pull NAME]`: what there is to choose from, listed (the
models' table itself is drawn in `models`)."""

from __future__ import annotations

from ollama_chat import paths
from ollama_chat.chat.personas import BUILTIN, list_personas, shown_source
from ollama_chat.chat.pull import pull as run_pull
from ollama_chat.chat.settings import Flags
from ollama_chat.cli import models
from ollama_chat.cli.servers import backend_for
from ollama_chat.environment import Environment
from ollama_chat.errors import EXIT_OK, signals_as_interrupts
from ollama_chat.i18n import _
from ollama_chat.text import cell_width, one_line, pad, wrap


def print_personas(env: Environment) -> int:
    """Name, description and where it comes from: aligned and wrapped on a terminal, tab-separated in a pipe."""
    user_dir = paths.user_persona_dir(env.environ)
    infos = list_personas(user_dir)
    out = env.stdout
    width = max(cell_width(i.name) for i in infos)
    for info in infos:
        where = shown_source(info.source)
        if info.source != BUILTIN and info.overrides_builtin:
            where += " " + _("(overrides the built-in)")
        description, where = one_line(info.description), one_line(where)
        if env.stdout_isatty:
            lines = wrap(f"{pad(info.name, width)}  {description}  [{where}]", env.columns, indent=" " * (width + 2))
            out.write("\n".join(lines) + "\n")
        else:
            out.write(f"{info.name}\t{description}\t{where}\n")
    out.flush()
    env.say(_("Add your own as"), f"{user_dir}/NAME.md")
    return EXIT_OK


def print_models(env: Environment, flags: Flags) -> int:
    return models.print_models(env, backend_for(env, flags))


def pull_model(env: Environment, flags: Flags, name: str) -> int:
    signals_as_interrupts()
    return run_pull(backend_for(env, flags), name, models.view_for(env), lambda text: env.say("", text))
