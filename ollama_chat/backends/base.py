"""The seam between the chat and a server: what every backend offers, and the errors they all map into.

The session, the REPL and one-shot mode talk to a `Backend`; none of them knows a URL, a status code or a
wire format. Network failures are told apart by exception type and errno (`network_reason`), never by
matching an error's English text.
"""

from __future__ import annotations

import errno
import re
import socket
from collections.abc import Iterator
from typing import Protocol

from ollama_chat.errors import ChatError, UsageError, cut
from ollama_chat.i18n import _
from ollama_chat.options import MAX_WINDOW
from ollama_chat.types import ChatEvent, ChatRequest, ModelInfo, PullProgress
from ollama_chat.text import one_line


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


class ServerUnreachable(BackendError):
    pass


class ReadTimeout(BackendError):
    pass


class WrongServer(BackendError):
    """Whatever answered does not speak the expected API (a web server, a proxy, the wrong port)."""


class ServerError(BackendError):
    """An error status with the server's own error text."""

    def __init__(self, message: str, hint: str = "", *, status: int = 0, text: str = "") -> None:
        super().__init__(message, hint)
        self.status = status
        self.text = text


class ContextOverflow(ServerError):
    """The prompt is longer than the model's window (asked with `truncate: false`, the server refuses instead
    of silently dropping the oldest messages). `window` and `prompt_tokens`: what the server said of them, when
    it did (llama.cpp and vLLM do; Ollama does not)."""

    def __init__(self, message: str, hint: str = "", *, status: int = 0, text: str = "", window: int | None = None,
                 prompt_tokens: int | None = None) -> None:
        super().__init__(message, hint, status=status, text=text)
        self.window = window
        self.prompt_tokens = prompt_tokens


class KeyRefused(ServerError):
    """The server wants an API key (HTTP 401/403): none was sent, or it refused the one sent. The message names
    the variable the key came from, never the key."""


class Unsupported(BackendError, UsageError):
    """The server's API has no way to do what was asked (an option, a format): refused before anything is sent,
    never dropped silently. A usage error: the user changes the setting."""


class IncompleteReply(BackendError):
    """The reply failed after it started. What arrived before has been shown and is the caller's to keep."""


class ModelNotFound(BackendError):
    def __init__(self, model: str, host: str, installed: list[str] | None = None) -> None:
        close = suggest_models(model, installed or [])
        shown = one_line(cut(model))  # a name from a file or the server: it cannot print a line of its own
        if close:
            hint = _("Did you mean {models}?").format(models=_(" or ").join(one_line(m) for m in close))
        else:
            hint = _("Download it with:  ollama-chat models pull {model}\n(/pull {model} in the chat, --pull with a question;"
                     " or choose another model: `ollama-chat models` lists what you have)").format(model=shown)
        super().__init__(_("Model '{model}' is not available on the server at {host}.").format(model=shown, host=cut(host)),
                         hint)
        self.model = model
        self.suggestions = close


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


# -- telling network failures apart -----------------------------------------------------------------------


def _errno_reasons() -> dict[int, str]:
    """Reasons by errno, in the interface's language (built when asked, after the language is chosen)."""
    return {
        errno.ECONNREFUSED: _("connection refused"),
        errno.ECONNRESET: _("the connection was reset"),
        errno.EHOSTUNREACH: _("no route to host"),
        errno.ENETUNREACH: _("network unreachable"),
        errno.ETIMEDOUT: _("the connection timed out"),
        errno.EADDRNOTAVAIL: _("address not available"),
    }


def causes(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps: __cause__, __context__, and the `reason`/first argument that
    requests and urllib3 use to carry the underlying error."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for inner in (e.__cause__, e.__context__, getattr(e, "reason", None), *(e.args[:1] if e.args else ())):
            if isinstance(inner, BaseException):
                todo.append(inner)


def network_reason(error: BaseException) -> str:
    """A short reason for a failed connection, from the exception types and errno values it wraps."""
    import http.client

    reasons = _errno_reasons()
    for e in causes(error):
        if isinstance(e, socket.gaierror):
            if e.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -2)):
                return _("unknown host name")
            return _("host name lookup failed")
        if isinstance(e, OSError) and e.errno in reasons:
            return reasons[e.errno]
        if isinstance(e, http.client.RemoteDisconnected):
            return _("the server closed the connection")
        if type(e).__name__ == "NameResolutionError":  # urllib3 2: wraps gaierror, found above when present
            return _("host name lookup failed")
    return _("connection failed")


def not_http(error: BaseException) -> bool:
    """Something answered, but not in HTTP: no status line http.client could read (`HELLO`, a TLS alert, binary),
    or headers past its limits. Told by exception type; a server that closed without a word is not this."""
    import http.client

    for e in causes(error):
        if isinstance(e, http.client.RemoteDisconnected):
            return False
        if isinstance(e, (http.client.BadStatusLine, http.client.LineTooLong, http.client.UnknownProtocol)):
            return True
    return False
