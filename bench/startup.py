"""Start-up: how long a piped one-shot question takes end to end, against an instant fake Ollama.

Compares, in the same run (median of N runs each, wall-clock seconds):
* `python -c pass` — the floor: the interpreter alone;
* `echo hi | ollama-chat` — ours: rich, markdown-it and prompt_toolkit are never imported on this path;
* the naive baseline: the same program with the terminal renderer and the REPL imported eagerly at start,
  as a program with all its imports at the top of its modules would be.

Run from the repository root with the package installed: `python bench/startup.py [-n 15]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fake_ollama import FakeOllama  # noqa: E402

BIN = Path(sys.executable).parent / "ollama-chat"
EAGER = "import ollama_chat.ui.terminal, ollama_chat.ui.repl; from ollama_chat.cli import main; main()"


def timed(cmd: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        # from a neutral folder: in the checkout, `python -c` would import the source tree, not the package
        result = subprocess.run(cmd, input=b"hi\n", env=env, capture_output=True, check=False, cwd=tempfile.gettempdir())
        samples.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"{cmd} failed: {result.stderr.decode()}")
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=15, help="runs per command (median is reported)")
    args = parser.parse_args()
    with FakeOllama() as fake:
        env = {**os.environ, "OLLAMA_HOST": fake.host_port, "HOME": "/tmp/ollama-chat-bench-home"}
        rows = [
            ("python -c pass (the floor)", timed([sys.executable, "-c", "pass"], env, args.n)),
            ("echo hi | ollama-chat (ours)", timed([str(BIN)], env, args.n)),
            ("same, heavy modules imported eagerly (naive)", timed([sys.executable, "-c", EAGER], env, args.n)),
        ]
    print(f"median wall-clock seconds of {args.n} runs; reply from an instant fake Ollama")
    for name, seconds in rows:
        print(f"{name:<48} {seconds * 1000:7.0f} ms")
    ours, naive = rows[1][1], rows[2][1]
    print(f"ours saves {1000 * (naive - ours):.0f} ms ({naive / ours:.2f}x faster than the naive start-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
