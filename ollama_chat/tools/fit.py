"""Tool output cut to fit the context window. What a tool returns is sent with the conversation, so it must
leave room for the rest; the caller gives a token budget and an estimator (`budget.Calibration().tokens`),
and the cut is said, so the model can ask for the rest. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

Tokens = Callable[[str], int]
DEFAULT_BUDGET = 8000  # tokens: what a result may take when the caller says nothing (a quarter of 32k)
ELLIPSIS = " …"


def cut_to(text: str, tokens: int, count: Tokens) -> str:
    """The longest head of `text` whose estimate is within `tokens`, cut at a line end (or a space) when one is
    near the cut, with ` …` after it; `text` itself when it fits. Linear: a few estimates, never a search
    over every length (a 4 MiB file would take seconds)."""
    if count(text) <= tokens:
        return text
    room = tokens - count(ELLIPSIS)
    if room <= 0:
        return ""
    length = len(text)
    for _ in range(8):  # the density of tokens is about even, so the proportional guess is close
        length = min(length - 1, int(length * room / max(count(text[:length]), 1) * 0.97))
        if length <= 0:
            return ""
        if count(text[:length]) <= room:
            break
    else:
        return ""
    head = text[:length]
    for mark in ("\n", " "):
        at = head.rfind(mark)
        if at >= length * 0.8:
            head = head[:at]
            break
    return head.rstrip() + ELLIPSIS


@dataclass(frozen=True)
class Fitted:
    """Items cut to a budget: `bodies` for the first `kept` items (whole or cut), `shortened` of them cut."""

    bodies: tuple[str, ...]
    kept: int
    shortened: int

    @property
    def cut(self) -> bool:
        return self.shortened > 0


def fit_items(heads: Sequence[str], bodies: Sequence[str], budget: int, count: Tokens, min_body: int = 0) -> Fitted:
    """Every head in full, as many as fit in order with `min_body` tokens of their body (a search result's
    title and URL, the sources, and a little of its text); then the room left shared among the bodies: the
    short ones whole, the long ones cut to an equal share (water filling), so one long page does not crowd out
    the others."""
    kept, used, reserved = 0, 0, 0
    all_costs = [count(body) for body in bodies]
    for head, body_cost in zip(heads, all_costs):
        cost = count(head)
        least = min(body_cost, min_body)
        if used + cost + reserved + least > budget:
            break
        used += cost
        reserved += least
        kept += 1
    costs = all_costs[:kept]
    room = budget - used
    share = [0] * kept
    left = kept
    for i in sorted(range(kept), key=costs.__getitem__):
        share[i] = min(costs[i], max(room, 0) // left)
        room -= share[i]
        left -= 1
    out = tuple(body if costs[i] <= share[i] else cut_to(body, share[i], count)
                for i, body in enumerate(bodies[:kept]))
    return Fitted(out, kept, sum(1 for i in range(kept) if costs[i] > share[i]))
