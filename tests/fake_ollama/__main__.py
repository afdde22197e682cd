"""Run the fake by hand:  python tests/fake_ollama [--port N] [--chunk-delay S] [--replay FILE] ...

(`python -m fake_ollama` from tests/ works too.) It prints the URL, then serves until Ctrl+C.

A tool-calling model to try approval by hand: `--tool-call 'read_file:{"path": "README.md"}'` (repeatable: the
calls of one reply) makes the default model and every `--tools-model` able to call tools; each question asked
with tools on is answered with those calls, and the tools' results with a text quoting them
(`--tool-answer TEXT` instead). E.g.

    python -m fake_ollama --port 11555 --tool-call 'read_file:{"path": "README.md"}' --tool-call list_directory
    OLLAMA_HOST=127.0.0.1:11555 ollama-chat --tools read
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if not __package__:  # `python tests/fake_ollama`: import the package from its parent folder, not its own
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

from fake_ollama import DEFAULT_MODEL, FakeOllama  # noqa: E402
from fake_ollama.tool_model import parse_call  # noqa: E402


def _call(text: str) -> tuple[str, object]:
    try:
        return parse_call(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def configured(argv: list[str] | None = None) -> FakeOllama:
    """The fake as the command line asks for it, not started yet."""
    parser = argparse.ArgumentParser(prog="python tests/fake_ollama",
                                     description="A fake Ollama server: echoes the last user message, "
                                                 "or replays a recorded stream for every chat request.",
                                     epilog="A tool-calling model, to try approval by hand:  python -m fake_ollama --port"
                                            " 11555 --tool-call 'read_file:{\"path\": \"README.md\"}' --tool-call"
                                            " list_directory  then  OLLAMA_HOST=127.0.0.1:11555 ollama-chat --tools read")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--chunk-delay", type=float, default=0.0, metavar="S", help="seconds between lines")
    parser.add_argument("--replay", type=Path, metavar="FILE", help="an .ndjson stream to send for every chat")
    parser.add_argument("--model", action="append", default=[], metavar="NAME", help="another model (repeatable)")
    parser.add_argument("--thinking-model", action="append", default=[], metavar="NAME",
                        help="another model that can think (repeatable)")
    parser.add_argument("--tools-model", action="append", default=[], metavar="NAME",
                        help="another model that can call tools (repeatable)")
    parser.add_argument("--tool-call", action="append", default=[], metavar="NAME[:JSON]", type=_call,
                        help="a call the tool-calling models make when asked with tools (repeatable: several calls"
                             " in one reply), e.g. 'read_file:{\"path\": \"README.md\"}'; after the results they"
                             " answer in text quoting them. Also makes the default model able to call tools")
    parser.add_argument("--tool-answer", metavar="TEXT", help="with --tool-call: the answer after the tools' results")
    parser.add_argument("--web-signed-in", action="store_true",
                        help="answer /api/experimental/web_search and web_fetch as a signed-in Ollama (made-up results)")
    parser.add_argument("--quiet", action="store_true", help="don't print requests")
    args = parser.parse_args(argv)
    if args.replay and not args.replay.is_file():
        parser.error(f"no such file: {args.replay}")

    def log(text: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)

    fake = FakeOllama(host=args.host, port=args.port, chunk_delay=args.chunk_delay, replay=args.replay,
                      log=None if args.quiet else log)
    fake.web_signed_in = args.web_signed_in
    for name in args.model:
        fake.add_model(name)
    for name in args.thinking_model:
        fake.add_model(name, ("completion", "thinking"))
    for name in args.tools_model:
        fake.add_model(name, ("completion", "tools"))
    if args.tool_call:
        fake.add_model(DEFAULT_MODEL, ("completion", "tools"))
        fake.script_tools(args.tool_call, answer=args.tool_answer)
    return fake


def main(argv: list[str] | None = None) -> int:
    fake = configured(argv)
    with fake:
        try:
            print(f"fake Ollama serving on {fake.url}  (export OLLAMA_HOST={fake.host_port})", flush=True)
            while True:
                time.sleep(3600)  # the server runs in its own threads; this one just waits for Ctrl+C
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
