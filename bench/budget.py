"""Token estimates: how far `budget.base_tokens` is from a model's real count, and how fast calibration closes it.

    python bench/budget.py          # a second or two; exits 1 if a part-1 goal fails

Goal: the estimate within 10 % after three replies. Two measurements:
1. Against the fake Ollama's tokenizer (`fake_tokens`), on a corpus built deterministically (random.Random(1))
   of Korean, English, code and mixed Korean+English texts of 50-2000 characters: the uncalibrated error per
   category, then three simulated chats (Korean-heavy, English, mixed) that calibrate from each reply as
   `ContextTracker.observe` does (`cal.observe(base_tokens(reply), eval_count)`), with the mean absolute
   error on the chat's texts not yet observed after 1, 2, 3, 5 and 10 replies. PASS: within 10 % after 3.
2. Against the recorded real-model streams (tests/fixtures/streams): each reply's text against its
   `eval_count`, uncalibrated, then leave-one-out: calibrated on every choice of three other fixtures, the
   error on the held-out one. Reported, but it does not decide the exit code: six small replies of one tiny
   model are too few to prove a goal.
Errors are signed where it matters: a negative one (an under-estimate) is what could overflow the window.
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import sys
from pathlib import Path

from ollama_chat.budget import Calibration, base_tokens

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from fake_ollama.replies import fake_tokens  # noqa: E402

STREAMS = ROOT / "tests" / "fixtures" / "streams"
GOAL = 10.0  # per cent, after three replies
CHECKPOINTS = (1, 2, 3, 5, 10)

KO = ["안녕하세요, 오늘은 파이썬으로 데이터를 분석하는 방법을 알려 드릴게요.", "딕셔너리는 키와 값을 짝지어 저장하는 자료형입니다.",
      "이 함수는 리스트를 정렬한 다음 중복된 항목을 제거합니다.", "서울에서 부산까지 기차로 두 시간 반 정도 걸립니다.",
      "회의록을 세 문단으로 요약해 주시면 감사하겠습니다.", "데이터베이스에 인덱스를 만들면 검색이 훨씬 빨라집니다.",
      "주말에는 한강 공원에서 자전거를 타거나 산책을 해요.", "오류 메시지를 자세히 읽어 보면 원인을 찾을 수 있습니다.",
      "이 문장을 자연스러운 영어로 번역해 주세요.", "변수 이름을 바꾸었더니 코드가 훨씬 읽기 쉬워졌어요.",
      "캐시를 비우고 다시 실행하면 문제가 해결될 수도 있습니다.", "우주와 인간에 대한 이야기를 짧은 소설로 써 주세요.",
      "비동기 함수는 기다리는 동안 다른 일을 할 수 있게 해 줍니다.", "그 책은 역사와 철학을 쉽게 풀어 쓴 입문서예요."]
EN = ["Here is how to read a large CSV file without loading it all into memory.", "The borrow checker rejects "
      "this because the reference outlives the value it points to.", "You can sort a list of dictionaries by a "
      "key with the sorted function.", "A context window is the number of tokens the model can attend to at "
      "once.", "Caching the result avoids recomputing it on every request.", "First, install the package; "
      "then run the tests to make sure everything works.", "The server streams the reply one token at a time, "
      "as newline-delimited JSON.", "Summarise the meeting notes in three short paragraphs, please.",
      "Indexes make lookups fast but slow down writes a little.", "If the error persists, check the logs for "
      "a stack trace and the exact version.", "Python's asyncio lets one thread wait on many sockets at once."]
CODE = ["def sort_by_key(rows, key):\n    return sorted(rows, key=lambda r: r[key])\n",
        "for i, line in enumerate(open(path, encoding=\"utf-8\")):\n    if line.strip():\n        print(i, line)\n",
        "fn main() {\n    let v: Vec<i32> = (1..=10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}\n",
        "SELECT name, COUNT(*) AS n FROM users WHERE age >= 18 GROUP BY name ORDER BY n DESC;\n",
        "const res = await fetch(`/api/chat`, {method: \"POST\", body: JSON.stringify(req)});\n",
        "class Cache:\n    def __init__(self):\n        self._data: dict[str, bytes] = {}\n"]
TERMS = ["Python", "dict", "list comprehension", "API", "JSON", "async/await", "GPU", "token", "Docker", "Git"]


def build(rng: random.Random, kind: str, length: int) -> str:
    """Sentences (or code lines) of one kind until about `length` characters; mixed puts English terms and
    sentences into Korean text, as Korean technical chat does."""
    parts: list[str] = []
    while sum(map(len, parts)) < length:
        if kind == "ko":
            parts.append(rng.choice(KO) + " ")
        elif kind == "en":
            parts.append(rng.choice(EN) + " ")
        elif kind == "code":
            parts.append(rng.choice(CODE) if rng.random() < 0.8 else rng.choice(EN) + "\n")
        else:
            ko = rng.choice(KO)
            parts.append(f"{rng.choice(TERMS)} {ko} " if rng.random() < 0.6 else rng.choice(EN) + " " + ko + " ")
    return "".join(parts)[:length]  # cut mid-word, as a text ends anywhere; the length stays exact


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
        cal = cal.observe(base_tokens(reply), fake_tokens(reply))
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
                cal = cal.observe(base_tokens(t), c)
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


def main() -> int:
    ok = part1()
    part2()
    verdict = "PASS" if ok else "FAIL"
    print(f"\n{verdict}: part 1 (the fake tokenizer), estimate within {GOAL:.0f} % after three replies")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
