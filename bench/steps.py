"""What keeping tool steps costs (issue 20, "Stored and resumable"): the context budget's plan, the commit of one
exchange and the load of a long conversation, with and without steps, at this checkout and at a baseline
commit (before steps were counted or stored), in the same run.

    python bench/steps.py                      # a few seconds
    python bench/steps.py --baseline main

A chat of 200 exchanges; "with steps", each has two tool rounds' worth: an assistant message with two calls
(web_search, read_file) and their results (~2.4 KB of Korean, ~1.6 KB of lines). Printed: milliseconds per
plan (`ContextTracker.plan`, as the toolbar asks on each prompt; median of 5 rounds of 100), per commit of one
exchange (median of 50) and per load of the whole conversation (median of 20: what -c reads, the steps
parsed and checked). The baseline ignores steps (its plan does not count them and its store drops them), so it
is the floor. Goal: a plan of 200 exchanges with steps under 2 ms (the toolbar plans at every prompt).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from baseline import package_at

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "772932c"
GOAL_MS = 2.0

MEASURE = r'''
import json, statistics, sys, tempfile, time
from pathlib import Path
from ollama_chat.chat.context import ContextTracker
from ollama_chat.chat.conversation import Conversation
from ollama_chat.chat.personas import load_persona
from ollama_chat.chat.settings import Flags
try:
    from ollama_chat.chat.layers import build_layers
except ImportError:  # a baseline before chat/layers.py
    from ollama_chat.chat.settings import build_layers
from ollama_chat.store.sqlite import Store
from ollama_chat.types import Exchange, Message, ToolCall

folder = Path(tempfile.mkdtemp())
settings = build_layers(Flags(max_messages=1000, options={"num_ctx": 131072}), {}, {"OLLAMA_HOST": "127.0.0.1:9"},
                        load_persona("assistant", folder)).resolve()

def steps(i):
    return (Message("assistant", "", tool_calls=(ToolCall(f"c{i}", "web_search", {"query": f"질문 {i} " * 5, "max_results": 5}),
                                                 ToolCall(f"d{i}", "read_file", {"path": f"src/file{i}.py"}))),
            Message("tool", f"결과 {i} " * 400, tool_call_id=f"c{i}", tool_name="web_search"),
            Message("tool", f"line {i}\n" * 200, tool_call_id=f"d{i}", tool_name="read_file"))

def exchange(i, with_steps):
    kw = {"steps": steps(i)} if with_steps else {}
    return Exchange(Message("user", f"질문 {i} " * 20), f"답 {i} " * 100, settings.model, **kw)

out = {}
for with_steps in (False, True):
    key = "steps" if with_steps else "plain"
    conversation = Conversation()
    for i in range(200):
        conversation.add(exchange(i, with_steps))
    tracker = ContextTracker()
    tracker.plan(settings, conversation, "q")
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(100):
            tracker.plan(settings, conversation, "q")
        rounds.append((time.perf_counter() - start) / 100 * 1e3)
    out[f"plan {key}"] = statistics.median(rounds)
    with Store.open(folder / f"{key}.db") as store:
        cid = store.new_conversation("assistant", settings.model)
        commits = []
        for i in range(200):
            start = time.perf_counter()
            store.add_exchange(cid, conversation.exchanges[i])
            commits.append((time.perf_counter() - start) * 1e3)
        out[f"commit {key}"] = statistics.median(commits[-50:])
        loads = []
        for _ in range(20):
            start = time.perf_counter()
            loaded = store.load(cid)
            loads.append((time.perf_counter() - start) * 1e3)
        out[f"load {key}"] = statistics.median(loads)
        out[f"kept {key}"] = sum(len(e.steps) for e in loaded.exchanges)
print(json.dumps(out))
'''


def measure(package_root: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(package_root), "HOME": tempfile.gettempdir()}
    result = subprocess.run([sys.executable, "-c", MEASURE], env=env, capture_output=True, text=True, timeout=600,
                            cwd=package_root)
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return json.loads(result.stdout)



def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default=BASELINE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = package_at(args.baseline, Path(tmp))
        runs = {"after": measure(ROOT), **({f"before ({args.baseline})": measure(old)} if old else {})}
    print("200 exchanges; ms (median); 'kept': step messages read back from the store")
    print(f"{'':22}{'plan plain':>11}{'plan steps':>11}{'commit plain':>13}{'commit steps':>13}{'load plain':>11}"
          f"{'load steps':>11}{'kept':>6}")
    for name, r in runs.items():
        print(f"{name:22}{r['plan plain']:11.2f}{r['plan steps']:11.2f}{r['commit plain']:13.2f}"
              f"{r['commit steps']:13.2f}{r['load plain']:11.2f}{r['load steps']:11.2f}{r['kept steps']:6}")
    ok = runs["after"]["plan steps"] < GOAL_MS
    print(f"goal: a plan of 200 exchanges with steps under {GOAL_MS} ms: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
