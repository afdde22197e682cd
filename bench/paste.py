"""A pasted log: how long the REPL takes to take a bracketed paste of 0.2 to 5 MB, before (the package of a baseline
commit, `bench/baseline.py`) and after (this checkout), in the same run.

    python bench/paste.py                 # about a minute
    python bench/paste.py --base c612907 --mb 1,5

`python -m ollama_chat` runs in a pseudo-terminal (100 x 40) against an instant fake Ollama with the default
4,096-token window; the log is pasted as a terminal sends it (bracketed paste), then Enter. Timed: from the paste
until the REPL has said it cannot send that much and shows its prompt again, and the CPU seconds the REPL used
for it (/proc). prompt_toolkit's parser searched the whole paste at every 1 KiB read: quadratic.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from baseline import package_at

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from fake_ollama import FakeOllama  # noqa: E402

BASE = "c612907"  # main before the linear paste
LINE = "2026-12-05T10:00:00Z INFO worker-3 request handled path=/api/chat status=200 dur=12ms 처리 완료\n"
PROMPT = "assistant> "


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def paste(package: Path, host: str, home: str, megabytes: float) -> tuple[float, float]:
    import pexpect

    text = LINE * int(megabytes * 1024 * 1024 / len(LINE.encode()))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config",
           "XDG_DATA_HOME": f"{home}/.local/share", "XDG_STATE_HOME": f"{home}/.local/state", "OLLAMA_HOST": host,
           "LANG": "C.UTF-8", "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1", "PYTHONPATH": str(package)}
    child = pexpect.spawn(sys.executable, ["-m", "ollama_chat", "--incognito"], env=env, dimensions=(40, 100),
                          encoding="utf-8", timeout=900, cwd=home, maxread=65536)
    try:
        child.expect_exact(PROMPT)
        cpu, start = cpu_seconds(child.pid), time.perf_counter()
        child.send("\x1b[200~" + text + "\x1b[201~")
        child.send("\r")
        child.expect_exact("Shorten it")
        child.expect_exact(PROMPT)
        return time.perf_counter() - start, cpu_seconds(child.pid) - cpu
    finally:
        child.close(force=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default=BASE, help=f"the baseline commit (default {BASE})")
    parser.add_argument("--mb", default="0.2,1,5", help="sizes in MB, comma-separated")
    args = parser.parse_args()
    sizes = [float(s) for s in args.mb.split(",")]
    with tempfile.TemporaryDirectory() as tmp, FakeOllama() as fake:
        old = package_at(args.base, Path(tmp) / "old")
        if old is None:
            raise SystemExit(f"git cannot give the package of {args.base}: run this in a clone, or pass --base")
        print(f"{'paste':>7}  {'version':<8} {'wall s':>7} {'REPL CPU s':>11}")
        for size in sizes:
            for name, package in (("before", old), ("after", ROOT)):
                wall, cpu = paste(package, fake.host_port, tmp, size)
                print(f"{size:>5}MB  {name:<8} {wall:>7.2f} {cpu:>11.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
