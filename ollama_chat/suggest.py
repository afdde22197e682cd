""""Did you mean" for every name a person can mistype: options, config keys, personas, commands. One wording,
one place. difflib is imported only when a suggestion is needed, never on a path that works."""

from __future__ import annotations

from collections.abc import Iterable

from ollama_chat.i18n import _


def did_you_mean(word: str, candidates: Iterable[str], *, n: int = 1, cutoff: float = 0.6, quote: str = "") -> str:
    """"Did you mean X?" (or "X or Y") for the closest candidates, or "" when none is close."""
    import difflib

    close = difflib.get_close_matches(word, list(candidates), n=n, cutoff=cutoff)
    if not close:
        return ""
    names = f"{quote}{close[0]}{quote}"
    for c in close[1:]:
        names = _("{first} or {second}").format(first=names, second=f"{quote}{c}{quote}")
    return _("Did you mean {names}?").format(names=names)
