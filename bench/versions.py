"""Two installed versions of ollama-chat side by side: the start-up of a piped one-shot question and of the
REPL's prompt, interleaved round by round so a busy machine slows both alike (the ratio to the seed script in
`startup.py` moves with the machine; this compares like with like).

    python -m venv /tmp/old && /tmp/old/bin/pip install git+file://$PWD@<commit>   # or a path to a checkout
    python bench/versions.py /tmp/old/bin/ollama-chat .venv/bin/ollama-chat [-n 25]

Each version gets its own HOME (a store written by a newer schema is refused by an older one). Needs pexpect.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fake_ollama import FakeOllama  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("baseline")
    parser.add_argument("candidate")
    parser.add_argument("-n", type=int, default=25)
    args = parser.parse_args()
    import pexpect

    programs = {"baseline": args.baseline, "candidate": args.candidate}
    times: dict[tuple[str, str], list[float]] = {}
    with FakeOllama() as fake, tempfile.TemporaryDirectory() as homes:
        for _ in range(args.n):
            for name, program in programs.items():
                home = Path(homes) / name
                env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "XDG_"))}
                env.update(OLLAMA_HOST=fake.host_port, HOME=str(home), TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
                start = time.perf_counter()
                subprocess.run([program], input=b"hi\n", stdout=subprocess.DEVNULL, env=env, check=True, cwd=homes)
                times.setdefault((name, "one-shot"), []).append(time.perf_counter() - start)
                start = time.perf_counter()
                child = pexpect.spawn(program, [], env=env, cwd=homes, encoding="utf-8", timeout=30)
                child.expect_exact("> ")
                times.setdefault((name, "REPL prompt"), []).append(time.perf_counter() - start)
                child.sendeof()
                child.expect(pexpect.EOF)
                child.close()
    print(f"median wall-clock of {args.n} interleaved rounds")
    print(f"{'':14}{'baseline':>10}{'candidate':>11}{'change':>9}")
    for what in ("one-shot", "REPL prompt"):
        old, new = (statistics.median(times[(n, what)]) * 1000 for n in programs)
        print(f"{what:14}{old:8.0f} ms{new:8.0f} ms{(new - old) / old:+8.1%}")


if __name__ == "__main__":
    main()
