"""What the MCP client's tests share: a manager over a configuration written as a dict, the test servers as
commands, waiting (with a deadline, not a sleep) for a server's log to say something, and HTTP servers in
subprocesses on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ollama_chat.tools.mcp import McpServers, parse_config

HERE = Path(__file__).resolve().parent
SERVER = str(HERE / "mcp_server.py")
FAKE = str(HERE / "mcp_fake_modern.py")
PY = sys.executable


def sdk(mode: str, *more: str) -> dict:
    return {"command": PY, "args": [SERVER, mode, *more]}


def fake(mode: str = "") -> dict:
    return {"command": PY, "args": [FAKE, *([mode] if mode else [])]}


def home_env(home: Path, **more: str) -> dict[str, str]:
    return {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **more}


def manager(home: Path, servers: dict, env: dict[str, str] | None = None, **timeouts: float) -> McpServers:
    home.mkdir(parents=True, exist_ok=True)
    path = home / ".config" / "ollama-chat" / "mcp.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"mcpServers": servers}))
    return McpServers(parse_config(path.read_text(), path), env or home_env(home), **timeouts)


def log_of(servers: McpServers, name: str) -> Path:
    return next(s.log for s in servers.states() if s.name == name)


def wait_for(path: Path, text: str, timeout: float = 30.0, after: int = 0) -> int:
    """Wait until `text` appears in the file at `path` after byte `after`; where it ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = b""
        at = data.find(text.encode(), after)
        if at >= 0:
            return at + len(text)
        time.sleep(0.02)
    raise AssertionError(f"{text!r} did not appear in {path}:\n{path.read_text(errors='replace')[-3000:]}")


def size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


@contextmanager
def ctrl_c_when(path: Path, text: str, after: int = 0):
    """Send SIGINT to this (the main) thread once `text` appears in `path`: what Ctrl+C in the terminal does."""
    main = threading.main_thread().ident

    def watch() -> None:
        wait_for(path, text, after=after)
        signal.pthread_kill(main, signal.SIGINT)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join(30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def http_server(mode: str, stderr: Path):
    """The SDK's streamable HTTP server in a subprocess (its crash tool must not take the tests down)."""
    port = free_port()
    with open(stderr, "wb") as err:
        proc = subprocess.Popen([PY, SERVER, mode, str(port)], stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the {mode} server did not start:\n{stderr.read_text()}") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def process_alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # gone, or going while we read
        return False
