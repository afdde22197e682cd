"""Markdown in the terminal against the pipe, and the cost per word inside one long paragraph, before (the package
of a baseline commit, `git archive`, first on PYTHONPATH) and after (this checkout), in the same run.

    python bench/long_paragraph.py                  # a few minutes (the baseline is the slow half)
    python bench/long_paragraph.py --base c612907 --after HEAD --mb 0.25 1 2

The reply is one paragraph (lines of Korean and English prose, never a blank line), streamed in 3-character
pieces, as a model that never ends a paragraph sends it.
The whole program, `python -m ollama_chat q` against an instant fake Ollama (in this process: its work is not
counted), stdout piped and stdout a pseudo-terminal (100 x 40: Markdown drawn live): client CPU (user + system) per
MB, the ratio pty / pipe, and the pty's CPU per word at growing paragraph lengths. Goals: the pty within 2.5x the
pipe; the cost per word flat as the paragraph grows. `--after REV` times a commit instead of this checkout.
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
    parser.add_argument("--after", help="a commit to time as 'after' instead of this checkout")
    parser.add_argument("--mb", type=float, nargs="+", default=[0.25, 1.0, 2.0])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = package_at(args.base, Path(scratch) / "base")
        if base is None:
            sys.exit(f"no package at {args.base}")
        after = package_at(args.after, Path(scratch) / "after") if args.after else ROOT
        if after is None:
            sys.exit(f"no package at {args.after}")
        packages = {f"before ({args.base})": base, f"after ({args.after})" if args.after else "after": after}
        for package in packages.values():  # compile each package's bytecode before anything is timed
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(package / "ollama_chat")], check=True)
        print("the whole program, one paragraph: client CPU s per MB piped and in a pty, and CPU us per word in the pty")
        print(f"{'':>18} {'MB':>5} {'words':>8} {'pipe':>7} {'pty':>7} {'pty/pipe':>9} {'pty us/word':>12}")
        with FakeOllama() as fake:
            for megabytes in args.mb:
                text = LINE * int(megabytes * 1024 * 1024 / len(LINE.encode()))
                pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
                size = len(text.encode()) / 1024 / 1024
                words = len(text.split())
                for name, package in packages.items():
                    home = tempfile.mkdtemp(dir=scratch)
                    env = environment(home, fake.host_port, package)
                    fake.reply(pieces)
                    piped = child_cpu(lambda: run_piped(env)) / size
                    fake.reply(pieces)
                    tty = child_cpu(lambda: run_pty(env)) / size
                    print(f"{name:>18} {size:>5.2f} {words:>8,} {piped:>7.2f} {tty:>7.2f} {tty / piped:>8.2f}x"
                          f" {tty * size / words * 1e6:>12.1f}", flush=True)


if __name__ == "__main__":
    main()
