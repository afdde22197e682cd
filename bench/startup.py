"""Start-up: ollama-chat beside the seed's bare `requests` script, end to end, against an instant fake Ollama.

Times as whole processes, in one run and interleaved (each round runs every command once, so a busy machine
slows them alike), the median wall-clock seconds of N rounds:
* `python -c pass` — the floor: the interpreter alone;
* `echo hi | python bench/seed_chat.py` — the seed: `requests` and `json`, one streamed POST, nothing else;
* `echo hi | ollama-chat` — ours, a piped one-shot question (rich, markdown-it and prompt_toolkit are never
  imported on this path);
* the naive one-shot: the same program with the terminal renderer and the REPL imported eagerly at start, as a
  program with all its imports at the top of its modules would be;
* `ollama-chat` in a pseudo-terminal until its prompt `assistant> ` is shown (then Ctrl+D ends it).

and checks the goals: the one-shot at most 1.35x the seed, the REPL's prompt at most 2.2x the seed.

Run with the package installed: `python bench/startup.py [-n 15]` (pexpect, from the `test` extra, drives the
REPL). The commands run from a neutral folder, so they use the installed package, not the checkout's files.
`--before OTHER/bin/python` adds the one-shot and the REPL of another installation (an older commit installed in
its own venv, with a home of its own: an older schema refuses a newer store) to the same rounds, so a change is
measured before and after against the same seed in one run (`versions.py` compares two versions alone).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fake_ollama import FakeOllama  # noqa: E402

BIN = Path(sys.executable).parent / "ollama-chat"
SEED = Path(__file__).resolve().parent / "seed_chat.py"
EAGER = "import ollama_chat.ui.terminal, ollama_chat.ui.repl; from ollama_chat.cli.main import main; main()"
PROMPT = "assistant> "
GOALS = {"one-shot": 1.35, "REPL prompt": 2.2}  # at most this many times the seed script (issue 19)
# from a neutral folder: in the checkout, `python -c` would import the source tree, not the installed package
CWD = tempfile.gettempdir()


def piped(cmd: list[str], env: dict[str, str], reply: bytes = b"echo: hi") -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        result = subprocess.run(cmd, input=b"hi\n", env=env, capture_output=True, check=False, cwd=CWD)
        elapsed = time.perf_counter() - start
        if result.returncode != 0 or reply not in result.stdout:
            raise SystemExit(f"{cmd} failed ({result.returncode}): {result.stdout.decode()}{result.stderr.decode()}")
        return elapsed

    return run


def repl_prompt(env: dict[str, str], program: Path = BIN) -> Callable[[], float]:
    import pexpect

    def run() -> float:
        start = time.perf_counter()
        child = pexpect.spawn(str(program), [], env=env, cwd=CWD, dimensions=(30, 100), encoding="utf-8", timeout=30)
        child.delaybeforesend = None
        child.expect_exact(PROMPT)
        elapsed = time.perf_counter() - start
        child.sendeof()
        child.expect(pexpect.EOF)
        child.close()
        if child.exitstatus != 0:
            raise SystemExit(f"the REPL exited with {child.exitstatus}: {child.before}")
        return elapsed

    return run


def user_env(home: Path, host_port: str) -> dict[str, str]:
    """The process's environment with a private home and the fake as the server, as a new user would have."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "XDG_", "NO_COLOR", "TMUX"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_STATE_HOME=str(home / ".state"),
               OLLAMA_HOST=host_port, LANG="C.UTF-8", TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=15, help="rounds (the median of each command is reported)")
    parser.add_argument("--before", type=Path, metavar="PYTHON",
                        help="another installation's python: its one-shot and REPL are timed in the same rounds")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="ollama-chat-bench-"))
    try:
        with FakeOllama() as fake:
            env = user_env(home, fake.host_port)
            rows: dict[str, Callable[[], float]] = {
                "python -c pass (the floor)": piped([sys.executable, "-c", "pass"], env, reply=b""),
                "seed script (requests + json)": piped([sys.executable, str(SEED)], env),
                "one-shot: echo hi | ollama-chat": piped([str(BIN)], env),
                "one-shot, heavy modules eager (naive)": piped([sys.executable, "-c", EAGER], env),
                "REPL: ollama-chat until its prompt": repl_prompt(env),
            }
            if args.before is not None:
                other, other_env = args.before.parent / "ollama-chat", user_env(home / "before", fake.host_port)
                rows["before: one-shot"] = piped([str(other)], other_env)
                rows["before: REPL until its prompt"] = repl_prompt(other_env, other)
            for run in rows.values():  # warm-up: byte-code caches, the page cache
                run()
            samples: dict[str, list[float]] = {name: [] for name in rows}
            for _ in range(args.n):
                for name, run in rows.items():
                    samples[name].append(run())
    finally:
        shutil.rmtree(home, ignore_errors=True)

    medians = {name: statistics.median(values) for name, values in samples.items()}
    seed = medians["seed script (requests + json)"]
    print(f"median wall-clock of {args.n} interleaved rounds; replies from an instant fake Ollama; "
          f"Python {sys.version.split()[0]}")
    print(f"{'command':<40} {'median':>8} {'vs seed':>8}")
    for name, seconds in medians.items():
        print(f"{name:<40} {seconds * 1000:5.0f} ms {seconds / seed:7.2f}x")
    print()
    ok = True
    for goal, name in (("one-shot", "one-shot: echo hi | ollama-chat"), ("REPL prompt", "REPL: ollama-chat until its prompt")):
        ratio, limit = round(medians[name] / seed, 2), GOALS[goal]  # judged as printed
        ok &= ratio <= limit
        print(f"{'PASS' if ratio <= limit else 'FAIL'}  {goal}: {ratio:.2f}x the seed script (goal <= {limit}x)")
    naive, ours = medians["one-shot, heavy modules eager (naive)"], medians["one-shot: echo hi | ollama-chat"]
    print(f"lazy imports save {1000 * (naive - ours):.0f} ms on every piped question ({naive / ours:.2f}x)")
    if args.before is not None:
        for goal, name in (("one-shot", "one-shot: echo hi | ollama-chat"), ("REPL prompt", "REPL: ollama-chat until its prompt")):
            before = medians[f"before: {'one-shot' if goal == 'one-shot' else 'REPL until its prompt'}"]
            print(f"{goal}: {before / seed:.2f}x the seed before, {medians[name] / seed:.2f}x now "
                  f"({1000 * (before - medians[name]):+.0f} ms saved)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
