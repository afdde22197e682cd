"""What the built-in tools cost in the client: CPU seconds per call on a generated project, and the cutting of
web results to a budget. Prints numbers; no server needed (the web figures time the formatting and cutting
of an answer, not the network).

    python bench/tools.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ollama_chat.tools.builtin import FILE_TOOLS, build  # noqa: E402
from ollama_chat.tools.web import WebSearch  # noqa: E402


def make_project(root: Path, files: int, lines: int) -> int:
    """`files` Python-like files of `lines` lines in folders of 50, a .gitignore'd build folder; bytes written."""
    (root / ".git").mkdir()
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "build").mkdir()
    total = 0
    for i in range(files):
        folder = root / "src" / f"pkg{i // 50:03}"
        folder.mkdir(parents=True, exist_ok=True)
        text = "".join(f"def function_{i}_{n}(value):\n    return value * {n}  # 계산 {n}\n" for n in range(lines // 2))
        (folder / f"module_{i:04}.py").write_text(text)
        (root / "build" / f"copy_{i:04}.py").write_text(text)
        total += len(text.encode())
    (root / "big.txt").write_text("2026-01-01 12:00:00 INFO request served in 12 ms\n" * 80_000)
    return total


def cpu(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


class _Api:
    """A web API answering ten long results at once, so only our own work is timed."""

    def post(self, endpoint, body, timeout):
        return {"results": [{"title": f"Result {i}", "url": f"https://example.com/{i}",
                             "content": "A sentence of a long page about the query. " * 400} for i in range(10)]}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        size = make_project(root, files=1000, lines=200)
        tools = {t.spec.name: t for t in build(FILE_TOOLS, root=root, host=None, env={})}
        rows = [
            ("search_files, 1,000 files, no match", lambda: tools["search_files"].call({"query": "nowhere"}, timeout=60)),
            ("search_files, 1,000 files, 50 matches", lambda: tools["search_files"].call({"query": "function_999_"}, timeout=60)),
            ("read_file, 3.9 MB file cut to 8,000 tokens", lambda: tools["read_file"].call({"path": "big.txt"}, timeout=60)),
            ("list_directory, 50 entries", lambda: tools["list_directory"].call({"path": "src/pkg000"}, timeout=60)),
            ("web_search answer, 10 x 17 KB cut to 8,000 tokens", lambda: WebSearch(_Api()).call({"query": "q"}, timeout=60)),
        ]
        print(f"generated project: 1,000 files, {size / 1e6:.1f} MB (+ as much ignored), os {os.uname().sysname}")
        print(f"{'call':<52} {'CPU s':>8}")
        for name, fn in rows:
            print(f"{name:<52} {cpu(fn):>8.3f}")
        sample = tools["search_files"].call({"query": "function_999_"}, timeout=60)
        print(json.dumps({"search_result_chars": len(sample.text)}))


if __name__ == "__main__":
    main()
