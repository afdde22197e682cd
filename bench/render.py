"""Benchmark: streaming Markdown rendering, ours against the naive way.

Streams synthetic replies (mixed Markdown: headings, paragraphs with inline code, Korean, bullet and numbered
lists, tables, block quotes, fenced code) in token-sized chunks (~4 characters) through

* the terminal renderer of `ollama_chat.ui.terminal` at 1,000 / 2,000 / 4,000 / 16,000 tokens, and
* the naive baseline, `Live(Markdown(text_so_far))` updated per chunk, at 1,000 and 2,000 tokens (it is
  quadratic: at 16,000 tokens it would take over an hour),

into an in-memory terminal (a rich Console on a StringIO, force_terminal=True, truecolor, 100 x 40), and prints
CPU seconds and tokens/s for each, the cost of rendering the whole reply once, the CPU ours needs when driven
at a model's pace (100 tokens/s, simulated clock: the live tail is then redrawn 15 times per simulated second),
and the worst case of redrawing the live tail on every chunk; then PASS/FAIL for the goals:

1. linear: 16,000 tokens cost at most 5x what 4,000 cost;
2. at 2,000 tokens at least 20x less CPU than the naive baseline;
3. at least 20,000 tokens/s at 16,000 tokens.

Run from the repository root: `python bench/render.py` (about 40 seconds, nearly all of it the naive
baseline); `--quick` skips the naive baseline and goal 2. Exit status 1 if a goal is missed.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console  # noqa: E402
from rich.live import Live  # noqa: E402
from rich.markdown import Markdown  # noqa: E402

from ollama_chat.ui.markdown import render_markdown  # noqa: E402
from ollama_chat.ui.terminal import TerminalOutput  # noqa: E402

WIDTH, HEIGHT = 100, 40

_WORDS = (
    "the a model streams tokens while terminal renders markdown blocks each block is printed once "
    "and only the last block stays live so long replies scroll like any other output without flicker "
    "python function returns value list dict sorted key lambda request response server client cache "
    "performance linear quadratic memory buffer parse render commit width height screen scrollback"
).split()
_KOREAN = (
    "파이썬에서 딕셔너리를 만드는 방법은 여러 가지가 있습니다 중괄호를 사용하거나 dict 함수를 "
    "호출할 수 있습니다 각 키는 고유해야 하며 값은 어떤 객체든 될 수 있습니다 터미널에서 한글은 "
    "두 칸을 차지하므로 줄바꿈 위치가 중요합니다"
).split()
_CODE = {
    "python": [
        "def sort_people(people: list[dict]) -> list[dict]:",
        '    """Sort by age, then by name."""',
        "    return sorted(people, key=lambda p: (p['age'], p['name']))",
        "",
        "for person in sort_people(data):",
        "    print(f\"{person['name']:>10} {person['age']:3d}\")",
        "result = {k: v for k, v in zip(keys, values) if v is not None}",
        "class Cache:",
        "    def __init__(self, size: int = 128) -> None:",
        "        self._items: dict[str, bytes] = {}",
    ],
    "javascript": [
        "const items = await fetch('/api/items').then((r) => r.json());",
        "items.sort((a, b) => a.age - b.age || a.name.localeCompare(b.name));",
        "for (const item of items) {",
        "  console.log(`${item.name}: ${item.age}`);",
        "}",
        "export function debounce(fn, ms = 100) {",
        "  let t; return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };",
        "}",
    ],
    "bash": [
        "python -m venv .venv && . .venv/bin/activate",
        "pip install --upgrade pip requests rich",
        'for f in *.md; do wc -w "$f"; done | sort -n',
        "curl -s http://localhost:11434/api/tags | jq '.models[].name'",
    ],
}


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    if rng.random() < 0.5:
        i = rng.randrange(len(words))
        words[i] = f"`{words[i]}()`"
    if rng.random() < 0.4:
        i = rng.randrange(len(words))
        words[i] = f"**{words[i]}**"
    return " ".join(words).capitalize() + "."


def _korean(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_KOREAN) for _ in range(n)) + "."


def _section(rng: random.Random, number: int) -> str:
    parts = [f"## {number}. {_sentence(rng, 4)[:-1]}"]
    parts.append(" ".join(_sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(2, 4))))
    parts.append(_korean(rng, rng.randint(10, 25)))
    parts.append("\n".join(f"- {_sentence(rng, rng.randint(4, 12))}" for _ in range(rng.randint(3, 6))))
    language = rng.choice(list(_CODE))
    lines = _CODE[language]
    start = rng.randrange(len(lines))
    code = [lines[(start + i) % len(lines)] for i in range(rng.randint(4, 12))]
    parts.append(f"```{language}\n" + "\n".join(code) + "\n```")
    if rng.random() < 0.6:
        parts.append(_sentence(rng, rng.randint(6, 12)))
        language = rng.choice(list(_CODE))
        parts.append(f"```{language}\n" + "\n".join(rng.sample(_CODE[language], 3)) + "\n```")
    kind = number % 3
    if kind == 0:
        rows = ["| name | 설명 | value |", "|---|---|---:|"]
        rows += [f"| `{rng.choice(_WORDS)}` | {_korean(rng, 2)} | {rng.randint(1, 9999)} |" for _ in range(rng.randint(3, 6))]
        parts.append("\n".join(rows))
    elif kind == 1:
        parts.append("\n".join(f"{i}. {_sentence(rng, rng.randint(5, 10))}" for i in range(1, rng.randint(3, 6))))
    else:
        parts.append("> " + _sentence(rng, rng.randint(10, 20)))
    if number % 5 == 4:
        parts.append("---")
    return "\n\n".join(parts) + "\n\n"


_TOKEN = re.compile(r" ?[A-Za-z]{1,6}| ?[\uac00-\ud7a3]{1,2}| ?\d{1,3}|\n+| +|[^\sA-Za-z\d\uac00-\ud7a3]{1,3}|.", re.S)


def synthetic_chunks(tokens: int, seed: int = 1) -> list[str]:
    """A reply of exactly `tokens` token-sized chunks."""
    rng = random.Random(seed)
    chunks: list[str] = []
    number = 1
    while len(chunks) < tokens:
        chunks.extend(_TOKEN.findall(_section(rng, number)))
        number += 1
    return chunks[:tokens]


def _console() -> Console:
    return Console(
        file=io.StringIO(), force_terminal=True, width=WIDTH, height=HEIGHT, color_system="truecolor", highlight=False
    )


def ours(chunks: list[str], refresh_per_second: float = 15.0) -> float:
    console = _console()
    output = TerminalOutput(console, refresh_per_second=refresh_per_second)
    start = time.process_time()
    reply = output.reply()
    try:
        for chunk in chunks:
            reply.content(chunk)
    finally:
        reply.finish()
    return time.process_time() - start


def paced(chunks: list[str], tokens_per_second: float = 100.0) -> float:
    """Ours as a model streaming at `tokens_per_second` would drive it: a simulated clock advances one token's
    time per chunk, so the live tail is redrawn 15 times per simulated second (no real sleeping)."""
    now = [0.0]
    console = _console()
    output = TerminalOutput(console, clock=lambda: now[0])
    start = time.process_time()
    reply = output.reply()
    try:
        for chunk in chunks:
            now[0] += 1 / tokens_per_second
            reply.content(chunk)
    finally:
        reply.finish()
    return time.process_time() - start


def naive(chunks: list[str]) -> float:
    console = _console()
    start = time.process_time()
    text = ""
    with Live(console=console, auto_refresh=False) as live:
        for chunk in chunks:
            text += chunk
            live.update(Markdown(text), refresh=True)
    return time.process_time() - start


def once(chunks: list[str]) -> float:
    console = _console()
    text = "".join(chunks)
    start = time.process_time()
    console.print(render_markdown(text), crop=False)  # as the renderer prints: code lines whole
    return time.process_time() - start


def best(fn, *args, repeat: int = 3) -> float:
    return min(fn(*args) for _ in range(repeat))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the naive baseline (and goal 2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each of ours; the best counts (default 3)")
    args = parser.parse_args()

    print(f"in-memory terminal {WIDTH}x{HEIGHT}, truecolor; CPU seconds (time.process_time); best of {args.repeat}")
    print(f"{'renderer':<44} {'tokens':>7} {'chars':>7} {'CPU s':>9} {'tokens/s':>10}")

    def row(name: str, chunks: list[str], seconds: float) -> None:
        rate = len(chunks) / seconds if seconds else float("inf")
        print(f"{name:<44} {len(chunks):>7} {len(''.join(chunks)):>7} {seconds:>9.3f} {rate:>10,.0f}", flush=True)

    sizes = (1000, 2000, 4000, 16000)
    replies = {n: synthetic_chunks(n) for n in sizes}
    cpu: dict[str, dict[int, float]] = {"ours": {}, "once": {}, "naive": {}, "per-chunk": {}}
    for n in sizes:
        cpu["ours"][n] = best(ours, replies[n], repeat=args.repeat)
        row("ours (commit blocks, live tail, <=15 Hz)", replies[n], cpu["ours"][n])
    for n in sizes:
        cpu["once"][n] = best(once, replies[n], repeat=args.repeat)
        row("whole reply rendered once (the floor)", replies[n], cpu["once"][n])
    paced_cpu = {}
    for n in (2000, 4000, 16000):
        paced_cpu[n] = seconds = paced(replies[n])
        row("ours, paced as a model at 100 tokens/s", replies[n], seconds)
        print(f"{'':<44} {'':>7} {'':>7} {'':>9} {seconds / (n / 100):>9.1%} CPU while streaming")
    for n in (1000, 4000):
        cpu["per-chunk"][n] = ours(replies[n], 0)
        row("ours, live tail redrawn on every chunk", replies[n], cpu["per-chunk"][n])
    if not args.quick:
        for n in (1000, 2000):
            cpu["naive"][n] = naive(replies[n])
            row("naive Live(Markdown(text_so_far)) per chunk", replies[n], cpu["naive"][n])

    print()
    failed = False

    def goal(ok: bool, text: str) -> None:
        nonlocal failed
        failed |= not ok
        print(f"{'PASS' if ok else 'FAIL'}  {text}")

    ratio = cpu["ours"][16000] / cpu["ours"][4000]
    goal(ratio <= 5, f"linear: 16,000 tokens cost {ratio:.2f}x what 4,000 cost (goal <= 5x)")
    if cpu["naive"]:
        speedup = cpu["naive"][2000] / cpu["ours"][2000]
        growth = cpu["naive"][2000] / cpu["naive"][1000]
        goal(
            speedup >= 20,
            f"at 2,000 tokens {speedup:,.0f}x less CPU than naive (goal >= 20x); "
            f"{cpu['naive'][2000] / paced_cpu[2000]:,.0f}x even when paced at 100 tokens/s; "
            f"naive grows {growth:.1f}x from 1,000 to 2,000 tokens",
        )
    rate = 16000 / cpu["ours"][16000]
    factor = cpu["ours"][16000] / cpu["once"][16000]
    goal(rate >= 20000, f"{rate:,.0f} tokens/s at 16,000 tokens (goal >= 20,000); {factor:.2f}x the cost of rendering it once")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
