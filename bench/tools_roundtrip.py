"""What a question with a tool round costs the client, whole, against a plain text question, in the same run:
the chat as the REPL drives it (`ChatSession.ask`), against the fake Ollama on loopback, drawing to an in-memory
console. The tool question is answered with a `read_file` call (pre-approved, as `--yes-tools read_file`), the
call shown by the consent desk, the file read in a small project, its result framed and sent back, then the
answer; the text question gets an answer of the same length at once. CPU is the client's thread alone
(`time.thread_time`; the fake serves in its own threads); wall per question is printed beside it.

    python bench/tools_roundtrip.py [--rounds 200]

Goal: a question with one tool round costs at most 3x a plain one (it is two requests, a file read and the
desk's drawing; nothing in it may grow with the conversation).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fake_ollama import DEFAULT_MODEL, FakeOllama  # noqa: E402
from rich.console import Console  # noqa: E402

from ollama_chat.backends.ollama import OllamaBackend  # noqa: E402
from ollama_chat.chat.personas import Persona  # noqa: E402
from ollama_chat.chat.session import ChatSession  # noqa: E402
from ollama_chat.chat.settings import Flags  # noqa: E402
from ollama_chat.chat.layers import build_layers
from ollama_chat.chat.toolbox import ToolPlace  # noqa: E402
from ollama_chat.ui.chat import ConsoleNotify  # noqa: E402
from ollama_chat.ui.terminal import TerminalOutput  # noqa: E402
from ollama_chat.ui.tool_desk import ConsoleScreen, ToolDesk  # noqa: E402

ANSWER = "The meeting is on Thursday at 3 pm in room 301; bring a laptop. " * 4
GOAL = 3.0


def session(fake: FakeOllama, project: Path, tools: bool) -> ChatSession:
    flags = Flags(tools=("read",), yes_tools=("read_file",)) if tools else Flags()
    layers = build_layers(flags, {}, {"OLLAMA_HOST": fake.host_port}, Persona(name="assistant", system=""))
    console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system=None)
    desk = ToolDesk(ConsoleScreen(console), lambda ask: "once")
    return ChatSession(layers, OllamaBackend(layers.resolve().host, 60), TerminalOutput(console, clock=lambda: 0.0),
                       ConsoleNotify(console), project / "personas", desk=desk,
                       place=ToolPlace(str(project), None, {"HOME": str(project)}))


def measure(chat: ChatSession, rounds: int, question: str) -> tuple[float, float]:
    """Median CPU (client thread) and wall seconds per question; the conversation is cleared each time, so no
    question carries more history than the first."""
    cpu, wall = [], []
    for i in range(rounds + 5):
        chat.clear()
        c, w = time.thread_time(), time.perf_counter()
        chat.ask(question)
        assert len(chat.last_reply) == len(ANSWER), chat.last_reply
        if i >= 5:  # warm-up
            cpu.append(time.thread_time() - c)
            wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ollama-chat-bench-") as folder, FakeOllama() as fake:
        project = Path(folder)
        (project / "메모.txt").write_text("회의는 목요일 오후 3시, 3층 회의실.\n" * 20, encoding="utf-8")
        fake.add_model(DEFAULT_MODEL, ("completion", "tools"))
        fake.script_tools([("read_file", {"path": "메모.txt"})], answer=ANSWER)
        with_tools = session(fake, project, tools=True)
        plain = session(fake, project, tools=False)
        # a plain question is echoed (the fake's tool model answers only requests that offer tools): asking the
        # answer's text, less "echo: ", gives a reply of the same length
        results = {"text": measure(plain, args.rounds, ANSWER[len("echo: "):]),
                   "tool round": measure(with_tools, args.rounds, "회의는 언제야?")}
        assert with_tools.tool_use.last and with_tools.tool_use.last[0].status == "done"
    base = results["text"][0]
    for name, (cpu, wall) in results.items():
        print(f"{name:>11}: {cpu * 1e3:7.2f} ms CPU per question, {wall * 1e3:7.2f} ms wall ({cpu / base:4.2f}x text)")
    ratio = results["tool round"][0] / base
    print(f"goal: a tool round <= {GOAL}x a text question: {'met' if ratio <= GOAL else 'NOT met'} ({ratio:.2f}x)")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
