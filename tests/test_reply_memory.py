"""A long reply is held as one buffer while it streams, not as a `str` per piece (issue 22, item 2): a piece of a
few characters costs ~50 bytes as its own object, so a reply kept in pieces costs ~19 bytes per byte."""

from __future__ import annotations

import tracemalloc

from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.chat.settings import Settings
from ollama_chat.chat.turn import build_request, run_turn
from ollama_chat.chat.conversation import Conversation
from ollama_chat.types import Message
from ollama_chat.ui.output import make_output


class Sink:
    """Standard output that keeps nothing, so only what the turn holds is measured."""

    written = 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        return len(data)

    def flush(self) -> None:
        pass


class Watched(OllamaBackend):
    """The backend, tracing memory from the first line on (the fake has its lines ready by then) and taking a
    snapshot of what the turn holds when the last line (the stats) has come."""

    held: tracemalloc.Snapshot

    def chat(self, request):
        for event in super().chat(request):
            if not tracemalloc.is_tracing():
                tracemalloc.start(32)
            if event.stats is not None:
                self.held = tracemalloc.take_snapshot().filter_traces(
                    [tracemalloc.Filter(True, "*/ollama_chat/chat/turn.py", all_frames=True)])
            yield event


def test_a_long_reply_streamed_in_small_pieces_is_held_in_memory_about_its_own_size(fake_ollama):
    line = "Lists, dicts and sets are built in; a reply of many small pieces.\n"
    text = line * 400  # ~26 KB in ~8,800 three-character pieces: eight joins, kept short for tracemalloc
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
    thinking = "thinking it over " * 500
    fake_ollama.reply(pieces, thinking=[thinking[i : i + 3] for i in range(0, len(thinking), 3)])
    sink = Sink()
    output = make_output(stdout_is_terminal=False, plain=True, hide_thinking=True, out=sink, err=None)
    backend = Watched(f"http://{fake_ollama.host_port}", timeout=60)
    request = build_request(Settings(), Conversation(), Message("user", "길게 써 줘"), 0)
    try:
        result = run_turn(backend, request, output)
    finally:
        tracemalloc.stop()
    assert result.error is None, result.error
    assert result.text == text and result.thinking == thinking and sink.written == len(text)
    held = backend.held.statistics("filename")  # allocated under the turn (not by the fake), alive at the end
    size = sum(s.size for s in held)
    # one buffer for each: a few bytes per byte (a str per piece: ~19)
    assert size < 4 * (len(text) + len(thinking)), [str(s) for s in held[:5]]
