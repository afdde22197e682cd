"""The `ollama-chat` executable's entry point: the path the command line needs, imported with the garbage
collector paused.

A command line with nothing to parse (`ollama-chat`, `echo q | ollama-chat some words`) runs without Typer
(`cli.plain`); any other goes to the Typer app (`cli.main`). Importing Typer, requests and our modules creates many
objects and no garbage cycles worth collecting; the collector's passes over them cost about 10 ms of every
start. They are frozen afterwards (`gc.freeze`), so later collections in a long chat do not walk them again.
"""

from __future__ import annotations

import gc
import sys


def main() -> None:
    argv = sys.argv[1:]
    gc.disable()
    try:
        from ollama_chat.cli import plain as cli_plain
        from ollama_chat.environment import Environment

        env = Environment.from_process()  # the process's facts, read here once for either path
        if cli_plain.needs_parsing(argv, env.environ):
            from ollama_chat.cli.main import main as run
        else:
            run = cli_plain.main
    finally:
        gc.freeze()
        gc.enable()
    run(argv, env)
