"""Token estimates: how far `estimate.base_tokens` is from a model's real count, and how fast calibration closes it.

    python bench/budget.py                # about a minute; exits 1 if a goal of part 1 or 3 fails
    python bench/budget.py --seeds 5 --baseline d214c68

Goal: the estimate within 10 % after three replies. Three measurements:
1. Against the fake Ollama's tokenizer (`fake_tokens`), on a corpus built deterministically (random.Random(1))
   of Korean, English, code and mixed Korean+English texts of 50-2000 characters: the uncalibrated error per
   category, then three simulated chats (Korean-heavy, English, mixed) that calibrate from each reply as
   `ContextTracker.observe` does (`cal.observe(base_tokens(reply), eval_count)`), with the mean absolute
   error on the chat's texts not yet observed after 1, 2, 3, 5 and 10 replies. PASS: within 10 % after 3.
2. Against the recorded real-model streams (tests/fixtures/streams): each reply's text against its
   `eval_count`, uncalibrated, then leave-one-out: calibrated on every choice of three other fixtures, the
   error on the held-out one. Reported, but it does not decide the exit code: six small replies of one tiny
   model are too few to prove a goal.
3. Refusals, before and after, in the same run: long mixed Korean/English chats (bench/refusal_chat.py: 40
   turns of ~290 tokens a message) against the fake Ollama with a tokenizer denser than the estimate
   (`dense_tokens`: two tokens a Hangul syllable), driven through `ChatSession.ask`, once with the code of the
   baseline commit (the old algorithm: a refusal multiplied the factor by 1.5) and once with this checkout.
   Scenarios: a fresh chat, a model that thinks first, the chat resumed in a new process after 15 turns (`-c`),
   and a switch to a model that has counted nothing yet. Goals, for this checkout: at most one refused
   request in ten, and every accepted prompt above 60 % of the window once the chat is long (its first
   question no longer sent). Also shown: replies that did not have the room left by their prompt.
Errors are signed where it matters: a negative one (an under-estimate) is what could overflow the window.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ollama_chat.estimate import Calibration, base_parts, base_tokens

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from fake_ollama.replies import fake_tokens  # noqa: E402
from corpus import build  # noqa: E402
from baseline import package_at  # noqa: E402

STREAMS = ROOT / "tests" / "fixtures" / "streams"
GOAL = 10.0  # per cent, after three replies
CHECKPOINTS = (1, 2, 3, 5, 10)

def corpus() -> dict[str, list[str]]:
    rng = random.Random(1)
    lengths = [50, 80, 120, 200, 300, 450, 600, 800, 1000, 1300, 1600, 2000]  # 12 of each kind, 48 in all
    return {kind: [build(rng, kind, min(2000, max(50, n + rng.randrange(-20, 20)))) for n in rng.sample(lengths, 12)]
            for kind in ("ko", "en", "code", "mixed")}


def err(estimate: float, actual: float) -> float:
    return 100.0 * (estimate - actual) / actual


def simulate(texts: list[str]) -> dict[int, float]:
    """Replies in order; after k of them, the mean absolute error on the texts not yet seen."""
    cal, out = Calibration(), {}
    for k, reply in enumerate(texts[: max(CHECKPOINTS)], 1):
        cal = cal.observe(base_parts(reply), fake_tokens(reply))
        if k in CHECKPOINTS:
            out[k] = statistics.mean(abs(err(cal.tokens(t), fake_tokens(t))) for t in texts[k:])
    return out


def part1() -> bool:
    texts = corpus()
    print("1. The fake tokenizer (tests/fake_ollama), uncalibrated: Calibration().tokens(text) vs fake_tokens(text)")
    print(f"{'kind':8} {'texts':>5} {'chars':>9} {'mean |err|':>11} {'mean err':>9} {'worst':>8}")
    for kind, ts in texts.items():
        errs = [err(Calibration().tokens(t), fake_tokens(t)) for t in ts]
        worst = max(errs, key=abs)
        print(f"{kind:8} {len(ts):5} {min(map(len, ts)):4}-{max(map(len, ts)):<4}"
              f" {statistics.mean(map(abs, errs)):10.1f}% {statistics.mean(errs):+8.1f}% {worst:+7.1f}%")
    rng = random.Random(1)
    # Each chat: its texts in a random order; the first replies calibrate, the rest are the held-out texts.
    chats = {"Korean-heavy": texts["ko"] + texts["mixed"][:4] + texts["code"][:2],
             "English": texts["en"] + texts["code"][:4], "mixed": [t for ts in texts.values() for t in ts]}
    print("\ncalibrated after k replies (cal.observe(base_tokens(reply), fake_tokens(reply))): "
          "mean |err| on unseen texts")
    heads = " ".join(f"{'k=' + str(k):>7}" for k in CHECKPOINTS)
    print(f"{'chat':13} {'texts':>5} {heads}   goal: k=3 within 10 %")
    ok = True
    for name, ts in chats.items():
        ts = rng.sample(ts, len(ts))
        res = simulate(ts)
        passed = res[3] <= GOAL
        ok &= passed
        print(f"{name:13} {len(ts):5} " + " ".join(f"{res[k]:6.1f}%" for k in CHECKPOINTS)
              + f"   {'PASS' if passed else 'FAIL'}")
    return ok


def fixtures() -> list[tuple[str, str, int]]:
    """(file, reply text, eval_count) of each recording without thinking (its eval_count would count it)."""
    out = []
    for path in sorted(STREAMS.glob("*.ndjson")):
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if any((line.get("message") or {}).get("thinking") for line in lines):
            print(f"  (skipped {path.name}: it has thinking, counted in its eval_count)")
            continue
        count = lines[-1].get("eval_count")
        if count:
            out.append((path.name, "".join((line.get("message") or {}).get("content") or "" for line in lines), count))
    return out


def part2() -> None:
    print("\n2. Recorded real-model streams (SmolLM2-135M via Ollama's format): reply text vs eval_count")
    fx = fixtures()
    print(f"{'file':22} {'chars':>6} {'eval_count':>10} {'estimate':>8} {'err':>8} {'tok/char':>9}")
    for name, text, count in fx:
        est = Calibration().tokens(text)
        print(f"{name:22} {len(text):6} {count:10} {est:8} {err(est, count):+7.1f}% {count / len(text):9.3f}")
    # observe() ignores texts under 8 base tokens, so a fixture that short can be held out but cannot calibrate.
    usable = [f for f in fx if base_tokens(f[1]) >= 8]
    print(f"\nleave-one-out: calibrated on each choice of three other fixtures ({len(usable)} can calibrate)")
    print(f"{'held out':22} {'sets':>4} {'mean |err|':>10} {'worst':>8}")
    means, counts = [], []
    for name, text, count in fx:
        others = [f for f in usable if f[0] != name]
        errs = []
        for trio in itertools.combinations(others, min(3, len(others))):
            cal = Calibration()
            for _, t, c in trio:
                cal = cal.observe(base_parts(t), c)
            errs.append(err(cal.tokens(text), count))
        means.append(statistics.mean(map(abs, errs)))
        counts.append(count)
        print(f"{name:22} {len(errs):4} {means[-1]:9.1f}% {max(errs, key=abs):+7.1f}%")
    mean = statistics.mean(means)
    ok = mean <= GOAL
    print(f"{'mean':22} {'':4} {mean:9.1f}%   goal within {GOAL:.0f} %: {'PASS' if ok else 'FAIL'} (information only)")
    # A reply of a few tokens is off by a whole token (the ceiling) whatever the factor: shown apart.
    longer = [m for m, c in zip(means, counts) if c >= 30]
    print(f"{'mean, >= 30 tokens':22} {'':4} {statistics.mean(longer):9.1f}%   ({len(longer)} fixtures)")
    # Replies of one model in different scripts (Korean, English prose, code) have different token densities,
    # which one factor per model cannot follow; and the summed ratio lets the longest reply set it.
    print(f"note: {len(fx)} replies from one 135M model, {sum(c < 30 for *_, c in fx)} of them under 30 tokens, "
          "mixing scripts and code:\n      too few and too heterogeneous to prove the goal; "
          "the numbers above are what they are.")


BASELINE = "d214c68"  # the code before the estimate learnt from refusals
SCENARIOS = ("fresh", "thinking", "resumed", "switched")
MOST_REFUSED, LEAST_FILL = 0.1, 60.0


def chat_run(code: Path, scenario: str, seed: int) -> dict:
    """One chat of bench/refusal_chat.py with the package in `code` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "refusal_chat.py"), "--scenario", scenario,
                          "--seed", str(seed)], env=env, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout)



def figures(runs: list[dict]) -> dict:
    requests = [r for run in runs for r in run["requests"]]
    window = runs[0]["window"]
    long = [r["tokens"] / window * 100 for r in requests if r["long"] and not r["refused"]]
    return {"requests": len(requests), "refused": sum(r["refused"] for r in requests),
            "worst rate": max(sum(r["refused"] for r in run["requests"]) / len(run["requests"]) for run in runs),
            "long": len(long), "under 60": sum(f < LEAST_FILL for f in long), "least fill": min(long),
            "median fill": statistics.median(long), "no room": sum(r["tokens"] + r["reply"] > window
                                                                 for r in requests if not r["refused"]),
            "answered": sum(run["answered"] for run in runs), "turns": sum(run["turns"] for run in runs)}


def part3(seeds: int, rev: str) -> bool:
    print(f"\n3. Refusals: {seeds} long chats a scenario against the fake with a denser tokenizer (window 4,096);"
          f" before = {rev}, after = this checkout")
    with tempfile.TemporaryDirectory() as tmp:
        old = package_at(rev, Path(tmp))
        versions = {"after": ROOT, **({"before": old} if old else {})}
        if old is None:
            print(f"   (no baseline: git cannot give {rev}; only this checkout is measured)")
        jobs = {(v, s, seed): (code, s, seed) for v, code in versions.items() for s in SCENARIOS
                for seed in range(1, seeds + 1)}
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = dict(zip(jobs, pool.map(lambda job: chat_run(*job), jobs.values())))
        for (version, *_), run in done.items():  # each ran the code it was meant to
            assert Path(run["code"]).parent == versions[version], (version, run["code"])
    print(f"{'':7}{'scenario':10}{'requests':>9}{'refused':>8}{'worst/10':>9}{'long':>6}{'<60%':>6}{'least':>7}"
          f"{'median':>7}{'no room':>8}{'answered':>9}")
    ok = True
    for version in ("before", "after"):
        if version not in versions:
            continue
        for scenario in SCENARIOS:
            f = figures([done[(version, scenario, seed)] for seed in range(1, seeds + 1)])
            if version == "after":
                ok &= f["worst rate"] <= MOST_REFUSED and f["under 60"] == 0
            print(f"{version:7}{scenario:10}{f['requests']:9}{f['refused']:8}{f['worst rate'] * 10:9.1f}{f['long']:6}"
                  f"{f['under 60']:6}{f['least fill']:6.0f}%{f['median fill']:6.0f}%{f['no room']:8}"
                  f"{f['answered']:5}/{f['turns']}")
    print("worst/10: refused requests per ten in the worst chat; long: accepted prompts once the first question is no"
          " longer sent;\nleast, median: how full of the window they were; no room: replies longer than the room"
          " their prompt left")
    print(f"{'PASS' if ok else 'FAIL'}: after: at most one refused request in ten in every chat, every long prompt"
          f" above {LEAST_FILL:.0f} % of the window")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="chats a scenario (part 3)")
    parser.add_argument("--baseline", default=BASELINE, help="the commit whose code is 'before' (part 3)")
    args = parser.parse_args()
    ok = part1()
    part2()
    refusals = part3(args.seeds, args.baseline)
    verdict = "PASS" if ok else "FAIL"
    print(f"\n{verdict}: part 1 (the fake tokenizer), estimate within {GOAL:.0f} % after three replies")
    return 0 if ok and refusals else 1


if __name__ == "__main__":
    sys.exit(main())
