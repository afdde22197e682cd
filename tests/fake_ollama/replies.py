"""What tests queue for /api/chat, and the `Gate` each queued reply hands back."""

from __future__ import annotations

import math

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Union

from .wire import JSON_TYPE, MID_STREAM_ERROR, NDJSON_TYPE, CutMode, split_text

# How long the `wait_*` methods wait by default for what must happen: a busy machine only makes the wait
# longer, and only a broken client or fake makes it run out. Pass a shorter timeout only to show that
# something does NOT happen.
PATIENCE = 30.0


class Gate:
    """A handle on one queued reply: how far it has been sent and, with `hold_after=N`, a gate that stops it.

    A reply with `hold_after=N` sends its first N pieces, then waits until `release()`; `hold_after=0` holds it
    before anything, even the response headers (a model that has not started answering). Without `hold_after`
    the gate is open from the start and only counts. A piece is a content piece for `reply` (thinking lines go
    first and are not counted, as for `cut_after`) and a line for `replay` and `reply_raw`. A reply shorter
    than N pieces is held after its last piece, before its done line, error line or cut. A held reply still
    notices a client that hangs up (`FakeOllama.disconnects`) and a server that stops.

    The `wait_*` methods return False on timeout instead of raising: `assert gate.wait_for_sent(3)`.
    """

    def __init__(self, hold_after: int | None = None) -> None:
        if hold_after is not None and hold_after < 0:
            raise ValueError(f"hold_after must be 0 or more, not {hold_after}")
        self.hold_after = hold_after
        self._changed = threading.Condition()
        self._sent = 0
        self._reached = False
        self._released = hold_after is None
        self._complete = False

    def __repr__(self) -> str:
        state = "complete" if self._complete else "held" if self.held else "open" if self._released else "closed"
        return f"<Gate hold_after={self.hold_after} sent={self._sent} {state}>"

    # -- for tests ------------------------------------------------------------------------------------------

    @property
    def sent(self) -> int:
        """Pieces written to the client so far."""
        with self._changed:
            return self._sent

    @property
    def held(self) -> bool:
        """The reply is waiting at the gate right now."""
        with self._changed:
            return self._reached and not self._released

    @property
    def released(self) -> bool:
        with self._changed:
            return self._released

    @property
    def complete(self) -> bool:
        """The reply was sent to its scripted end (done line, error line, cut or status answer). Set just after
        the last write: a client may see the end first, so wait with `wait_complete()`; likewise `sent`."""
        with self._changed:
            return self._complete

    def release(self) -> None:
        """Let a held reply go on (or let it pass without stopping, if it has not reached the gate yet)."""
        with self._changed:
            self._released = True
            self._changed.notify_all()

    def wait_for_sent(self, n: int, timeout: float = PATIENCE) -> bool:
        """Wait until at least `n` pieces have been written to the client. False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._sent >= n, timeout)

    def wait_held(self, timeout: float = PATIENCE) -> bool:
        """Wait until the reply has reached its gate (its `hold_after` pieces are out). False on timeout.
        Stays True after `release()`: it says the gate was reached."""
        with self._changed:
            return self._changed.wait_for(lambda: self._reached, timeout)

    def wait_complete(self, timeout: float = PATIENCE) -> bool:
        """Wait until the reply has been sent to its end. False on timeout (or if the client hung up first)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._complete, timeout)

    # -- for the handler ------------------------------------------------------------------------------------

    def _advance(self, pieces: int = 1) -> None:
        with self._changed:
            self._sent += pieces
            self._changed.notify_all()

    def _reach(self) -> None:
        with self._changed:
            self._reached = True
            self._changed.notify_all()

    def _wait_released(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._released, timeout)

    def _finish(self) -> None:
        with self._changed:
            self._complete = True
            self._changed.notify_all()


@dataclass(frozen=True)
class ScriptedReply:
    """A chat reply built from pieces. Counts (`error_after`, `cut_after`, `hold_after`) are content pieces,
    after all thinking."""

    content: tuple[str, ...]
    thinking: tuple[str, ...] = ()
    done_reason: str = "stop"
    eval_count: int | None = None
    eval_duration: int | None = None
    prompt_eval_count: int | None = None
    prompt_eval_duration: int | None = None
    load_duration: int | None = None
    total_duration: int | None = None
    chunk_delay: float = 0.0
    first_delay: float = 0.0
    error_after: int | None = None
    error_text: str = MID_STREAM_ERROR
    cut_after: int | None = None
    cut_mode: CutMode = "eof"
    gate: Gate = field(default_factory=Gate, compare=False)
    # whole calls as Ollama sends them (`wire.tool_call`), after the content: in one line, one line each
    # (`tool_calls_each`), or on the done line (`tool_calls_on_done`), as its parsers emit them
    tool_calls: tuple[dict[str, Any], ...] = ()
    tool_calls_each: bool = False
    tool_calls_on_done: bool = False


@dataclass(frozen=True)
class StatusReply:
    """A plain, non-streamed answer: any status, any body (an Ollama error, a 503, an HTML page...)."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    first_delay: float = 0.0
    gate: Gate = field(default_factory=Gate, compare=False)


@dataclass(frozen=True)
class LinesReply:
    """Bytes sent one HTTP chunk per line: a recorded fixture (`replay`) or arbitrary bytes (`reply_raw`)."""

    lines: tuple[bytes, ...]
    chunk_delay: float = 0.0
    first_delay: float = 0.0
    cut_after: int | None = None
    cut_mode: CutMode = "eof"
    split_writes: bool = False
    status: int = 200
    content_type: str = NDJSON_TYPE
    aggregate: bool = False  # a recorded stream: with "stream": false send the reply as one JSON object
    gate: Gate = field(default_factory=Gate, compare=False)


QueuedReply = Union[ScriptedReply, StatusReply, LinesReply]


def pieces(value: str | Iterable[str]) -> tuple[str, ...]:
    return tuple(split_text(value)) if isinstance(value, str) else tuple(value)


DEFAULT_WINDOW = 4096  # Ollama's window when num_ctx is not given (below 24 GiB of VRAM)
TEMPLATE_TOKENS = 5  # the fake chat template's tokens around each message


def fake_tokens(text: str) -> int:
    """The fake model's tokenizer: deterministic, and unlike the client's estimate (so calibration has work to
    do). Each word: a Hangul syllable or CJK character is 0.8 of a token (rounded up per word), other
    characters 4.5 to a token, at least one token a word."""
    total = 0
    for word in text.split():
        wide = sum(1 for ch in word if 0xAC00 <= ord(ch) <= 0xD7A3 or 0x4E00 <= ord(ch) <= 0x9FFF)
        total += max(1, math.ceil(wide * 0.8) + math.ceil((len(word) - wide) / 4.5))
    return total


def dense_tokens(text: str) -> int:
    """A second tokenizer, denser than the client's estimate where that is dangerous (it counts more than the
    estimate, so a prompt fitted by the estimate can be over the window), as a small English-centred vocabulary
    is (SmolLM2's splits a Hangul syllable's three UTF-8 bytes into about two tokens): a Hangul syllable or CJK
    character is 2 tokens, other characters 3.8 to a token, each rounded up per word, at least one a word.
    `FakeOllama(tokens=dense_tokens)`."""
    total = 0
    for word in text.split():
        wide = sum(1 for ch in word if 0xAC00 <= ord(ch) <= 0xD7A3 or 0x4E00 <= ord(ch) <= 0x9FFF)
        total += max(1, 2 * wide + math.ceil((len(word) - wide) / 3.8))
    return total


Tokenizer = Callable[[str], int]


def message_tokens(message: Any, count: Tokenizer = fake_tokens) -> int:
    return TEMPLATE_TOKENS + count(str(message.get("content") or "")) if isinstance(message, dict) else 0


def prompt_tokens(messages: list[Any], window: int, count: Tokenizer = fake_tokens) -> tuple[int, bool]:
    """(tokens the model sees, whether the prompt was cut): Ollama drops the oldest messages, keeping system
    messages and the last one, until the prompt fits the window (server/prompt.go)."""
    costs = [message_tokens(m, count) for m in messages]
    total = sum(costs)
    if total <= window:
        return total or 1, False
    for i, m in enumerate(messages[:-1]):
        if isinstance(m, dict) and m.get("role") == "system":
            continue
        total -= costs[i]
        if total <= window:
            break
    return max(1, total), True


def last_user_content(request: dict[str, Any]) -> str:
    for message in reversed(request.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


TrickleKind = Literal["headers", "body", "comments"]


@dataclass(frozen=True)
class Trickle:
    """An answer that never finishes (`FakeServerBase.trickle_next`)."""

    kind: TrickleKind
    every: float
    gate: Gate
