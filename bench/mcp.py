"""MCP: what our client costs per tool round trip, and that configuring servers costs nothing at start-up.

1. Round trips against a stdio server, in one run: `McpServers.call()` (ours: the manager, the session, the
   transport with its reader thread, the result turned into a ToolResult) beside a bare loop that writes the
   same JSON-RPC line and reads the answer with no checks at all (the floor), against the same server program:
   the small exact fake in tests/ (it starts in milliseconds and answers at once, so the client's share shows)
   and the official SDK's server (what a user's server costs). CPU is this process's (`time.process_time`,
   the reader thread included); wall is per round trip.
2. Start-up of a piped question (`echo hi | ollama-chat`, against an instant fake Ollama) with an mcp.json of
   two servers present and absent, interleaved rounds, medians: nothing is read or started before tools are
   wanted, so the two must match (within noise); and, in a fresh interpreter, what importing the MCP package and
   reading an mcp.json costs, should the chat make its manager at start.

    python bench/mcp.py [-n 2000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from fake_ollama import FakeOllama  # noqa: E402
from startup import BIN, piped, user_env  # noqa: E402

from ollama_chat.tools.mcp import McpServers, parse_config  # noqa: E402

FAKE = [sys.executable, str(ROOT / "tests" / "mcp_fake_modern.py")]
SDK = [sys.executable, str(ROOT / "tests" / "mcp_server.py"), "stdio"]
META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}


def ours(argv: list[str], n: int, home: Path) -> tuple[float, float]:
    config = parse_config(json.dumps({"mcpServers": {"s": {"command": argv[0], "args": argv[1:]}}}), home / "mcp.json")
    with McpServers(config, {"HOME": str(home), "PATH": "/usr/bin:/bin"}) as servers:
        servers.tools()
        for _ in range(20):
            servers.call("s__echo", {"text": "warm"})
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(n):
            result = servers.call("s__echo", {"text": f"hello {i}"})
            assert result.text == f"hello {i}", result
        return (time.process_time() - cpu) / n, (time.perf_counter() - wall) / n


def bare(argv: list[str], n: int) -> tuple[float, float]:
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def ask(id_: int, method: str, params: dict) -> dict:
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": id_, "method": method, "params": params}).encode() + b"\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    ask(0, "server/discover", {"_meta": META})
    for i in range(20):
        ask(i + 1, "tools/call", {"_meta": META, "name": "echo", "arguments": {"text": "warm"}})
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        answer = ask(100 + i, "tools/call", {"_meta": META, "name": "echo", "arguments": {"text": f"hello {i}"}})
        assert answer["result"]["content"][0]["text"] == f"hello {i}"
    result = (time.process_time() - cpu) / n, (time.perf_counter() - wall) / n
    proc.stdin.close()
    proc.wait()
    return result


def startup(rounds: int) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="ollama-chat-bench-"))
    try:
        with FakeOllama() as fake:
            env = user_env(home, fake.host_port)
            config = home / ".config" / "ollama-chat"
            config.mkdir(parents=True)
            mcp_json = config / "mcp.json"
            servers = {"files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."]},
                       "web": {"url": "https://example.com/mcp"}}
            run = piped([str(BIN)], env)
            samples: dict[str, list[float]] = {"without mcp.json": [], "with mcp.json (2 servers)": []}
            run()
            for i in range(rounds):
                for present in ((False, True) if i % 2 else (True, False)):  # each goes first in half the rounds
                    if present:
                        mcp_json.write_text(json.dumps({"mcpServers": servers}))
                        samples["with mcp.json (2 servers)"].append(run())
                    else:
                        mcp_json.unlink(missing_ok=True)
                        samples["without mcp.json"].append(run())
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return {name: statistics.median(values) for name, values in samples.items()}


def load_cost(rounds: int) -> float:
    """What the chat would add at start if it made the manager eagerly: importing the package and reading an
    mcp.json of two servers (nothing starts), in a fresh interpreter each round that has imported what a piped
    question imports."""
    home = Path(tempfile.mkdtemp(prefix="ollama-chat-bench-"))
    try:
        (home / ".config" / "ollama-chat").mkdir(parents=True)
        (home / ".config" / "ollama-chat" / "mcp.json").write_text(json.dumps({"mcpServers": {
            "files": {"command": "npx", "args": ["-y", "x"]}, "web": {"url": "https://example.com/mcp"}}}))
        code = ("import time, ollama_chat.cli.main, ollama_chat.cli.app, ollama_chat.ui.oneshot; "  # what a chat has imported
                "t = time.perf_counter(); from ollama_chat.tools.mcp import McpServers; "
                f"s = McpServers.load({{'HOME': {str(home)!r}}}); assert s.names() == ['files', 'web']; "
                "print(time.perf_counter() - t)")
        return statistics.median(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                      check=True, cwd=tempfile.gettempdir()).stdout)
                                 for _ in range(rounds))
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="round trips per row")
    parser.add_argument("--rounds", type=int, default=15, help="start-up rounds")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="ollama-chat-mcp-bench-"))
    try:
        rows = {
            "bare loop, exact fake server (the floor)": bare(FAKE, args.n),
            "ours, exact fake server": ours(FAKE, args.n, home),
            "bare loop, SDK server": bare(SDK, max(1, args.n // 4)),
            "ours, SDK server": ours(SDK, max(1, args.n // 4), home),
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"tool round trips over stdio (tools/call echo); Python {sys.version.split()[0]}")
    print(f"{'client':<44} {'CPU/call':>10} {'wall/call':>10}")
    for name, (cpu, wall) in rows.items():
        print(f"{name:<44} {cpu * 1e6:7.0f} us {wall * 1e6:7.0f} us")
    floor, cost = rows["bare loop, exact fake server (the floor)"][0], rows["ours, exact fake server"][0]
    print(f"our client adds {(cost - floor) * 1e6:.0f} us of CPU per round trip over the bare loop")
    print()
    medians = startup(args.rounds)
    print(f"start-up of `echo hi | {BIN.name}`, median of {args.rounds} interleaved rounds")
    for name, seconds in medians.items():
        print(f"{name:<44} {seconds * 1000:7.0f} ms")
    without, with_ = medians["without mcp.json"], medians["with mcp.json (2 servers)"]
    print(f"difference: {1000 * (with_ - without):+.0f} ms ({with_ / without:.2f}x)")
    print(f"importing the MCP package and reading mcp.json, had the chat done it eagerly: "
          f"{1000 * load_cost(args.rounds):.1f} ms (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
