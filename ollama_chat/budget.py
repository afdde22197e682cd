"""The context window, in tokens: which window applies, what a request will cost, and which exchanges fit.
Pure: the session feeds it what the server says and sends only what it chooses.

A prompt longer than the window is not refused by Ollama: it silently drops the oldest messages. So the
client must know the window and never send more than fits. The estimate starts cautious (a Hangul syllable
or a CJK character is about one token in common tokenizers, other text about four characters a token, plus
a few tokens of chat template a message) and is calibrated per model from the counts Ollama reports.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

OLLAMA_DEFAULT_WINDOW = 4096  # what Ollama loads a model with, below 24 GiB of VRAM, when num_ctx is not set
PER_MESSAGE = 4  # tokens of chat template around each message (role markers, separators)
CHARS_PER_TOKEN = 4.0  # other text: English prose runs about 4.4 characters a token
MIN_REPLY_ROOM = 256


def _wide(code: int) -> bool:
    """Hangul, CJK and kana: about one token each (often more for rare ones, rarely less)."""
    return (0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F
            or 0x3040 <= code <= 0x30FF or 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF)


_SYMBOLS = frozenset("{}[]()<>=:;,.'\"`|\\/*+-_#@$%^&!?~\n")


def base_tokens(text: str) -> float:
    """The uncalibrated estimate of `text`'s tokens: wide characters one each, symbols and line ends half a
    token each (code and JSON are dense with them: about 3 characters a token, against 4 or more for prose),
    other text CHARS_PER_TOKEN characters a token."""
    wide = symbols = 0
    for ch in text:
        if ch in _SYMBOLS:
            symbols += 1
        elif _wide(ord(ch)):
            wide += 1
    return wide + symbols / 2 + (len(text) - wide - symbols) / CHARS_PER_TOKEN


@dataclass(frozen=True)
class Calibration:
    """How a model's real counts compare with `base_tokens`: the ratio of what Ollama reported to what was
    estimated, summed over what was seen (so long texts weigh more than short ones). Starts at 1."""

    reported: float = 0.0
    estimated: float = 0.0
    samples: int = 0

    @property
    def factor(self) -> float:
        if self.samples == 0 or self.estimated <= 0:
            return 1.0
        return max(0.25, min(4.0, self.reported / self.estimated))

    def observe(self, estimated_base: float, reported: int) -> Calibration:
        """One count Ollama reported for text whose `base_tokens` (template excluded) was `estimated_base`."""
        if estimated_base < 8 or reported <= 0:  # too short to say anything
            return self
        return Calibration(self.reported + reported, self.estimated + estimated_base, self.samples + 1)

    def tokens(self, text: str) -> int:
        return math.ceil(base_tokens(text) * self.factor)

    def message_tokens(self, texts: Sequence[str]) -> int:
        return sum(PER_MESSAGE + self.tokens(t) for t in texts)


@dataclass(frozen=True)
class Window:
    """The window a request is fitted into, and why this one."""

    tokens: int
    source: str  # "num_ctx", "loaded", "default"
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
    if model_max:
        tokens = min(tokens, model_max)
    return Window(tokens, source, model_max, loaded)


def reply_room(window: int, num_predict: int | None) -> int:
    """Tokens kept free for the reply: num_predict when it is set (and leaves room for a prompt), else a
    quarter of the window, at least MIN_REPLY_ROOM."""
    if num_predict is not None and 0 < num_predict <= window // 2:
        return num_predict
    return min(window // 2, max(MIN_REPLY_ROOM, window // 4))


@dataclass(frozen=True)
class Fit:
    """What goes into one request: the newest `sent` exchanges (of those eligible), at about `tokens`."""

    sent: int
    tokens: int
    budget: int  # the window less the room for the reply
    fits: bool  # False: even the pinned prefix and the question exceed the budget; send nothing
    capped: bool = False  # fewer were sent because of the message cap, not the window


def fit(pinned: int, exchanges: Sequence[int], question: int, budget: int, max_exchanges: int) -> Fit:
    """Choose the newest whole exchanges (their token costs, oldest first) that fit with the pinned prefix
    and the question under `budget`, and at most `max_exchanges` of them."""
    total = pinned + question
    if total > budget:
        return Fit(0, total, budget, False)
    sent = 0
    for cost in reversed(exchanges):
        if sent == max_exchanges or total + cost > budget:
            break
        total += cost
        sent += 1
    capped = sent == max_exchanges and sent < len(exchanges) and total + exchanges[-sent - 1] <= budget
    return Fit(sent, total, budget, True, capped)


def short(tokens: int) -> str:
    """1.8k, 4k, 128k, 950: as the toolbar shows a count."""
    if tokens < 1000:
        return str(tokens)
    value = tokens / 1024 if tokens % 1024 == 0 else tokens / 1000
    return f"{value:.1f}".rstrip("0").rstrip(".") + "k"


def bigger_window(needed: int, model_max: int | None) -> int:
    """A num_ctx to suggest: a round size with room for `needed` tokens and a reply, within the model's most."""
    size = 4096
    while size < needed * 1.25 + 1024:
        size *= 2
    return min(size, model_max) if model_max else size
