"""The seam between the chat and a server: what every backend offers, and the errors they all map into.

The session, the REPL and one-shot mode talk to a `Backend`; none of them knows a URL, a status code or a
wire format. An error says what went wrong and what was tried, and carries its facts as data; a backend never
names a command or a flag of the chat or the command line. Where the remedy is one of those (`/pull`,
`--timeout`, where the address is set), the error's hint is left to the surface that shows it
(`ollama_chat.ui.wording`), which words it from the error's data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum
from typing import Protocol

from ollama_chat.errors import ChatError, UsageError, cut
from ollama_chat.i18n import _
from ollama_chat.options import MAX_WINDOW
from ollama_chat.types import ChatEvent, ChatRequest, ModelInfo, PullProgress
from ollama_chat.text import one_line

# seconds a quick question to the server may take (a model's facts, its loaded window) before the chat goes on
# without the answer
CHECK_TIMEOUT = 3.0


class ChatStream(Protocol):
    """An open reply. Iterate for events; `close()` drops the connection (Ctrl+C), so the server stops."""

    def __iter__(self) -> Iterator[ChatEvent]: ...

    def close(self) -> None: ...


class Backend(Protocol):
    host: str
    can_pull: bool  # whether models can be downloaded through it (Ollama: yes; an OpenAI-compatible server: no)
    fixed_window: bool  # the server set each model's window when it started (not per request, as Ollama's num_ctx)
    describes_each: bool  # the listing leaves out windows and capabilities: model_info asks the server, per model

    def chat(self, request: ChatRequest) -> ChatStream:
        """Start a reply. Errors before the first event raise here, later ones while iterating."""
        ...

    def list_models(self) -> list[str]: ...

    def model_info(self, name: str, timeout: float | None = None) -> ModelInfo:
        """Facts about one model; ModelNotFound when the server has no such model. `timeout`: a shorter wait
        than usual, for checks that must not hold up the prompt."""
        ...

    def models(self) -> list[ModelInfo]:
        """The installed models with sizes and details."""
        ...

    def pull(self, name: str) -> Iterator[PullProgress]:
        """Download a model; closing the iterator stops it."""
        ...

    def loaded_window(self, name: str, timeout: float | None = None) -> int | None:
        """The context window the server has the model loaded with; None when it is not loaded (or the
        server does not say)."""
        ...


# -- the error tree ---------------------------------------------------------------------------------------


class BackendError(ChatError):
    """Anything that went wrong talking to the server."""


class Seen(Enum):
    """What answered at an address instead of the API."""

    OTHER = "other"  # an answer, not in the API's shape (a web page, a proxy, another API)
    NOT_HTTP = "not http"  # something that does not speak HTTP
    REDIRECT = "redirect"  # a redirect elsewhere
    TOO_LARGE = "too large"  # an answer far larger than the API's


class AddressError(BackendError):
    """The address does not lead to the API. `api`: the one expected ("ollama", "openai"); where the address is
    set is the surface's to say, so a backend whose hint would have to name it leaves `hint` empty."""

    def __init__(self, message: str, hint: str = "", *, api: str = "") -> None:
        super().__init__(message, hint)
        self.api = api


class BadAddress(AddressError):
    """The address is not one (a host like "a..b", a 300-letter label)."""


class ServerUnreachable(AddressError):
    """Nothing answered (`reason` says why, as `network.network_reason` words it), or not securely."""

    def __init__(self, message: str, hint: str = "", *, api: str = "", reason: str = "") -> None:
        super().__init__(message, hint, api=api)
        self.reason = reason


class WrongServer(AddressError):
    """Whatever answered does not speak the expected API (a web server, a proxy, the wrong port): `seen` says
    what it was."""

    def __init__(self, message: str, hint: str = "", *, api: str = "", seen: Seen = Seen.OTHER) -> None:
        super().__init__(message, hint, api=api)
        self.seen = seen


class ReadTimeout(BackendError):
    """The server took longer than the timeout, `seconds`. `silent`: it sent nothing at all (a model loading,
    a server hung), rather than too little."""

    def __init__(self, message: str, hint: str = "", *, seconds: float = 0.0, silent: bool = False) -> None:
        super().__init__(message, hint)
        self.seconds = seconds
        self.silent = silent


class ServerError(BackendError):
    """An error status with the server's own error text."""

    def __init__(self, message: str, hint: str = "", *, status: int = 0, text: str = "") -> None:
        super().__init__(message, hint)
        self.status = status
        self.text = text


class ContextOverflow(ServerError):
    """The prompt is longer than the model's window (asked with `truncate: false`, the server refuses instead
    of silently dropping the oldest messages). `window` and `prompt_tokens`: what the server said of them, when
    it did (llama.cpp and vLLM do; Ollama does not). `fixed_window`: the server set the window when it started,
    so no request can make it bigger."""

    def __init__(self, message: str, hint: str = "", *, status: int = 0, text: str = "", window: int | None = None,
                 prompt_tokens: int | None = None, fixed_window: bool = False) -> None:
        super().__init__(message, hint, status=status, text=text)
        self.window = window
        self.prompt_tokens = prompt_tokens
        self.fixed_window = fixed_window


class CannotThink(ServerError):
    """Thinking was asked of a model that cannot think (`model`)."""

    def __init__(self, message: str, hint: str = "", *, status: int = 0, text: str = "", model: str = "") -> None:
        super().__init__(message, hint, status=status, text=text)
        self.model = model


class KeyRefused(ServerError):
    """The server wants an API key (HTTP 401/403): none was sent (`sent` false), or it refused the one sent. The
    message names the variable the key came from (`key_env`), never the key."""

    def __init__(self, message: str, hint: str = "", *, status: int = 0, text: str = "", key_env: str = "",
                 sent: bool = False) -> None:
        super().__init__(message, hint, status=status, text=text)
        self.key_env = key_env
        self.sent = sent


class Unsupported(BackendError, UsageError):
    """The server's API has no way to do what was asked (an option, a format): refused before anything is sent,
    never dropped silently. A usage error: the user changes the setting."""


class OptionsRefused(Unsupported):
    """Model options the API has no name for (`names`); it takes `takes`."""

    def __init__(self, message: str, hint: str = "", *, names: tuple[str, ...] = (), takes: tuple[str, ...] = ()) -> None:
        super().__init__(message, hint)
        self.names = names
        self.takes = takes


class NoThinkSwitch(Unsupported):
    """Thinking was asked to be off, and the API has no switch for it."""


class CannotPull(BackendError):
    """The server cannot download models: it serves those it was started with."""


class IncompleteReply(BackendError):
    """The reply failed after it started. What arrived before has been shown and is the caller's to keep."""


LISTED = 10  # models named when the one asked for is missing, on a server that cannot download it


class ModelNotFound(BackendError):
    """The server has no model `model`. `suggestions`: installed models with a close name. A server that cannot
    download it (`can_pull` false) has all there is in `installed`, so the hint lists them; how to download it
    is the surface's to say."""

    def __init__(self, model: str, host: str, installed: list[str] | None = None, *, can_pull: bool = True) -> None:
        installed = installed or []
        close = suggest_models(model, installed)
        shown = one_line(cut(model))  # a name from a file or the server: it cannot print a line of its own
        hints = []
        if close:
            hints.append(_("Did you mean {models}?").format(models=_(" or ").join(one_line(m) for m in close)))
        if not can_pull:
            if installed:
                names = ", ".join(one_line(n) for n in installed[:LISTED]) + (", …" if len(installed) > LISTED else "")
                hints.append(_("The server has: {models}.").format(models=names))
            else:
                hints.append(_("The server lists no models."))
        super().__init__(_("Model '{model}' is not available on the server at {host}.").format(model=shown, host=cut(host)),
                         "\n".join(hints))
        self.model = model
        self.host = host
        self.suggestions = close
        self.installed = installed
        self.can_pull = can_pull


def installed(backend: Backend) -> list[str]:
    """The server's models, to suggest or list them; nothing when they can't be had."""
    try:
        return backend.list_models()
    except BackendError:
        return []


def suggest_models(name: str, installed: list[str]) -> list[str]:
    """Installed models a user probably meant: the same name with another tag (`gemma3` -> `gemma3:1b`),
    then near spellings. Pure."""
    import difflib

    base = name.split(":", 1)[0].lower()
    bases = {m: m.split(":", 1)[0].lower() for m in installed if m != name}
    for matches in (
        lambda b: b == base,  # another tag of the same model
        lambda b: base in b,  # a part of its name (`llama` -> llama3.2:latest)
    ):
        found = [m for m, b in bases.items() if matches(b)]
        if found:
            return found[:3]
    close = difflib.get_close_matches(base, list(set(bases.values())), n=3, cutoff=0.6)
    return [m for b in close for m, mb in bases.items() if mb == b][:3]


# -- a server's numbers, checked --------------------------------------------------------------------------


def window_value(value: object) -> int | None:
    """A context window (or a count of tokens) as a server gave it, if it can be one: a whole number from 1 to
    MAX_WINDOW (an integral JSON float too). 0, negative, absurd, text or true: None."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_WINDOW:
        return value
    return None


def count(value: object) -> int:
    """A count the server sent (tokens, bytes, nanoseconds): a whole number, else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def shown_value(value: object) -> str:
    """A value the server sent, as a message quotes it: JSON-like, and short."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()  # as the JSON said it
    return shorten(repr(value) if isinstance(value, str) else str(value), 40)


# -- a server's words, made fit to show -------------------------------------------------------------------

SHOWN_ERROR = 300  # characters of a server's error text shown to the user
_SURROGATE = re.compile("[\ud800-\udfff]")


def server_text(value: object) -> str:
    """A string from the server, with lone surrogates (valid JSON, invalid Unicode) made U+FFFD, so that it
    can be printed, saved and sent back."""
    text = str(value)
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def shorten(text: str, limit: int = SHOWN_ERROR) -> str:
    """A server's text cut to `limit` characters, saying how much more there was."""
    return cut(server_text(text), limit)
