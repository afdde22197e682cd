"""What a tool round trip adds in the client, on each wire: CPU per round (the client's thread only; the fake
server runs in its own threads) of a reply that makes tool calls, parsed into whole calls, against a plain text
reply of the same length, in the same run; then the assembly of OpenAI's streamed arguments, which must stay
linear in their size.

    python bench/tool_round.py [--rounds 200]

Each round streams from the fakes on loopback (tests/fake_ollama, tests/fake_openai): a reply with three calls
(Ollama: whole objects on one line; OpenAI: the arguments' JSON text in 4-character pieces, as vLLM streams
them), then the next request is built with the calls and three results (`request_body`), as the tool loop
sends it. Goals: a round with calls costs at most 3x a text round of the same length; assembling 1 MiB of
arguments costs at most 20x what 64 KiB costs (16x the text).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fake_ollama import FakeOllama  # noqa: E402
from fake_ollama import tool_call as whole_call  # noqa: E402
from fake_openai import DEFAULT_MODEL as OPENAI_MODEL  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402
from fake_openai import tool_call as piecewise  # noqa: E402

from ollama_chat.backends import ollama_wire, openai_wire  # noqa: E402
from ollama_chat.backends.ollama import OllamaBackend  # noqa: E402
from ollama_chat.backends.openai import OpenAIBackend  # noqa: E402
from ollama_chat.backends.tool_calls import ToolCallPieces, ToolPiece  # noqa: E402
from ollama_chat.types import ChatRequest, Message, ToolSpec  # noqa: E402

MODEL = "qwen3:8b"
TOOLS = tuple(ToolSpec(name, "a tool", {"type": "object", "properties": {"path": {"type": "string"}}})
              for name in ("read_file", "list_directory", "search_files"))
ARGUMENTS = [{"path": f"src/pkg{i:03}/module_{i:04}.py", "start_line": 1, "end_line": 200, "note": "메모 " * 20}
             for i in range(3)]
QUESTION = Message("user", "이 프로젝트의 구조를 설명해 주세요.")
RESULT = "def function(value):\n    return value * 2  # 계산\n" * 40


def round_cpu(backend, model: str, queue, rounds: int, with_calls: bool, build) -> float:
    """CPU seconds of this thread per round: stream a reply (queued by `queue`), then build the next request."""
    total = 0.0
    for _ in range(rounds):
        queue(with_calls)
        start = time.thread_time()
        events = list(backend.chat(ChatRequest(model, (QUESTION,), tools=TOOLS)))
        calls = tuple(c for e in events for c in e.tool_calls)
        if with_calls:
            assert len(calls) == 3, calls
            messages = (QUESTION, Message("assistant", "", tool_calls=calls),
                        *(Message("tool", RESULT, tool_call_id=c.id, tool_name=c.name) for c in calls))
        else:
            messages = (QUESTION, Message("assistant", "".join(e.content for e in events)))
        build(ChatRequest(model, messages, tools=TOOLS))
        total += time.thread_time() - start
    return total / rounds


def assembly_cpu(size: int, piece: int = 4, repeat: int = 3) -> float:
    """Best-of CPU seconds to assemble one call's `size` bytes of arguments from `piece`-byte pieces."""
    text = json.dumps({"text": "a" * (size - 12)})
    parts = [text[i:i + piece] for i in range(0, len(text), piece)]
    best = float("inf")
    for _ in range(repeat):
        start = time.thread_time()
        pieces = ToolCallPieces()
        pieces.add(ToolPiece(0, "call_1", "write", ""))
        for part in parts:
            pieces.add(ToolPiece(0, arguments=part))
        (call,) = pieces.take()
        best = min(best, time.thread_time() - start)
        assert len(call.arguments["text"]) == size - 12
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    text_of_calls = "".join(json.dumps({"name": "read_file", "arguments": a}, ensure_ascii=False) for a in ARGUMENTS)
    rows = []
    with FakeOllama() as ollama, FakeOpenAI() as openai:
        ollama.add_model(MODEL, ("completion", "tools"))

        def queue_ollama(with_calls: bool) -> None:
            if with_calls:
                ollama.reply("", tool_calls=[whole_call("read_file", a) for a in ARGUMENTS])
            else:
                ollama.reply(text_of_calls)

        def queue_openai(with_calls: bool) -> None:
            if with_calls:
                openai.reply("", tool_calls=[piecewise("read_file", a, pieces=4) for a in ARGUMENTS])
            else:
                openai.reply([text_of_calls[i:i + 4] for i in range(0, len(text_of_calls), 4)])

        wires = (("Ollama (calls whole)", OllamaBackend(ollama.url), MODEL, queue_ollama, ollama_wire.request_body),
                 ("OpenAI (4-character pieces)", OpenAIBackend(openai.url), OPENAI_MODEL, queue_openai,
                  openai_wire.request_body))
        for name, backend, model, queue, build in wires:
            round_cpu(backend, model, queue, 5, True, build)  # warm up
            text = round_cpu(backend, model, queue, args.rounds, False, build)
            calls = round_cpu(backend, model, queue, args.rounds, True, build)
            rows.append((name, text, calls))
    print(f"client CPU per round (this thread's time.thread_time), {args.rounds} rounds each; reply of"
          f" {len(text_of_calls)} characters")
    print(f"{'wire':32} {'text ms':>9} {'3 calls ms':>11} {'ratio':>7}")
    for name, text, calls in rows:
        print(f"{name:32} {text * 1e3:9.3f} {calls * 1e3:11.3f} {calls / text:7.2f}")
    small, large = assembly_cpu(64 * 1024), assembly_cpu(1024 * 1024)
    print(f"assembling one call's arguments from 4-byte pieces: 64 KiB {small * 1e3:.1f} ms, 1 MiB {large * 1e3:.1f} ms")
    ok = True
    for name, text, calls in rows:
        passed = calls <= 3 * text
        ok &= passed
        print(f"{'PASS' if passed else 'FAIL'}  {name}: a round with calls costs {calls / text:.2f}x a text round (goal <= 3x)")
    passed = large <= 20 * small
    ok &= passed
    print(f"{'PASS' if passed else 'FAIL'}  1 MiB of arguments costs {large / small:.1f}x what 64 KiB costs (goal <= 20x)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
