"""The `ollama-chat` executable's entry point: the program's imports with the garbage collector paused.

Importing Typer, requests and our modules creates many objects and no garbage cycles worth collecting; the
collector's passes over them cost about 10 ms of every start. They are frozen afterwards (`gc.freeze`), so
later collections in a long chat do not walk them again either.
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    try:
        from ollama_chat.cli import main as cli_main
    finally:
        gc.freeze()
        gc.enable()
    cli_main()
