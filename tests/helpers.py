"""Running the installed `ollama-chat` command the way a user would, with a private home directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "ollama-chat"


def user_env(home: Path, host: str, **extra: str) -> dict[str, str]:
    """A clean environment: our own HOME and XDG folders, the fake server as OLLAMA_HOST."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "XDG_", "NO_COLOR", "TMUX"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        OLLAMA_HOST=host,
        LANG="C.UTF-8",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], stdin: bytes | None = b"", timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN), *args], input=stdin, env=env, capture_output=True, timeout=timeout, check=False
    )


def spawn_in_pty(program: str, args: list[str], env: dict[str, str], *, rows: int = 30, columns: int = 100,
                 timeout: float = 15, encoding: str | None = "utf-8"):
    """`program` in a pseudo-terminal, driven with pexpect. Keys go out at once: pexpect's default pause of 50 ms
    before every `send` is a fixed sleep, and these tests wait for what the screen shows instead."""
    import pexpect

    child = pexpect.spawn(program, args, env=env, dimensions=(rows, columns), encoding=encoding, timeout=timeout)
    child.delaybeforesend = None
    return child
