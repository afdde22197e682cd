"""The context window, in tokens: which window applies, the room kept for the reply, and which exchanges fit.
Pure: the session feeds it what the server says and sends only what it chooses.

A prompt longer than the window is not refused by Ollama: it silently drops the oldest messages. So the
client must know the window and never send more than fits (the estimate is in `estimate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

OLLAMA_DEFAULT_WINDOW = 4096  # what Ollama loads a model with, below 24 GiB of VRAM, when num_ctx is not set
MIN_REPLY_ROOM = 256


@dataclass(frozen=True)
class Window:
    """The window a request is fitted into, and why this one."""

    tokens: int
    source: str  # "num_ctx", "loaded", "default", or "model_max" when the model cannot take the one chosen
    model_max: int | None = None  # the most the model supports (/api/show)
    loaded: int | None = None  # what the server has it loaded with (/api/ps)

    @property
    def far_below_max(self) -> bool:
        """Worth a word: the model could take four times the window or more."""
        return self.model_max is not None and self.model_max >= 4 * self.tokens and self.source != "num_ctx"


def choose_window(num_ctx: int | None, loaded: int | None, model_max: int | None) -> Window:
    """num_ctx when set; else the window the loaded model has; else Ollama's default. Never above the model's
    maximum (Ollama caps it there too)."""
    if num_ctx:
        tokens, source = num_ctx, "num_ctx"
    elif loaded:
        tokens, source = loaded, "loaded"
    else:
        tokens, source = OLLAMA_DEFAULT_WINDOW, "default"
    if model_max and model_max < tokens:
        tokens, source = model_max, "model_max"
    return Window(tokens, source, model_max, loaded)


def reply_room(window: int, num_predict: int | None, longest: int | None = None) -> int:
    """Tokens kept free for the reply (and any thinking before it): num_predict when it is set (and leaves room
    for a prompt); else half as much again as the `longest` of the model's recent replies, at least an eighth of the window (and
    MIN_REPLY_ROOM); a quarter of it, at least MIN_REPLY_ROOM, when nothing is known yet or more is needed."""
    if num_predict is not None and 0 < num_predict <= window // 2:
        return num_predict
    quarter = min(window // 2, max(MIN_REPLY_ROOM, window // 4))
    if not longest:
        return quarter
    return min(quarter, max(MIN_REPLY_ROOM, window // 8, longest * 3 // 2))


@dataclass(frozen=True)
class Fit:
    """What goes into one request: the newest `sent` exchanges (of those eligible), at about `tokens`; the oldest
    `without_steps` of them without their tool steps (the question and the reply only)."""

    sent: int
    tokens: int
    budget: int  # the window less the room for the reply
    fits: bool  # False: even the pinned prefix and the question exceed the budget; send nothing
    capped: bool = False  # fewer were sent because of the message cap, not the window
    without_steps: int = 0


def fit(pinned: int, exchanges: Sequence[int], question: int, budget: int, max_exchanges: int,
        bare: Sequence[int] | None = None) -> Fit:
    """Choose the newest whole exchanges (their token costs, oldest first) that fit with the pinned prefix
    and the question under `budget`, and at most `max_exchanges` of them. `bare`: each one's cost without its
    tool steps (None: no exchange has any). The first exchange that no longer fits whole but fits without its
    steps goes without them, and so does each older one sent: a page a tool fetched long ago gives way before
    the conversation itself does, and the prompt changes at one place only."""
    total = pinned + question
    if total > budget:
        return Fit(0, total, budget, False)
    sent, stepped = 0, None  # stepped: how many went whole, once the rest go bare
    for i in range(len(exchanges) - 1, -1, -1):
        cost = exchanges[i] if stepped is None or bare is None else bare[i]
        if sent == max_exchanges:
            break
        if total + cost > budget:
            if stepped is not None or bare is None or bare[i] >= cost or total + bare[i] > budget:
                break
            stepped, cost = sent, bare[i]
        total += cost
        sent += 1
    older = len(exchanges) - sent - 1
    capped = sent == max_exchanges and older >= 0 and total + (bare or exchanges)[older] <= budget
    return Fit(sent, total, budget, True, capped, 0 if stepped is None else sent - stepped)


def short(tokens: int) -> str:
    """1.8k, 4k, 128k, 950: as the toolbar shows a count."""
    if tokens < 1000:
        return str(tokens)
    value = tokens / 1024 if tokens % 1024 == 0 else tokens / 1000
    return f"{value:.1f}".rstrip("0").rstrip(".") + "k"


def holds(window: int, needed: int) -> bool:
    """Whether a window of `window` tokens takes `needed` tokens of prompt and still keeps room for the reply."""
    return needed <= window - reply_room(window, None)


def bigger_window(needed: int, model_max: int | None) -> int | None:
    """A num_ctx to suggest: the smallest round size that holds `needed` tokens with room for the reply, never
    above the model's most; None when not even the model's largest window can hold them."""
    size = 4096
    while not holds(size, needed):
        size *= 2
    if model_max and size > model_max:
        return model_max if holds(model_max, needed) else None
    return size
