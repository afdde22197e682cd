"""What opening the store costs every start: a 15 MB store (about 430 conversations of 20 exchanges) opened as a
one-shot question or the REPL opens it, before (the package of a baseline commit, `bench/baseline.py`) and after
(this checkout), in the same run.

    python bench/store_open.py                 # about half a minute
    python bench/store_open.py --base e4a8960 -n 21

Two measures, each version in its own process with its package first on PYTHONPATH, the rounds interleaved:
* `Store.open` + `list()` + close, in-process, median of 40 opens (the first open of a day pays the check; the
  marker of that check is written then, so the median is what the day's other starts pay);
* a whole piped question, `echo hi | python -m ollama_chat` against an instant fake Ollama, wall-clock median of
  `-n` rounds.
Before, every open of a store under 16 MiB ran `PRAGMA quick_check`, which reads the whole file.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from baseline import package_at

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from fake_ollama import FakeOllama  # noqa: E402

BASE = "e4a8960"  # main before the check once a day
OPENS = r'''
import statistics, sys, time
from pathlib import Path
from ollama_chat.store.sqlite import Store
times = []
for _ in range(40):
    t = time.perf_counter()
    with Store.open(Path(sys.argv[1])) as store:
        store.list()
    times.append(time.perf_counter() - t)
print(statistics.median(times))
'''


def make_store(path: Path, conversations: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from store import generate  # bench/store.py: the same rows as the years-of-chats benchmark

    from ollama_chat.store.sqlite import Store

    with Store.open(path) as store:
        generate(store, conversations, 20, random.Random(7))
        while store.index_some(10_000):
            pass


def environment(home: Path, package: Path, host: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
            "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_STATE_HOME": str(home / "state"), "OLLAMA_HOST": host, "PYTHONPATH": str(package)}


def piped(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ollama_chat"], input=b"hi\n", env=env, check=True,
                   stdout=subprocess.DEVNULL, cwd=env["HOME"])
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default=BASE, help=f"the baseline commit (default {BASE})")
    parser.add_argument("-n", type=int, default=15, help="rounds of the piped question")
    parser.add_argument("--conversations", type=int, default=430)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeOllama() as fake:
        old = package_at(args.base, Path(tmp) / "old")
        if old is None:
            raise SystemExit(f"git cannot give the package of {args.base}: run this in a clone, or pass --base")
        seed = Path(tmp) / "seed.db"
        make_store(seed, args.conversations)
        homes = {}
        for name, package in (("before", old), ("after", ROOT)):
            home = Path(tmp) / name
            (home / "data" / "ollama-chat").mkdir(parents=True, mode=0o700)
            shutil.copy(seed, home / "data" / "ollama-chat" / "conversations.db")
            homes[name] = (home, environment(home, package, fake.host_port))
        size = seed.stat().st_size / 1e6
        print(f"a store of {size:.1f} MB ({args.conversations} conversations of 20 exchanges)")
        opens = {name: float(subprocess.run([sys.executable, "-c", OPENS, str(home / "data/ollama-chat/conversations.db")],
                                            env=env, capture_output=True, text=True, check=True,
                                            cwd=home).stdout)  # not this checkout's folder: it would come first
                 for name, (home, env) in homes.items()}
        runs: dict[str, list[float]] = {name: [] for name in homes}
        for _ in range(args.n):
            for name, (_, env) in homes.items():
                runs[name].append(piped(env))
        print(f"{'':<8} {'Store.open + list':>18} {'echo hi | ollama-chat':>22}")
        for name in homes:
            print(f"{name:<8} {opens[name] * 1000:>15.2f} ms {statistics.median(runs[name]) * 1000:>19.0f} ms")
        saved = (opens["before"] - opens["after"]) * 1000
        print(f"each open saves {saved:.1f} ms; a piped question "
              f"{(statistics.median(runs['before']) - statistics.median(runs['after'])) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
