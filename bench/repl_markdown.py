"""Markdown in the REPL against the pipe: one long reply drawn live in the REPL (a pseudo-terminal, 100 x 40) and
the same reply piped, before (the package of a baseline commit, `git archive`, first on PYTHONPATH) and after (this
checkout), in the same run.

    python bench/repl_markdown.py                  # about two minutes (the baseline's REPL is the slow part)
    python bench/repl_markdown.py --base e4a8960 --mb 1 2

The reply is lines of Korean and English prose without a blank line (so one paragraph, open until the end), streamed
in 3-character pieces by an instant fake Ollama in this process (its work is not counted). Client CPU (user +
system): for the REPL, from /proc between its prompt and its next prompt; piped, `python -m ollama_chat q`.
Goal: the REPL within 2.5x the pipe.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from baseline import package_at  # noqa: E402
from fake_ollama import FakeOllama  # noqa: E402

LINE = "파이썬 딕셔너리는 키와 값의 쌍으로 이루어진 자료구조입니다. **Lists**, `dicts` and sets are built in.\n"
END = "The end, zq."
PROMPT = "assistant> "


def environment(home: str, host: str, package: Path | None) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "OLLAMA_HOST": host, "LANG": "C.UTF-8",
           "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
    if package is not None:
        env["PYTHONPATH"] = str(package)
    return env


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def repl_cpu(fake: FakeOllama, env: dict[str, str], pieces: list[str]) -> float:
    import pexpect

    child = pexpect.spawn(sys.executable, ["-m", "ollama_chat"], env=env, dimensions=(40, 100), encoding="utf-8",
                          timeout=900, cwd=env["HOME"], maxread=65536, searchwindowsize=200)
    child.delaybeforesend = None
    child.expect_exact(PROMPT)
    before = cpu_of(child.pid)
    fake.reply(pieces)
    child.send("q\r")
    child.expect_exact(END)  # the reply's last words, then the next prompt
    child.expect_exact(PROMPT)
    spent = cpu_of(child.pid) - before
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    return spent


def piped_cpu(fake: FakeOllama, env: dict[str, str], pieces: list[str], text: str) -> float:
    fake.reply(pieces)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([sys.executable, "-m", "ollama_chat", "q"], env=env, cwd=env["HOME"], capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0 or result.stdout.decode().rstrip("\n") != text:
        raise SystemExit(f"the piped one-shot failed: {result.stderr[-500:]!r}")
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="e4a8960", help="the baseline commit (default e4a8960)")
    parser.add_argument("--mb", type=float, nargs="+", default=[0.5, 2.0])
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as scratch, FakeOllama() as fake:
        base = package_at(args.base, Path(scratch) / "base")
        if base is None:
            sys.exit(f"no package at {args.base}")
        packages = {f"before ({args.base})": base, "after": None}
        print("client CPU s: the REPL drawing a long reply of Markdown live, and the same reply piped")
        print(f"  {'version':<18} {'MB':>5} {'piped':>7} {'REPL':>7} {'REPL/pipe':>10} {'REPL s/MB':>10}")
        for megabytes in args.mb:
            text = LINE * int(megabytes * 1024 * 1024 / len(LINE.encode())) + END
            pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
            size = len(text.encode()) / 1024 / 1024
            for name, package in packages.items():
                home = Path(scratch) / f"home-{len(os.listdir(scratch))}"
                home.mkdir()
                env = environment(str(home), fake.host_port, package)
                piped = piped_cpu(fake, env, pieces, text)
                repl = repl_cpu(fake, env, pieces)
                print(f"  {name:<18} {size:5.2f} {piped:7.2f} {repl:7.2f} {repl / piped:9.2f}x {repl / size:10.2f}",
                      flush=True)
                if package is None:
                    ok &= repl / piped <= 2.5
    print(f"{'PASS' if ok else 'FAIL'}  after: the REPL within 2.5x the pipe at every size")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
