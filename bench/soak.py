"""Soak: many turns in one REPL process against an instant fake Ollama; memory, threads and open files must
stay flat.

Drives the installed `ollama-chat` in a pseudo-terminal (pexpect), asks TURNS questions (a mix of short and
longer Markdown replies, a /history and a /show now and then), and samples the process's resident memory,
thread count and open file descriptors from /proc at a few points. Prints the samples and the growth from
the first sample after warm-up to the last.

Run with the package installed: `python bench/soak.py [--turns 500]` (Linux: reads /proc).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pexpect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fake_ollama import FakeOllama  # noqa: E402

BIN = Path(sys.executable).parent / "ollama-chat"
PROMPT = "assistant> "
REPLY = "## 제목\n\n" + "본문 문장입니다. " * 30 + "\n\n```python\nprint('안녕')\n```\n\n- 하나\n- 둘\n"


def sample(pid: int) -> tuple[int, int, int]:
    """(resident KiB, threads, open file descriptors) of `pid`."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss = int(fields["VmRSS"].split()[0])
    threads = int(fields["Threads"])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, threads, fds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=500)
    args = parser.parse_args()
    points = sorted({50, args.turns // 2, args.turns})
    with FakeOllama() as fake, tempfile.TemporaryDirectory() as home:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/.config",
            "XDG_STATE_HOME": f"{home}/.local/state",
            "OLLAMA_HOST": fake.host_port,
            "TERM": "xterm-256color",
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "LANG": "C.UTF-8",
        }
        child = pexpect.spawn(str(BIN), ["--max-messages", "20"], env=env, dimensions=(40, 100), encoding="utf-8",
                              timeout=30, cwd=home)
        child.expect_exact(PROMPT)
        started = time.monotonic()
        rows = []
        for turn in range(1, args.turns + 1):
            if turn % 3 == 0:
                fake.reply(REPLY)
            child.send(f"질문 {turn}번\r")  # Enter is \r in a terminal
            child.expect_exact(PROMPT)
            if turn % 50 == 0:
                child.send("/history\r" if turn % 100 else "/show\r")
                child.expect_exact(PROMPT)
            if turn in points:
                rows.append((turn, *sample(child.pid)))
        elapsed = time.monotonic() - started
        child.send("종료\r")
        child.expect(pexpect.EOF)
    print(f"{args.turns} turns in one REPL process, {elapsed:.1f} s ({elapsed / args.turns * 1000:.0f} ms a turn)")
    print(f"{'turn':>6} {'RSS KiB':>10} {'threads':>8} {'fds':>5}")
    for turn, rss, threads, fds in rows:
        print(f"{turn:>6} {rss:>10,} {threads:>8} {fds:>5}")
    first, last = rows[0], rows[-1]
    print(f"growth from turn {first[0]} to {last[0]}: RSS {last[1] - first[1]:+,} KiB, threads {last[2] - first[2]:+}, "
          f"fds {last[3] - first[3]:+}")


if __name__ == "__main__":
    main()
