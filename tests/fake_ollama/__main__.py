"""Run the fake by hand:  python tests/fake_ollama [--port N] [--chunk-delay S] [--replay FILE] ...

(`python -m fake_ollama` from tests/ works too.) It prints the URL, then serves until Ctrl+C.
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

from fake_ollama import FakeOllama  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tests/fake_ollama",
                                     description="A fake Ollama server: echoes the last user message, "
                                                 "or replays a recorded stream for every chat request.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--chunk-delay", type=float, default=0.0, metavar="S", help="seconds between lines")
    parser.add_argument("--replay", type=Path, metavar="FILE", help="an .ndjson stream to send for every chat")
    parser.add_argument("--model", action="append", default=[], metavar="NAME", help="another model (repeatable)")
    parser.add_argument("--thinking-model", action="append", default=[], metavar="NAME",
                        help="another model that can think (repeatable)")
    parser.add_argument("--tools-model", action="append", default=[], metavar="NAME",
                        help="another model that can call tools (repeatable)")
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
