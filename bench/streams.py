"""The two stream parsers alone, without a server or a screen: Ollama's NDJSON (`ndjson.json_lines`) and the
OpenAI-compatible servers' SSE (`sse.sse_events`), each fed a 2 MB reply in 3-character pieces as the network
delivers it (reads of one piece, of a few pieces, and of 64 KiB), with LF and CRLF line ends. Prints the CPU
seconds (`time.process_time`, best of 3) and MB/s per case, so a change to the line splitting can be run
before and after (`git stash`) and compared: `python bench/streams.py`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from ollama_chat.backends.ndjson import json_lines
from ollama_chat.backends.sse import sse_events

TEXT = "파이썬 딕셔너리는 키와 값의 쌍으로 이루어진 자료구조입니다. Lists, dicts and sets.\n"


class Response:
    """What the parsers read from: `iter_content`, and no deadline."""

    headers: dict[str, str] = {}

    def __init__(self, reads: list[bytes]) -> None:
        self._reads = reads

    def iter_content(self, chunk_size: int | None = None) -> Iterator[bytes]:
        return iter(self._reads)


def pieces(megabytes: float) -> list[str]:
    text = TEXT * int(megabytes * 1024 * 1024 / len(TEXT.encode()))
    return [text[i : i + 3] for i in range(0, len(text), 3)]


def ndjson_stream(parts: list[str], end: bytes) -> bytes:
    lines = [json.dumps({"model": "m", "message": {"role": "assistant", "content": p}, "done": False}) for p in parts]
    return end.join(line.encode() for line in lines) + end


def sse_stream(parts: list[str], end: bytes) -> bytes:
    chunk = '{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":%s}}]}'
    return b"".join(b"data: " + (chunk % json.dumps(p)).encode() + end + end for p in parts) + b"data: [DONE]" + end + end


def reads(stream: bytes, size: int) -> list[bytes]:
    return [stream[i : i + size] for i in range(0, len(stream), size)]


def best(run, times: int = 3) -> float:
    spent = []
    for _ in range(times):
        started = time.process_time()
        run()
        spent.append(time.process_time() - started)
    return min(spent)


def main() -> None:
    parts = pieces(2)
    print(f"{'format':<7} {'ends':<5} {'read size':>10} {'reads':>9} {'CPU s':>7} {'MB/s':>7}")
    for name, make, parse in (("NDJSON", ndjson_stream, json_lines), ("SSE", sse_stream, sse_events)):
        for end in (b"\n", b"\r\n"):
            stream = make(parts, end)
            piece = len(stream) // len(parts)
            for size in (piece, piece * 8, 64 * 1024):
                chunks = reads(stream, size)
                spent = best(lambda: sum(1 for _ in parse(Response(chunks))))
                ends = "LF" if end == b"\n" else "CRLF"
                print(f"{name:<7} {ends:<5} {size:>10,} {len(chunks):>9,} {spent:>7.3f} {len(stream) / 1e6 / spent:>7.1f}")


if __name__ == "__main__":
    main()
