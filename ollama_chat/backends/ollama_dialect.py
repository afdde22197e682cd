"""What Ollama's failures are called (`http.Dialect`): the words for what any request can meet, and the reading
of its error answers (`{"error": "..."}`: a missing model, a prompt too long, a model that cannot think).
Where the address is set is the surface's to say: the errors about it carry `api` instead of that hint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ollama_chat.backends.base import (
    Backend,
    BackendError,
    BadAddress,
    CannotThink,
    CannotUseTools,
    ContextOverflow,
    ModelNotFound,
    Seen,
    ServerError,
    ServerUnreachable,
    WrongServer,
    installed,
    shorten,
)
from ollama_chat.backends.ollama_wire import error_text
from ollama_chat.i18n import _

API = "ollama"


class OllamaDialect:
    """Ollama's dialect, for the server at `host` (as messages echo it); `backend` lists its models."""

    def __init__(self, backend: Backend, host: str) -> None:
        self._backend = backend
        self._host = host

    def server(self) -> str:
        return _("Ollama at {host}").format(host=self._host)

    def bad_address(self) -> BadAddress:
        return BadAddress(_("The host in {host} is not a valid address.").format(host=self._host), api=API)

    def unreachable(self, reason: str) -> ServerUnreachable:
        return ServerUnreachable(_("Cannot reach Ollama at {host} ({reason}).").format(host=self._host, reason=reason),
                                 api=API, reason=reason)

    def insecure(self, error: Exception) -> None:
        return None  # a TLS failure is worded as any failure to connect

    def failed(self, error: Exception) -> BackendError:
        return BackendError(_("Could not talk to Ollama at {host}: {error}.").format(host=self._host, error=type(error).__name__))

    def not_http(self) -> WrongServer:
        return WrongServer(_("The server at {host} answered, but its answer was not HTTP.").format(host=self._host),
                           api=API, seen=Seen.NOT_HTTP)

    def redirect(self, url: str, status: int, location: str) -> WrongServer:
        return WrongServer(
            _("The server at {host} answered {url} with a redirect (HTTP {status}) to {location}; Ollama does not"
              " redirect.").format(host=self._host, url=url, status=status, location=shorten(location, 120)),
            api=API, seen=Seen.REDIRECT)

    def too_large(self, status: int, limit: int) -> WrongServer:
        size = f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
        return WrongServer(
            _("The server at {host} sent an answer (HTTP {status}) larger than {size}; Ollama's answers are far"
              " smaller.").format(host=self._host, status=status, size=size), api=API, seen=Seen.TOO_LARGE)

    def wrong_server(self, head: bytes, status: int = 200) -> WrongServer:
        sample = " ".join(head[:60].decode("utf-8", "replace").split())
        return WrongServer(
            _("The server at {host} does not look like Ollama (HTTP {status}, it sent: {sample}).").format(
                host=self._host, status=status, sample=repr(sample)), api=API)

    def refused(self, response: Any, model: str | None, body: Callable[[], bytes]) -> BackendError:
        status = response.status_code
        answer = body() if status != 413 else b""
        said = error_text(answer)
        if said is None:  # not Ollama's error shape: a proxy, a web server, the wrong port
            return self.wrong_server(answer, status=status)
        text = shorten(said)
        if status == 404 and model and "not found" in said and model.split(":")[0] in said:
            return ModelNotFound(model, self._host, installed(self._backend))
        if status == 400 and "exceeds the context length" in text:
            return ContextOverflow(
                _("The question and the conversation sent with it are longer than {model}'s context window.").format(model=model),
                status=status, text=text)
        message = _("Ollama at {host} answered HTTP {status}: {text}").format(host=self._host, status=status, text=text)
        if "does not support thinking" in text:
            return CannotThink(message, status=status, text=text, model=model or "")
        if status == 400 and "does not support tools" in text:  # "registry.ollama.ai/library/NAME does not support tools"
            return CannotUseTools(_("{model} cannot call tools: Ollama at {host} says it does not support them.").format(
                model=model, host=self._host), status=status, text=text, model=model or "")
        hint = ""
        if status in (429, 503):
            hint = _("The server is busy; wait a moment and try again.")
        elif status >= 500:
            hint = _("Check the Ollama server's log; the model may have run out of memory.")
        return ServerError(message, hint, status=status, text=text)
