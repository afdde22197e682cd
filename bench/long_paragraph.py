"""Markdown in the terminal against the pipe, and the cost per word inside one long paragraph, before (the package
of a baseline commit, `git archive`, first on PYTHONPATH) and after (this checkout), in the same run.

    python bench/long_paragraph.py                  # a few minutes (the baseline is the slow half)
    python bench/long_paragraph.py --base c612907 --mb 0.5 1 --words 5000 20000 80000

The reply is one paragraph (lines of Korean and English prose, never a blank line), streamed in 3-character
pieces, as a model that never ends a paragraph sends it.
1. the whole program: `python -m ollama_chat q` against an instant fake Ollama (in this process: its work is not
   counted), stdout piped and stdout a pseudo-terminal (100 x 40: Markdown drawn live); client CPU (user + system)
   per MB and the ratio pty / pipe. Goal: the pty within 2.5x the pipe.
2. the terminal renderer alone (`TerminalOutput` on an in-memory terminal, 100 x 40, the real clock: redrawn as
   the REPL redraws), at growing paragraph lengths: microseconds of CPU per word. Goal: flat.
"""

from __future__ import annotations

import argparse
import os
import pty
import resource
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from baseline import package_at  # noqa: E402
from fake_ollama import FakeOllama  # noqa: E402

LINE = "파이썬 딕셔너리는 키와 값의 쌍으로 이루어진 자료구조입니다. **Lists**, `dicts` and sets are built in.\n"

DRIVER = r"""
import io, sys, time
from rich.console import Console
from ollama_chat.ui.terminal import TerminalOutput
line, words = sys.argv[1], int(sys.argv[2])
text = line * max(1, words // len(line.split()))
console = Console(file=io.StringIO(), force_terminal=True, width=100, height=40, color_system="truecolor")
started = time.process_time()
reply = TerminalOutput(console).reply()
for i in range(0, len(text), 3):
    reply.content(text[i : i + 3])
reply.finish()
print(time.process_time() - started, len(text.split()))
"""


def child_cpu(run) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def environment(home: str, host: str, package: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "OLLAMA_HOST": host, "LANG": "C.UTF-8",
            "TERM": "xterm-256color", "PYTHONPATH": str(package), "COLUMNS": "100", "LINES": "40"}


def run_piped(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "ollama_chat", "q"], env=env, cwd=env["HOME"], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=1800)


def run_pty(env: dict[str, str]) -> None:
    master, slave = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))

    def drain() -> None:
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        subprocess.run([sys.executable, "-m", "ollama_chat", "q"], env=env, cwd=env["HOME"], stdin=subprocess.DEVNULL,
                       stdout=slave, stderr=slave, check=True, timeout=1800)
    finally:
        os.close(slave)
        reader.join(5)
        os.close(master)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="c612907")
    parser.add_argument("--mb", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--words", type=int, nargs="+", default=[5000, 20000, 80000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = package_at(args.base, Path(scratch) / "base")
        if base is None:
            sys.exit(f"no package at {args.base}")
        packages = {f"before ({args.base})": base, "after": ROOT}
        for package in packages.values():  # compile each package's bytecode before anything is timed
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(package / "ollama_chat")], check=True)
        print("1. the whole program, one paragraph, client CPU s per MB")
        print(f"{'':>18} {'MB':>5} {'pipe':>7} {'pty':>7} {'pty/pipe':>9}")
        with FakeOllama() as fake:
            for megabytes in args.mb:
                text = LINE * int(megabytes * 1024 * 1024 / len(LINE.encode()))
                fake.reply([text[i : i + 3] for i in range(0, len(text), 3)])
                size = len(text.encode()) / 1024 / 1024
                for name, package in packages.items():
                    home = tempfile.mkdtemp(dir=scratch)
                    env = environment(home, fake.host_port, package)
                    piped = child_cpu(lambda: run_piped(env)) / size
                    tty = child_cpu(lambda: run_pty(env)) / size
                    print(f"{name:>18} {size:>5.2f} {piped:>7.2f} {tty:>7.2f} {tty / piped:>8.2f}x", flush=True)
        print("\n2. the terminal renderer alone, one paragraph: CPU microseconds per word")
        print(f"{'':>18} " + " ".join(f"{words:>9,}" for words in args.words))
        for name, package in packages.items():
            cells = []
            for words in args.words:
                out = subprocess.run([sys.executable, "-c", DRIVER, LINE, str(words)], capture_output=True, text=True,
                                     env={**os.environ, "PYTHONPATH": str(package)}, check=True).stdout.split()
                cells.append(f"{float(out[0]) / int(out[1]) * 1e6:>9.1f}")
            print(f"{name:>18} " + " ".join(cells), flush=True)


if __name__ == "__main__":
    main()
