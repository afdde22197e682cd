"""A fake Ollama that calls tools, to try the consent desk by hand (the tests script calls with `fake.reply`):

    python tests/fake_tools.py [--port N] [--slow S]
    OLLAMA_HOST=127.0.0.1:PORT ollama-chat -m tools --tools read

Its model `tools` can call tools. A question holding `call NAME {JSON}` (several, one a line, are several calls in
one message) is answered with those calls; once the results come back, the answer says what each was, in a few
words. Anything else is echoed. `--slow S`: seconds between the pieces of an answer.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_ollama import FakeOllama, ScriptedReply, split_text, tool_call  # noqa: E402
from fake_ollama.replies import last_user_content  # noqa: E402

CALL = re.compile(r"call\s+([A-Za-z0-9_-]+)\s*(\{.*\})?\s*$", re.MULTILINE)


class ToolFake(FakeOllama):
    def _next_reply(self, request: dict[str, Any]) -> Any:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        messages = request.get("messages") or []
        last = messages[-1] if messages else {}
        if last.get("role") == "tool":
            results = []
            for m in reversed(messages):
                if m.get("role") != "tool":
                    break
                results.insert(0, f"- {m.get('tool_name', '?')}: {len(m.get('content', ''))} characters, "
                                  f"starting {m.get('content', '')[:60]!r}")
            return ScriptedReply(content=tuple(split_text("I got the results:\n\n" + "\n".join(results))),
                                 chunk_delay=self.chunk_delay)
        question = last_user_content(request)
        found = CALL.findall(question) if request.get("tools") else []
        if found:
            calls = [tool_call(name, json.loads(args) if args else {}, index=i) for i, (name, args) in enumerate(found)]
            return ScriptedReply(content=(), tool_calls=tuple(calls), chunk_delay=self.chunk_delay)
        return ScriptedReply(content=tuple(split_text("echo: " + question)), chunk_delay=self.chunk_delay)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python tests/fake_tools.py")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--slow", type=float, default=0.0)
    args = parser.parse_args()
    fake = ToolFake(port=args.port, chunk_delay=args.slow, log=None)
    fake.add_model("tools", ("completion", "tools"))
    fake.web_signed_in = True
    with fake:
        print(f"fake Ollama with a tool-calling model 'tools' on {fake.url}  (export OLLAMA_HOST={fake.host_port})",
              flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
