"""One long mixed Korean/English chat against the fake Ollama, driven through `ChatSession.ask` as the REPL
drives it, with a model whose tokenizer counts Korean more densely than the client's estimate
(`fake_ollama.replies.dense_tokens`). Prints one JSON object: every request the server received, whether it was
refused as longer than the window, and how full the accepted ones were.

    python bench/refusal_chat.py [--scenario fresh|thinking|resumed] [--turns 40] [--seed 1]

Run by `bench/budget.py` twice in one go, once with the code of the baseline commit on PYTHONPATH (the old
algorithm) and once with this checkout; it uses only what both have (ChatSession, Flags, build_layers).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import build  # noqa: E402
from fake_ollama import FakeOllama  # noqa: E402
from fake_ollama.replies import DEFAULT_WINDOW, dense_tokens, message_tokens  # noqa: E402

import ollama_chat  # noqa: E402
from ollama_chat.backends.ollama import OllamaBackend  # noqa: E402
from ollama_chat.chat.personas import load_persona  # noqa: E402
from ollama_chat.chat.session import ChatSession  # noqa: E402
from ollama_chat.chat.settings import Flags  # noqa: E402
from ollama_chat.chat.layers import build_layers  # noqa: E402
from ollama_chat.ui.output import make_output  # noqa: E402


class Notes:
    """The session's messages, kept to count the errors a user would have read."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.errors: list[str] = []

    def say(self, text: str, style: str = "notice") -> None:
        self.said.append(text)

    def error(self, error) -> None:  # noqa: ANN001 - a ChatError of either version
        self.errors.append(error.message)


def sized(rng: random.Random, kind: str, tokens: int) -> str:
    """A text of `kind` of about `tokens` tokens by the model's tokenizer."""
    text = build(rng, kind, 400)
    return build(rng, kind, max(20, round(400 * tokens / dense_tokens(text))))


def turns(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(question, reply) pairs of the size the issue saw (16 messages, ~4,650 tokens: ~290 a message): Korean
    questions with English terms in them, replies of English, code and Korean mixed with English."""
    return [(sized(rng, rng.choice(["ko", "mixed", "mixed"]), rng.randrange(60, 400)),
             sized(rng, rng.choice(["en", "code", "mixed"]), rng.randrange(120, 500))) for _ in range(count)]


THINKING = "Let me think about what is being asked and how to answer it well. " * 3
SCENARIOS = ("fresh", "thinking", "resumed", "switched")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", choices=SCENARIOS, default="fresh",
                        help="fresh: one chat; thinking: a model that thinks first (its reply counts include it); "
                             "resumed: the chat goes on in a new process after 15 turns, as `-c` does; switched: "
                             "after 15 turns it goes on with another model, which has counted nothing yet")
    args = parser.parse_args()
    chat = turns(random.Random(args.seed), args.turns)
    thinking = THINKING if args.scenario == "thinking" else ""
    with FakeOllama(tokens=dense_tokens) as fake, tempfile.TemporaryDirectory() as home:
        layers = build_layers(Flags(max_messages=200), {}, {"OLLAMA_HOST": fake.host_port},
                              load_persona("assistant", Path(home)))
        output = make_output(stdout_is_terminal=False, plain=True, hide_thinking=True, out=io.BytesIO(), err=io.StringIO())
        notes = Notes()

        def start() -> ChatSession:
            session = ChatSession(layers, OllamaBackend(fake.url, 10), output, notes, Path(home))
            session.check_model()
            return session

        session = start()
        for i, (question, reply) in enumerate(chat):
            if args.scenario == "resumed" and i == 15:
                exchanges, session = session.conversation.exchanges, start()
                session.conversation.exchanges.extend(exchanges)
            if args.scenario == "switched" and i == 15:
                session.switch_model(fake.add_model("other-model"))
            fake.reply(reply, thinking=thinking)
            session.ask(question)
        requests, replies = [], iter(dense_tokens(reply + thinking) for _, reply in chat)
        for body in fake.chat_requests:
            messages = body["messages"]
            tokens = sum(message_tokens(m, dense_tokens) for m in messages)
            refused = tokens > DEFAULT_WINDOW
            requests.append({"tokens": tokens, "refused": refused, "messages": len(messages),
                             "long": not any(m.get("content") == chat[0][0] for m in messages),  # the first left
                             "reply": 0 if refused else next(replies)})  # what its reply took of the window
        json.dump({"code": str(Path(ollama_chat.__file__).parent), "window": DEFAULT_WINDOW, "turns": len(chat),
                   "answered": len(session.conversation.exchanges), "errors": notes.errors, "requests": requests},
                  sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
