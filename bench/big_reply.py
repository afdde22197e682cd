"""A long reply through the whole program, piped and on a (pseudo-)terminal: work per chunk must not grow with
the reply. Streams replies of growing size (in 3-character pieces, as a model sends tokens) from an instant
fake Ollama through the installed `ollama-chat`, piped, and prints the CPU seconds the client used (user +
system; the fake server's own work is not counted) and the cost per MB.

Run with the package installed: `python bench/big_reply.py`. Linear means the seconds-per-MB column stays
flat as the size grows (the quadratic parser of before took 36 s of wall-clock time for 1 MB and 153 s for 2 MB).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fake_ollama import FakeOllama  # noqa: E402

BIN = Path(sys.executable).parent / "ollama-chat"
LINE = "파이썬 딕셔너리는 키와 값의 쌍으로 이루어진 자료구조입니다. Lists, dicts and sets.\n"


def main() -> None:
    print(f"{'reply':>8} {'pieces':>9} {'client CPU s':>13} {'CPU s per MB':>13} {'wall s':>7}")
    with FakeOllama() as fake, tempfile.TemporaryDirectory() as home:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "OLLAMA_HOST": fake.host_port, "LANG": "C.UTF-8"}
        for megabytes in (0.5, 1, 2, 4):
            text = LINE * int(megabytes * 1024 * 1024 / len(LINE.encode()))
            pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
            fake.reply(pieces)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            result = subprocess.run([str(BIN), "q"], env=env, cwd=home, capture_output=True, timeout=600)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            assert result.returncode == 0 and result.stdout.decode() == text, result.stderr[-500:]
            size = len(text.encode()) / 1024 / 1024
            print(f"{size:>6.1f}MB {len(pieces):>9,} {cpu:>13.2f} {cpu / size:>13.2f} {wall:>7.1f}")


if __name__ == "__main__":
    main()
