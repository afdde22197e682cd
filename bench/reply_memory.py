"""A long reply's memory: peak RSS of a piped one-shot, and the REPL's RSS after a long reply is stored, before (the
package of a baseline commit, `git archive`, first on PYTHONPATH) and after (this checkout), in the same run.

    python bench/reply_memory.py                 # about two minutes (the REPL draws 2 MB of Markdown twice)
    python bench/reply_memory.py --mb 4 --repl-mb 2 --base 8c3f2b7

An instant fake Ollama (in this process: its memory is not counted) streams the reply in 3-character pieces, as a
model sends tokens: lines of Korean and English prose.
* one-shot: `python -m ollama_chat q`, piped, and the floor beside it, the tutorial's bare `requests` script
  (`seed_chat.py`) streaming the same reply; peak RSS from `os.wait4` (ru_maxrss). Goal: within 2x the floor.
* REPL: `python -m ollama_chat` in a pseudo-terminal (100 x 40); RSS (/proc VmRSS) at its prompt, after a first
  short reply (the Markdown libraries load with it), after the long reply is shown and stored, and after three short
  turns more; the median of --runs runs (allocators make single runs vary by a few MiB). Goal: back within 10 MiB
  of the start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from fake_ollama import FakeOllama  # noqa: E402
from baseline import package_at  # noqa: E402

BASE = "c612907"  # main before the reply is kept as one buffer (issue 22, item 2)
SEED = ROOT / "bench" / "seed_chat.py"
LINE = "파이썬 딕셔너리는 키와 값의 쌍으로 이루어진 자료구조입니다. Lists, dicts and sets are built in.\n"
PROMPT = "assistant> "
END = "That is all: 끝.\n"  # the REPL's prompt seen after this is the one after the reply


def reply_pieces(megabytes: float) -> tuple[str, list[str]]:
    text = LINE * int(megabytes * 1024 * 1024 / len(LINE.encode())) + END
    return text, [text[i : i + 3] for i in range(0, len(text), 3)]


def environment(home: str, host: str, package: Path | None) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config",
           "XDG_DATA_HOME": f"{home}/.local/share", "XDG_STATE_HOME": f"{home}/.local/state", "OLLAMA_HOST": host,
           "LANG": "C.UTF-8", "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
    if package is not None:
        env["PYTHONPATH"] = str(package)
    return env


# Linux counts the memory of the process that forks into a child's ru_maxrss (the exec replaces the forking
# image and keeps its high-water mark): this one holds the fake's reply, so a small Python starts the command.
LAUNCH = ("import os, sys, subprocess; p = subprocess.Popen(sys.argv[1:]); _, status, usage = os.wait4(p.pid, 0);"
          " os.write(2, b'maxrss %d\\n' % usage.ru_maxrss); sys.exit(os.waitstatus_to_exitcode(status))")


def peak_mib(cmd: list[str], env: dict[str, str], expected: str) -> float:
    """Peak RSS in MiB of `cmd`, piped, the question on standard input."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-c", LAUNCH, *cmd], stdin=subprocess.PIPE, stdout=out, stderr=err,
                                env=env, cwd=env["HOME"])
        proc.stdin.write(b"q\n")
        proc.stdin.close()
        status = proc.wait()
        out.seek(0)
        got = out.read().decode()
        err.seek(0)
        said = err.read().decode(errors="replace")[-2000:]
    if status != 0 or got.rstrip("\n") != expected.rstrip("\n"):
        raise SystemExit(f"{cmd} failed ({status}): {len(got)} characters of {len(expected)}\n{said}")
    return int(said.rsplit("maxrss ", 1)[1]) / 1024


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024


def repl_rss(fake: FakeOllama, env: dict[str, str], megabytes: float) -> tuple[float, float, float, float]:
    """RSS at the prompt, after a first short reply (the Markdown libraries load with the first reply), after the
    long reply, after three short turns more."""
    import fcntl
    import pty
    import struct
    import termios

    from pexpect import EOF
    from pexpect.fdpexpect import fdspawn

    text, pieces = reply_pieces(megabytes)
    Path(env["HOME"]).mkdir(exist_ok=True)
    # Started by subprocess (no Python runs between its fork and exec), not pexpect.spawn: a fork taken while the
    # fake's threads hold a lock can leave the child waiting on that lock for ever before it execs.
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "ollama_chat"], stdin=slave, stdout=slave, stderr=slave, env=env,
                            cwd=env["HOME"], start_new_session=True)
    os.close(slave)
    child = fdspawn(master, encoding="utf-8", timeout=600, maxread=65536)
    try:
        child.expect_exact(PROMPT)
        start = rss_mib(proc.pid)
        child.send("첫 질문\r")
        child.expect_exact("echo: 첫 질문")
        child.expect_exact(PROMPT)
        first = rss_mib(proc.pid)
        gate = fake.reply(pieces)
        child.send("길게 써 줘\r")
        # Read the terminal while the reply streams: a pty nobody reads fills up and stops the REPL mid-reply (and
        # the fake with it). Only the newest characters are searched, so megabytes of redraws are read in linear time.
        child.expect_exact(END.strip(), searchwindowsize=len(END) * 8)  # the prompt is redrawn as the line is sent
        child.expect_exact(PROMPT, searchwindowsize=len(PROMPT) * 8)
        assert gate.wait_complete(5), "the REPL showed its prompt before the whole reply was sent"
        long = rss_mib(proc.pid)
        for turn in range(3):
            child.send(f"짧은 질문 {turn}\r")
            child.expect_exact(f"echo: 짧은 질문 {turn}")
            child.expect_exact(PROMPT)
        later = rss_mib(proc.pid)
        child.send("\x04")  # Ctrl+D
        child.expect(EOF)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.close(master)
    return start, first, long, later



def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=4.0, help="the one-shot's reply (default 4 MB)")
    parser.add_argument("--repl-mb", type=float, default=2.0, help="the REPL's long reply (default 2 MB)")
    parser.add_argument("--base", default=BASE, help=f"the baseline commit (default {BASE})")
    parser.add_argument("--runs", type=int, default=3, help="REPL runs per version, the median shown (default 3)")
    parser.add_argument("--no-repl", action="store_true")
    args = parser.parse_args()
    ok = True
    with FakeOllama() as fake, tempfile.TemporaryDirectory() as tmp:
        old = package_at(args.base, Path(tmp) / "old")
        if old is None:
            raise SystemExit(f"git cannot give the package of {args.base}: run this in a clone, or pass --base")
        versions = {"before": old, "after": ROOT}
        text, pieces = reply_pieces(args.mb)
        print(f"one-shot, piped: a {len(text.encode()) / 1e6:.1f} MB reply in {len(pieces):,} pieces; peak RSS")
        home = Path(tmp) / "home"
        home.mkdir()
        fake.reply(pieces)
        floor = peak_mib([sys.executable, str(SEED)], environment(str(home), fake.host_port, None), text)
        print(f"  floor (bench/seed_chat.py)   {floor:7.1f} MiB")
        peaks = {}
        for name, package in versions.items():
            fake.reply(pieces)
            peaks[name] = peak_mib([sys.executable, "-m", "ollama_chat", "q"],
                                   environment(str(home), fake.host_port, package), text)
            print(f"  {name:<6} ollama-chat          {peaks[name]:7.1f} MiB  ({peaks[name] / floor:.2f}x the floor)")
        ratio = peaks["after"] / floor
        ok &= ratio <= 2
        print(f"{'PASS' if ratio <= 2 else 'FAIL'}  after: {ratio:.2f}x the floor's peak (goal <= 2x)")
        if args.no_repl:
            return 0 if ok else 1
        print(f"\nREPL in a pseudo-terminal, a {args.repl_mb:g} MB reply of Markdown; RSS, median of {args.runs} runs")
        print(f"  {'version':<7} {'at prompt':>10} {'1st reply':>10} {'long one':>10} {'3 turns on':>11}")
        for name, package in versions.items():
            runs = [repl_rss(fake, environment(str(Path(tmp) / f"repl-{name}-{i}"), fake.host_port, package),
                             args.repl_mb) for i in range(args.runs)]
            start, first, long, later = (statistics.median(column) for column in zip(*runs))
            grown = statistics.median(run[3] - run[0] for run in runs)
            since_first = statistics.median(run[3] - run[1] for run in runs)
            print(f"  {name:<7} {start:8.1f}MiB {first:8.1f}MiB {long:8.1f}MiB {later:9.1f}MiB  (+{grown:.1f} MiB;"
                  f" +{since_first:.1f} after the first reply)")
        ok &= grown <= 10
        print(f"{'PASS' if grown <= 10 else 'FAIL'}  after: the REPL holds {grown:+.1f} MiB more than at its"
              f" prompt (goal <= 10 MiB; the first reply's imports alone: {first - start:+.1f} MiB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
