"""The context window, in tokens: which window applies, what a request will cost, and which exchanges fit.
Pure: the session feeds it what the server says and sends only what it chooses.

A prompt longer than the window is not refused by Ollama: it silently drops the oldest messages. So the
client must know the window and never send more than fits. The estimate starts cautious (a Hangul syllable
or a CJK character is about one token in common tokenizers, other text about four characters a token, plus
a few tokens of chat template a message) and is calibrated per model from the counts Ollama reports.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

OLLAMA_DEFAULT_WINDOW = 4096  # what Ollama loads a model with, below 24 GiB of VRAM, when num_ctx is not set
PER_MESSAGE = 4  # tokens of chat template around each message (role markers, separators)
CHARS_PER_TOKEN = 4.0  # other text: English prose runs about 4.4 characters a token
MIN_REPLY_ROOM = 256


_WIDE = "\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F\u3040-\u30FF\u4E00-\u9FFF\u3400-\u4DBF"
_WIDE_RUNS = re.compile(f"[{_WIDE}]+")  # Hangul, CJK and kana: about one token each (often more, rarely less)
_SYMBOLS = "{}[]()<>=:;,.'\"`|\\/*+-_#@$%^&!?~\n"


def base_tokens(text: str) -> float:
    """The uncalibrated estimate of `text`'s tokens: wide characters one each, symbols and line ends half a
    token each (code and JSON are dense with them: about 3 characters a token, against 4 or more for prose),
    other text CHARS_PER_TOKEN characters a token. Counted in C (str.count, one regex pass), not per character
    in Python: a piped file of many megabytes is estimated as it is read."""
    wide, symbols = _counts(text)
    return wide + symbols / 2 + (len(text) - wide - symbols) / CHARS_PER_TOKEN


def _counts(text: str) -> tuple[int, int]:
    symbols = sum(map(text.count, _SYMBOLS))
    return (0 if text.isascii() else len(text) - len(_WIDE_RUNS.sub("", text))), symbols


Parts = tuple[float, float]  # base_tokens in two parts: (wide characters, the rest)


def base_parts(text: str) -> Parts:
    """`base_tokens` split in two, because a model's tokenizer weighs them differently: one built mostly on
    English may take two tokens for a Hangul syllable and fewer than our estimate for English words."""
    wide, symbols = _counts(text)
    return float(wide), symbols / 2 + (len(text) - wide - symbols) / CHARS_PER_TOKEN


def add(a: Parts, b: Parts, sign: int = 1) -> Parts:
    return a[0] + sign * b[0], a[1] + sign * b[1]


MIN_FACTOR, MAX_FACTOR = 0.25, 4.0
MAX_BOUND = 16.0  # what a lower bound may raise the estimate to: past any real tokenizer, short of nonsense
RECENT_BOUNDS = 4  # prompts whose lower bounds still apply: the next prompts are mostly the same texts
PRIOR = 64.0  # base tokens' worth of belief that both parts share the overall ratio (until the counts say otherwise)


@dataclass(frozen=True)
class Calibration:
    """How a model's real counts compare with the estimate, one factor for wide characters and one for the
    rest, fitted to every count seen by least squares, each count weighted by its length (so long texts weigh
    more than short ones), and drawn toward the overall ratio where the counts cannot tell the two apart (all
    English, say). Starts at 1.

    `bounds`: what the last few prompts proved. A prompt the server refused as longer than its window, or one it
    counted (even in part, when its start was cached), counts at least so many tokens; while such a bound is
    recent, the estimate of its text is raised to it (both factors alike) if the fit says less."""

    sums: tuple[float, ...] = (0.0,) * 7  # Σ w²/n, Σ wo/n, Σ o²/n, Σ wc/n, Σ oc/n, Σ c, Σ n (n = w + o)
    samples: int = 0
    bounds: tuple[tuple[float, float, float], ...] = ()  # (wide, rest, at least this many tokens)

    def observe(self, parts: Parts, reported: float) -> Calibration:
        """One count the server reported for text whose `base_parts` (template excluded) were `parts`."""
        w, o = parts
        n = w + o
        if n < 8 or reported <= 0:  # too short to say anything
            return self
        more = (w * w / n, w * o / n, o * o / n, w * reported / n, o * reported / n, reported, n)
        return Calibration(tuple(a + b for a, b in zip(self.sums, more)), self.samples + 1, self.bounds)

    def at_least(self, parts: Parts, tokens: float) -> Calibration:
        """Text whose `base_parts` were `parts` is known to count at least `tokens`."""
        if parts[0] + parts[1] < 8 or tokens <= 0:
            return self
        return Calibration(self.sums, self.samples, (*self.bounds, (*parts, tokens))[-RECENT_BOUNDS:])

    @functools.cached_property
    def factors(self) -> Parts:
        """(wide, rest): the fitted factors, raised as far as a recent bound needs."""
        ww, wo, oo, wc, oc, c, n = self.sums
        ratio = min(MAX_FACTOR, max(MIN_FACTOR, c / n)) if self.samples and n > 0 else 1.0
        a, b = ww + PRIOR, oo + PRIOR  # ridge: (Σ + prior) f = Σ wc + prior * ratio, for each part
        det = a * b - wo * wo
        fw = ((wc + PRIOR * ratio) * b - (oc + PRIOR * ratio) * wo) / det
        fo = ((oc + PRIOR * ratio) * a - (wc + PRIOR * ratio) * wo) / det
        fw, fo = (min(MAX_FACTOR, max(MIN_FACTOR, f)) for f in (fw, fo))
        raise_by = max((t / (fw * w + fo * o) for w, o, t in self.bounds), default=1.0)
        if raise_by > 1:
            fw, fo = min(MAX_BOUND, fw * raise_by), min(MAX_BOUND, fo * raise_by)
        return fw, fo

    def estimate(self, parts: Parts) -> float:
        fw, fo = self.factors
        return fw * parts[0] + fo * parts[1]

    def tokens(self, text: str) -> int:
        return math.ceil(self.estimate(base_parts(text)))


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
