"""The `ollama-chat` executable's entry point: the path the command line needs, imported with the garbage
collector paused (`startup`).

A command line with nothing to parse (`ollama-chat`, `echo q | ollama-chat some words`) runs without Typer
(`cli.plain`); any other goes to the Typer app (`cli.main`).
"""

from __future__ import annotations

import sys

from ollama_chat.startup import collector_paused


def main() -> None:
    argv = sys.argv[1:]
    with collector_paused():
        from ollama_chat.cli import plain as cli_plain
        from ollama_chat.environment import Environment

        env = Environment.from_process()  # the process's facts, read here once for either path
        if cli_plain.needs_parsing(argv, env.environ):
            from ollama_chat.cli.main import main as run
        else:
            run = cli_plain.main
    run(argv, env)
