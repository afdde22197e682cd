"""How many tokens a text is, estimated without the model's tokenizer, and calibrated by what a server counted.
Pure, and used by every layer that must fit text to a window (the chat's budget, the tools' results), so it
is on the ground floor.

The estimate starts cautious (a Hangul syllable or a CJK character is about one token in common tokenizers,
other text about four characters a token, plus a few tokens of chat template a message) and is calibrated per
model from the counts the server reports.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

PER_MESSAGE = 4  # tokens of chat template around each message (role markers, separators)
CHARS_PER_TOKEN = 4.0  # other text: English prose runs about 4.4 characters a token


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
