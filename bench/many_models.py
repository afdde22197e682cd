"""`ollama-chat models` against a server with 100,000 models: time to the first row and to the last.

A fast fake Ollama (asyncio, HTTP/1.1 keep-alive, every answer prepared in advance, in a process of its own so
that the client is what is measured) lists N models on /api/tags and answers /api/show for each. Then:

- before: the old algorithm, in this process: one /api/show after another, every row printed at the end.
  Timed on the first `--sample` models and extrapolated (at 100,000 it takes many minutes). With `--old DIR`
  (a checkout of an earlier version: the folder that holds its `ollama_chat/`), that version's own
  `ollama-chat models` too, run to the end or for `--old-limit` seconds.
- keep-alive: the same sample asked from as many threads as `ollama-chat models` uses, sharing the backend's
  session (its pool keeps a connection per thread alive), then with a session each, then with a new
  connection for every request (`Connection: close`).
- after: the installed `ollama-chat models`, piped and in a pseudo-terminal, to the end.

    python bench/many_models.py [--models 100000] [--sample 3000] [--show-ms 0] [--old DIR [--old-limit 600]]

Goals (issue 18, item 13): the first row within 2 s, all of them within a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "ollama-chat"
DETAILS = {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"], "parameter_size": "3.2B",
           "quantization_level": "Q4_K_M"}


def names(n: int) -> list[str]:
    return [f"model{i:06d}:latest" for i in range(n)]


# -- the fake -------------------------------------------------------------------------------------------------


def _answer(body: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body)


def serve(port: int, n: int, show_ms: float = 0.0) -> None:
    tags = _answer(json.dumps({"models": [
        {"name": m, "model": m, "modified_at": "2026-11-24T23:00:00.000000Z", "size": 2019393189, "digest": "0" * 64,
         "details": DETAILS} for m in names(n)]}, separators=(",", ":")).encode())
    show = _answer(json.dumps({
        "modelfile": "", "parameters": "", "template": "{{ .Prompt }}", "details": DETAILS,
        "model_info": {"general.architecture": "llama", "llama.context_length": 131072},
        "capabilities": ["completion", "tools"], "modified_at": "2026-11-24T23:00:00.000000Z"},
        separators=(",", ":")).encode())

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line[15:]) for line in head.split(b"\r\n") if line[:15].lower() == b"content-length:"), 0)
                if length:
                    await reader.readexactly(length)
                listing = head.startswith(b"GET /api/tags")
                if show_ms and not listing:  # a real server reads the model's files to answer
                    await asyncio.sleep(show_ms / 1000)
                answer = tags if listing else show
                if b"\r\nconnection: close" in head.lower():  # as HTTP/1.1 says: answer, then close
                    writer.write(answer.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
                    await writer.drain()
                    break
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=256)
        print("ready", flush=True)
        await server.serve_forever()

    asyncio.run(main())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the client, three ways -----------------------------------------------------------------------------------


def before(host: str, sample: int, total: int) -> tuple[float, float]:
    """The old `models.describe`: each /api/show in turn, then every row. (seconds for the sample, extrapolated)"""
    from ollama_chat.backends.ollama import OllamaBackend

    backend = OllamaBackend(host)
    started = time.perf_counter()
    listing = backend.models()
    listed = time.perf_counter() - started
    for m in listing[:sample]:
        backend.model_info(m.name, timeout=5.0)
    asked = time.perf_counter() - started - listed
    return listed + asked, listed + asked * total / sample


def threaded(host: str, sample: int, how: str) -> float:
    """Requests per second for the sample from WORKERS threads: "shared" one session (its pool), "each" a
    session per thread, "close" one session that opens a new connection for every request."""
    from ollama_chat.cli.asker import WORKERS
    from ollama_chat.backends.ollama import OllamaBackend

    todo = iter(names(sample))
    lock = threading.Lock()
    common = OllamaBackend(host)
    if how == "close":
        common.http.session.headers["Connection"] = "close"

    def work() -> None:
        backend = OllamaBackend(host) if how == "each" else common
        while True:
            with lock:
                name = next(todo, None)
            if name is None:
                return
            backend.model_info(name, timeout=5.0)

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sample / (time.perf_counter() - started)


def piped(command: list[str], env: dict[str, str], limit: float | None = None) -> tuple[float, float, int, str]:
    """(seconds to the first row, to the last, rows, its last error line); with `limit`, stopped then (the rows
    counted so far)."""
    started = time.perf_counter()
    # from HOME: `python -m` puts the working folder first on the path, before PYTHONPATH
    proc = subprocess.Popen(command, env=env, cwd=env["HOME"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    if limit:
        threading.Timer(limit, proc.kill).start()
    first = proc.stdout.readline()
    to_first = time.perf_counter() - started
    rows = (1 if first else 0) + sum(1 for _ in proc.stdout)
    error = proc.stderr.read().decode(errors="replace").strip().splitlines()  # type: ignore[union-attr]
    proc.wait()
    return to_first if first else float("inf"), time.perf_counter() - started, rows, error[0] if error else ""


def after_terminal(env: dict[str, str]) -> tuple[float, float]:
    import pexpect

    started = time.perf_counter()
    child = pexpect.spawn(str(BIN), ["models"], env=env, dimensions=(40, 120), timeout=600)
    child.expect(r"model000000:latest")
    to_first = time.perf_counter() - started
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    return to_first, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=3_000)
    parser.add_argument("--show-ms", type=float, default=0.0, metavar="MS",
                        help="milliseconds the fake takes to answer each /api/show (a real server reads files)")
    parser.add_argument("--old", type=Path, metavar="DIR", help="an earlier version's checkout, run as it was")
    parser.add_argument("--old-limit", type=float, default=600.0, metavar="S")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.models, args.show_ms)
        return
    port = free_port()
    fake = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--models", str(args.models),
                             "--show-ms", str(args.show_ms)], stdout=subprocess.PIPE)
    try:
        assert fake.stdout is not None and fake.stdout.readline().strip() == b"ready"
        host = f"http://127.0.0.1:{port}"
        load = os.getloadavg()[0]
        print(f"{args.models:,} models; fake Ollama on {host} (asyncio, keep-alive, {args.show_ms:g} ms a /api/show); "
              f"load average {load:.1f} on {os.cpu_count()} CPUs")
        sampled, whole = before(host, args.sample, args.models)
        print(f"before  one /api/show after another, rows at the end: {args.sample:,} in {sampled:.1f} s "
              f"-> {args.models:,}: first row and last row at ~{whole:,.0f} s (extrapolated)")
        from ollama_chat.cli.asker import WORKERS

        for how, words in (("shared", "one session shared (a keep-alive pool)"), ("each", "a session per thread"),
                           ("close", "a new connection per request")):
            rate = threaded(host, args.sample, how)
            print(f"        {WORKERS} threads, {words}: {rate:,.0f} /api/show a second")
        with tempfile.TemporaryDirectory() as home:
            env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "OLLAMA_HOST": host, "LANG": "C.UTF-8",
                   "TERM": "xterm-256color"}
            if args.old:
                first, total, rows, error = piped([sys.executable, "-m", "ollama_chat", "models"],
                                                  {**env, "PYTHONPATH": str(args.old.resolve())}, args.old_limit)
                end = f"all {rows:,} rows {total:6.1f} s" if rows == args.models else \
                    f"ended after {total:.1f} s with {rows:,} rows {error[:100]}"
                print(f"before  {args.old} piped: first row {first:5.2f} s, {end}")
            first, total, rows, _error = piped([str(BIN), "models"], env)
            assert rows == args.models
            print(f"after   piped:    first row {first:5.2f} s, all {rows:,} rows {total:6.1f} s")
            first, total = after_terminal(env)
            print(f"after   terminal: first row {first:5.2f} s, all rows {total:6.1f} s")
        print(f"goals   first row within 2 s, all within 60 s (load average now {os.getloadavg()[0]:.1f})")
    finally:
        fake.kill()


if __name__ == "__main__":
    main()
