"""Huge standard input: how long `ollama-chat` takes to refuse 200 MB piped in, as the question and as `-f -`,
before (the baseline commit's code) and after (this checkout), in the same run.

    python bench/stdin.py [--mb 200] [--limit 60] [--baseline d214c68]

Each run starts the program (`python -m ollama_chat` with the version's package first on PYTHONPATH) against an
instant fake Ollama whose model says it can take 131,072 tokens (as llama3.2 does), writes the text into its
standard input through a pipe from a thread, and times until the program exits; a run still going after
`--limit` seconds is stopped and shown as such. Goal: after, each refused within 2 s. Then the estimate itself
(`estimate.base_tokens`) over 10 MB of Korean and English, the baseline's per-character loop against this one.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from budget import BASELINE, baseline  # noqa: E402
from fake_ollama import FakeOllama  # noqa: E402

GOAL = 2.0
PIECE = ("요약해 주세요. The quick brown fox jumps over the lazy dog; the index makes lookups faster.\n" * 2000).encode()


def timed(code: Path, args: list[str], host: str, megabytes: int, limit: float) -> tuple[float | None, int | None, str]:
    """(seconds until it exited or None if stopped at `limit`, exit code, its first line on stderr)."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PYTHONPATH": str(code), "HOME": home, "OLLAMA_HOST": host, "NO_COLOR": "1",
               "XDG_CONFIG_HOME": f"{home}/c", "XDG_STATE_HOME": f"{home}/s", "XDG_DATA_HOME": f"{home}/d"}
        start = time.monotonic()
        process = subprocess.Popen([sys.executable, "-m", "ollama_chat", *args], stdin=subprocess.PIPE,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=home)

        def feed() -> None:
            try:
                for _ in range(megabytes * 1024 * 1024 // len(PIECE) + 1):
                    process.stdin.write(PIECE)  # type: ignore[union-attr]
                process.stdin.close()  # type: ignore[union-attr]
            except (BrokenPipeError, OSError, ValueError):
                pass  # the program stopped reading: what a refusal should do

        threading.Thread(target=feed, daemon=True).start()
        try:
            process.wait(timeout=limit)
            seconds: float | None = time.monotonic() - start
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            seconds = None
        err = process.stderr.read().decode(errors="replace") if process.stderr else ""
        return seconds, process.returncode if seconds is not None else None, (err.strip().splitlines() or [""])[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds before a run is stopped")
    parser.add_argument("--baseline", default=BASELINE)
    args = parser.parse_args()
    ok = True
    with FakeOllama() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.add_model("llama3.2", context_length=131072)
        old = baseline(args.baseline, Path(tmp))
        versions = {**({"before": old} if old else {}), "after": ROOT}
        print(f"{args.mb} MB into standard input; the model can take 131,072 tokens; a run is stopped after"
              f" {args.limit:g} s")
        print(f"{'':7}{'as':22}{'seconds':>9}  {'exit':>4}  first line on stderr")
        for version, code in versions.items():
            for name, flags in (("the piped question", []), ("-f - and a question", ["-f", "-", "요약해 주세요"])):
                seconds, exit_code, line = timed(code, flags, fake.host_port, args.mb, args.limit)
                shown = f"{seconds:9.2f}" if seconds is not None else f"{'> ' + format(args.limit, 'g'):>9}"
                print(f"{version:7}{name:22}{shown}  {exit_code if exit_code is not None else '-':>4}  {line[:90]}")
                if version == "after":
                    ok &= seconds is not None and seconds <= GOAL and exit_code == 2
        estimate_speed(old)
    print(f"{'PASS' if ok else 'FAIL'}: after, each refused (exit 2) within {GOAL:g} s")
    return 0 if ok else 1


def estimate_speed(old: Path | None) -> None:
    """base_tokens over 10 MB, before and after (the same number: the test suite proves them equal)."""
    from ollama_chat.estimate import base_tokens

    text = (PIECE.decode() * (10 * 1024 * 1024 // len(PIECE) + 1))[: 10 * 1024 * 1024]
    versions = {"after": base_tokens}
    if old is not None:
        spec = importlib.util.spec_from_file_location("old_budget", old / "ollama_chat" / "budget.py")  # as it was then
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["old_budget"] = module  # its dataclasses look themselves up there
        spec.loader.exec_module(module)
        versions = {"before": module.base_tokens, **versions}
    print(f"\nbase_tokens over {len(text) / 1e6:.1f} million characters of Korean and English:")
    for version, estimate in versions.items():
        start = time.perf_counter()
        tokens = estimate(text)
        seconds = time.perf_counter() - start
        print(f"{version:7}{seconds:8.3f} s  {len(text) / seconds / 1e6:6.1f} million characters/s  ({tokens:,.0f} tokens)")


if __name__ == "__main__":
    sys.exit(main())
