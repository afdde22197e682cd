"""A long conversation: what one more turn costs at 10, 1,000, 10,000 and 100,000 exchanges, and what `-c` costs
to go on with a stored conversation that long. Before (the package of a baseline commit, `git archive`, first on
PYTHONPATH) and after (this checkout), in the same run.

    python bench/long_chat.py                  # about three minutes, most of it the baseline at 100,000
    python bench/long_chat.py --quick          # 10, 1,000 and 10,000 only
    python bench/long_chat.py --base 8c3f2b7   # another baseline commit

Part 1 drives `ChatSession.ask` in-process against an instant fake Ollama, as the REPL does (the question, then
the status line's `plan()`), on a stored conversation of N exchanges resumed as `-c` does (each turn is stored), and
prints the CPU time of the main thread (`time.thread_time`: the fake server's threads are not counted) of
each turn after the first, median of the turns (the sizes take turns, so a busy machine slows each alike), and the
first turn apart (it reads the log's counts once).
Goal: per-turn CPU at 100, 1,000, 10,000 and 100,000 exchanges within 1.2x of each other.

Part 2 writes a store holding one conversation of N exchanges, then times `python -m ollama_chat -c hi` piped
(the whole process: CPU of user and system, from `os.wait4`), median of 3.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from baseline import package_at

ROOT = Path(__file__).resolve().parent.parent
BASE = "8c3f2b7"  # main before issue 22


def exchanges(count: int) -> list:
    """`count` exchanges of distinct texts (so no estimate is shared between them), ~300 tokens each."""
    from ollama_chat.types import Exchange, Message, Stats

    return [Exchange(Message("user", f"Question {i}: how does the borrow checker treat case {i} of this? " * 3),
                     f"Answer {i}. The borrow checker sees a shared reference and a mutable one at once. " * 12
                     + f"\n\n```rust\nfn case_{i}() {{ let x = {i}; }}\n```\n", "llama3.2:latest",
                     Stats("stop", 260, 2_000_000_000, 300, 100_000_000)) for i in range(count)]


def child_turns(folder: Path, sizes: list[int], turns: int) -> None:
    """Part 1, in the process whose package is being measured: one JSON line per size."""
    import io

    from ollama_chat.chat.recorder import Recorder
    from ollama_chat.chat.resume import from_store
    from ollama_chat.store.sqlite import Store

    sys.path.insert(0, str(ROOT / "tests"))
    from fake_ollama import FakeOllama

    from ollama_chat.backends.ollama import OllamaBackend
    from ollama_chat.chat.personas import load_persona
    from ollama_chat.chat.session import ChatSession
    from ollama_chat.chat.settings import Flags
    try:
        from ollama_chat.chat.layers import build_layers
    except ImportError:  # a baseline before chat/layers.py
        from ollama_chat.chat.settings import build_layers
    from ollama_chat.ui.output import make_output

    class Quiet:
        def say(self, text: str, style: str = "notice") -> None:
            pass

        def error(self, error) -> None:  # noqa: ANN001
            pass

    with FakeOllama() as fake, tempfile.TemporaryDirectory() as home:
        sessions, stores, times = {}, [], {size: [] for size in sizes}
        for size in sizes:
            layers = build_layers(Flags(), {}, {"OLLAMA_HOST": fake.host_port}, load_persona("assistant", Path(home)))
            output = make_output(stdout_is_terminal=False, plain=True, hide_thinking=True, out=io.BytesIO(),
                                 err=io.StringIO())
            store = Store.open(folder / f"{size}.db")
            stores.append(store)
            session = ChatSession(layers, OllamaBackend(fake.url, 10), output, Quiet(), Path(home),
                                  Recorder(store, lambda text, hint: None))
            session.log.resume(from_store(store.load(store.latest())))  # as `-c` does
            sessions[size] = session
        for turn in range(turns + 1):  # interleaved: a busy machine slows every size alike
            for size, session in sessions.items():
                fake.reply(f"Reply {turn}: the borrow checker is fine with it. " * 8)
                start = time.thread_time()
                session.ask(f"And what about turn {turn} of this? " * 4)
                session.plan()  # the status line, after the reply
                times[size].append(time.thread_time() - start)
        for size in sizes:
            print(json.dumps({"size": size, "first": times[size][0], "turn": statistics.median(times[size][1:])}))
        for store in stores:
            store.close()


def write_store(path: Path, size: int) -> None:
    from ollama_chat.store.sqlite import Store

    with Store.open(path) as store:
        cid = store.new_conversation("assistant", "llama3.2:latest", {}, "")
        store.add_exchanges(cid, exchanges(size), when=time.time())
        while store.index_some(10_000):  # a store in use has its search index whole
            pass


def resume_cpu(package: Path, home: Path, host: str) -> float:
    """CPU seconds (user + system) of `python -m ollama_chat -c hi`, piped."""
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local/share"), "XDG_STATE_HOME": str(home / ".local/state"),
           "OLLAMA_HOST": host, "PYTHONPATH": str(package), "NO_COLOR": "1", "LANG": "C.UTF-8"}
    proc = subprocess.Popen([sys.executable, "-m", "ollama_chat", "-c", "hi"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"-c hi failed ({proc.returncode}): {err[-400:]}")
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="up to 10,000 exchanges")
    parser.add_argument("--base", default=BASE, help=f"the baseline commit (default {BASE})")
    parser.add_argument("--turns", type=int, default=15)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--stores", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [10, 100, 1_000, 10_000] + ([] if args.quick else [100_000])
    if args.child:
        child_turns(Path(args.stores), [int(s) for s in args.child.split(",")], args.turns)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        old = package_at(args.base, Path(tmp) / "old")
        if old is None:
            raise SystemExit(f"git cannot give the package of {args.base}: run this in a clone, or pass --base")
        versions = {"before": old, "after": ROOT}
        stores = Path(tmp) / "stores"
        for size in sizes:
            write_store(stores / f"{size}.db", size)
        print(f"part 1: per-turn CPU of ChatSession.ask + plan() (main thread), median of {args.turns} turns")
        print(f"{'exchanges':>10}  {'version':<8} {'first turn':>11} {'per turn':>10}")
        results: dict[str, dict[int, float]] = {}
        for name, package in versions.items():
            env = {**os.environ, "PYTHONPATH": str(package)}
            out = subprocess.run([sys.executable, __file__, "--child", ",".join(map(str, sizes)),
                                  "--turns", str(args.turns),
                                  "--stores", str(stores)], env=env, capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(out.stderr[-2000:])
            for line in out.stdout.splitlines():
                row = json.loads(line)
                results.setdefault(name, {})[row["size"]] = row["turn"]
                print(f"{row['size']:>10,}  {name:<8} {row['first'] * 1000:>9.1f}ms {row['turn'] * 1000:>8.1f}ms")
        after = [results["after"][s] for s in sizes if s >= 100]
        spread = max(after) / min(after)
        verdict = "PASS" if spread <= 1.2 else "FAIL"
        print(f"{verdict}  after: per-turn CPU from {sizes[1]:,} to {sizes[-1]:,} exchanges within {spread:.2f}x"
              f" (goal <= 1.2x); before: {max(results['before'][s] for s in sizes[1:]) / min(results['before'][s] for s in sizes[1:]):.1f}x")

        print("\npart 2: `python -m ollama_chat -c hi` piped, on a store with one conversation of N exchanges;"
              " CPU s (user+sys), median of 3")
        sys.path.insert(0, str(ROOT / "tests"))
        from fake_ollama import FakeOllama

        with FakeOllama() as fake:
            for size in sizes[2:]:
                home = Path(tmp) / f"home{size}"
                (home / ".local/share/ollama-chat").mkdir(parents=True)
                os.link(stores / f"{size}.db", home / ".local/share/ollama-chat/conversations.db")
                for name, package in versions.items():
                    cpu = statistics.median(resume_cpu(package, home, fake.host_port) for _ in range(3))
                    print(f"{size:>10,}  {name:<8} {cpu:>7.2f}s")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
