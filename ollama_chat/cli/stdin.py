"""Standard input as a question or as `-f -`, read in pieces and refused as soon as it clearly cannot fit: a 200 MB
pipe is not read whole (nor decoded, nor estimated) to be refused afterwards.

The ceiling is the most any request could hold: the window num_ctx sets, else the most the server says the model
can take, else the window assumed. It is worked out once, and only when the input has grown past what the
smallest window it could go to holds (so a short piped question never waits for the server). Reading stops as
soon as the estimate of what has been read (`base_tokens`, as the one-shot plan counts it, computed piece by
piece) is more than the ceiling leaves for a prompt; the rest is never read.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from ollama_chat.backends.base import CHECK_TIMEOUT, Backend, BackendError
from ollama_chat.chat.budget import OLLAMA_DEFAULT_WINDOW, bigger_window, reply_room
from ollama_chat.estimate import base_tokens
from ollama_chat.errors import UsageError
from ollama_chat.i18n import _, ngettext
from ollama_chat.chat.settings import Settings

PIECE = 128 * 1024  # bytes read at a time: the refusal comes within a piece of the point it is certain


@dataclass(frozen=True)
class Ceiling:
    """The largest window the input could be sent in, and why that one."""

    window: int
    source: str  # "num_ctx" (set by the user), "model" (the most the server says it can take), "window" (assumed)
    fixed: bool = False  # the server set it when it started (an OpenAI-compatible server)

    @property
    def budget(self) -> int:
        """Tokens of it a prompt may take, the rest kept for the reply (as the plan keeps them)."""
        return self.window - reply_room(self.window, None)


def smallest_budget(settings: Settings) -> int:
    """Below this estimate any input fits whatever ceiling applies: no need to ask the server."""
    num_ctx = settings.options.get("num_ctx")
    return Ceiling(min(num_ctx, OLLAMA_DEFAULT_WINDOW) if isinstance(num_ctx, int) else OLLAMA_DEFAULT_WINDOW, "").budget


def ceiling_for(backend: Backend, settings: Settings) -> Ceiling:
    """num_ctx if set (on Ollama, which sizes the window as asked); else the most the server says the model can
    take (an OpenAI-compatible server's fixed window); else the window ollama-chat would assume."""
    num_ctx = settings.options.get("num_ctx")
    if isinstance(num_ctx, int) and not backend.fixed_window:
        return Ceiling(num_ctx, "num_ctx")
    try:
        most = backend.model_info(settings.model, timeout=CHECK_TIMEOUT).context_length
    except BackendError:
        most = None
    if most:
        return Ceiling(min(most, num_ctx) if isinstance(num_ctx, int) else most, "model", backend.fixed_window)
    return Ceiling(num_ctx if isinstance(num_ctx, int) else OLLAMA_DEFAULT_WINDOW, "window", backend.fixed_window)


class TooLong(UsageError):
    """The input is more than any request could hold; `read` bytes of it were read, about `tokens` tokens."""

    def __init__(self, message: str, hint: str, read: int, tokens: float) -> None:
        super().__init__(message, hint)
        self.read = read
        self.tokens = tokens


def read_within(stream: BinaryIO, ceiling: Callable[[], Ceiling], *, quiet_below: int, name: str, model: str,
                most_bytes: int | None = None, too_many_bytes: Callable[[int], UsageError] | None = None) -> bytes:
    """All of `stream`, unless it is more than `ceiling()` can hold: then TooLong, having read no more than a
    piece past that point. `quiet_below`: the estimate under which the ceiling is not worked out (see
    `smallest_budget`). `most_bytes`: a size in bytes not to read past either (`too_many_bytes(size)` says so)."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    parts: list[bytes] = []
    size, tokens = 0, 0.0
    limit: Ceiling | None = None
    while True:
        data = stream.read(PIECE)
        if not data:
            return b"".join(parts)
        parts.append(data)
        size += len(data)
        tokens += base_tokens(decoder.decode(data))
        if tokens > quiet_below:
            limit = limit or ceiling()
            if tokens > limit.budget:
                whole = not stream.read(1)  # all of it was read: its size is known, not just "more than"
                raise too_long(name, model, size, tokens, limit, whole=whole)
        if most_bytes is not None and size > most_bytes and too_many_bytes is not None:
            raise too_many_bytes(size)


def too_long(name: str, model: str, read: int, tokens: float, ceiling: Ceiling, *, whole: bool = False) -> TooLong:
    """What was read, against what the largest window could take, and what to do instead (never a num_ctx that
    could not hold it: for the model's largest window that there is none, and for one set by the user, a size
    that holds it when all of it was read, else that leaving it out lets ollama-chat size it)."""
    shown = (f"{read / (1024 * 1024):,.1f} MiB" if read >= 1024 * 1024 else
             ngettext("{n} byte", "{n} bytes", read).format(n=f"{read:,}"))
    values = dict(name=name, model=model, read=shown, tokens=f"{round(tokens):,}", window=f"{ceiling.window:,}",
                  budget=f"{ceiling.budget:,}", num_ctx=ceiling.window, size=bigger_window(round(tokens), None))
    if whole:
        message = _("Not sent: {name} is too long for {model}. It is about {tokens} tokens ({read}), more than its"
                    " {window}-token context window leaves for a question ({budget}).")
    else:
        message = _("Not sent: {name} is too long for {model}. The first {read} of it are already about {tokens}"
                    " tokens, more than its {window}-token context window leaves for a question ({budget}); the rest"
                    " was not read.")
    if ceiling.fixed:
        hint = _("Send a part of it: the server set {model}'s window when it started (start it with a bigger one:"
                 " llama.cpp --n_ctx N or -c N, vLLM --max-model-len N).")
    elif ceiling.source == "model":
        hint = _("Send a part of it: not even {model}'s largest window ({window} tokens) can hold it.")
    elif ceiling.source == "num_ctx" and whole:
        hint = _("Send a part of it, or give it a bigger window: --num-ctx {size}.")
    elif ceiling.source == "num_ctx":
        hint = _("Send a part of it, or leave out --num-ctx {num_ctx}: ollama-chat then suggests a window that holds"
                 " it, if {model} has one.")
    else:
        hint = _("Send a part of it (the server did not say how much {model} can take).")
    return TooLong(message.format(**values), hint.format(**values), read, tokens)
