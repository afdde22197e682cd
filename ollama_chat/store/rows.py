"""How an exchange is laid out in a row of `exchanges`, and read back from one; the JSON columns both ways."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ollama_chat.i18n import _
from ollama_chat.store.steps import MAX_STORED, StepsError, steps_from_json, steps_json
from ollama_chat.types import Attached, Exchange, Message, Stats


def encoded(value: Any) -> str:
    """A JSON column's text."""
    return json.dumps(value, ensure_ascii=False)


def decoded(text: str | None) -> Any:
    """A JSON column's value; None for NULL or for text that is not JSON (a row changed by hand)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


_STATS_FIELDS = tuple(f.name for f in dataclasses.fields(Stats))


def _stats_json(stats: Stats | None) -> str | None:
    """Its flat fields as JSON (dataclasses.asdict deep-copies: 50 µs of a 100,000-exchange import's each)."""
    return None if stats is None else json.dumps({f: getattr(stats, f) for f in _STATS_FIELDS}, ensure_ascii=False)


def stats_of(text: str | None) -> Stats | None:
    """Stats as stored; a field a newer version added is skipped."""
    return None if text is None else Stats(**{k: v for k, v in json.loads(text).items() if k in _STATS_FIELDS})


def question_of(words: str, sent: str | None, images: str | None, attached: str | None) -> Message:
    kinds = {"file", "image"}
    return Message("user", words if sent is None else sent, tuple(json.loads(images)) if images else (),
                   typed=None if sent is None else words,
                   attached=tuple(Attached(str(n), int(z), k if k in kinds else "file")  # type: ignore[arg-type]
                                  for n, z, k in json.loads(attached)) if attached else ())


def steps_of(text: Any) -> tuple[Message, ...]:
    """An exchange's steps as stored (NULL: none), checked as a file's are, except that a tool name a model made
    up is kept as it was sent; StepsError when the row was changed into something else (`text` is the column as
    read: at most MAX_STORED + 1 characters of it, of any SQLite type)."""
    if text is None:
        return ()
    if not isinstance(text, str):
        raise StepsError(_("they are not text"))
    if len(text) > MAX_STORED:
        raise StepsError(_("they are longer than {limit} characters").format(limit=f"{MAX_STORED:,}"))
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise StepsError(_("they are not JSON")) from None
    return steps_from_json(value, strict_names=False, source=len(text))


def exchange_row(conversation_id: str, now: float, exchange: Exchange) -> tuple[Any, ...]:
    q = exchange.question
    return (conversation_id, now, exchange.model, q.words, exchange.reply, _stats_json(exchange.stats),
            exchange.interrupted, None if q.typed is None else q.content, encoded(list(q.images)) if q.images else None,
            encoded([[a.name, a.size, a.kind] for a in q.attached]) if q.attached else None,
            encoded(steps_json(exchange.steps)) if exchange.steps else None)
