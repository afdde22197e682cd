"""What OpenAI-compatible servers' failures are called (`http.Dialect`): the words for what any request can
meet, and the reading of their error answers (a refused key, a missing model, a prompt too long, a limit on
requests). The key never appears: a refused one is named by the variable it came from, and any server text
that echoes it has it blanked out (`shown`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ollama_chat.backends.base import (
    SHOWN_ERROR,
    Backend,
    BackendError,
    BadAddress,
    ContextOverflow,
    KeyRefused,
    ModelNotFound,
    Seen,
    ServerError,
    ServerUnreachable,
    WrongServer,
    installed,
    shorten,
)
from ollama_chat.backends.network import causes
from ollama_chat.backends.openai_wire import APIError, api_error, is_overflow, overflow_numbers
from ollama_chat.backends.streaming import decode_json
from ollama_chat.i18n import _

API = "openai"


class OpenAIDialect:
    """The dialect of the server at `host` (as messages echo it), sent `key` from `key_env`; `backend` lists its
    models."""

    def __init__(self, backend: Backend, host: str, key: str | None, key_env: str,
                 said_window: Callable[[str, int], None] = lambda model, window: None) -> None:
        self._backend = backend
        self._said_window = said_window  # a window the server told in a refusal, to be kept for the next run
        self._host = host
        self._key = key
        self._key_env = key_env

    def shown(self, text: str, limit: int = SHOWN_ERROR) -> str:
        """A server's text as shown to the user: the key blanked out if the server echoed it, then shortened."""
        if self._key and len(self._key) >= 4:
            text = text.replace(self._key, "***")
        return shorten(text, limit)

    # -- what any request can meet --------------------------------------------------------------------------

    def server(self) -> str:
        return _("The server at {host}").format(host=self._host)

    def bad_address(self) -> BadAddress:
        return BadAddress(_("The address {host} is not valid.").format(host=self._host),
                          _("Give the API's base URL, e.g. http://127.0.0.1:8000/v1."), api=API)

    def unreachable(self, reason: str) -> ServerUnreachable:
        return ServerUnreachable(_("Cannot reach the server at {host} ({reason}).").format(host=self._host, reason=reason),
                                 _("Is it running? Check the API's base URL, e.g. http://127.0.0.1:8000/v1."),
                                 api=API, reason=reason)

    def insecure(self, error: Exception) -> ServerUnreachable:
        import ssl

        if any(isinstance(e, ssl.SSLCertVerificationError) for e in causes(error)):
            reason = _("its certificate could not be verified")
            hint = _("If it is signed by a private authority, set REQUESTS_CA_BUNDLE to that authority's certificate file.")
        else:
            reason = _("the TLS handshake failed")
            hint = _("Check the address: does this port speak https://, or plain http://?")
        return ServerUnreachable(_("Cannot reach the server at {host} securely ({reason}).").format(host=self._host, reason=reason),
                                 hint, api=API, reason=reason)

    def failed(self, error: Exception) -> BackendError:
        return BackendError(_("Could not talk to the server at {host}: {error}.").format(host=self._host, error=type(error).__name__))

    def not_http(self) -> WrongServer:
        return WrongServer(
            _("The server at {host} answered, but its answer was not HTTP.").format(host=self._host),
            _("Something other than an OpenAI-compatible API listens there: check the address's port, and http:// or"
              " https://."), api=API, seen=Seen.NOT_HTTP)

    def redirect(self, url: str, status: int, location: str) -> WrongServer:
        return WrongServer(
            _("The server at {host} answered {url} with a redirect (HTTP {status}) to {location}.").format(
                host=self._host, url=url, status=status, location=self.shown(location, 120)),
            _("Give the API's base URL itself, e.g. http://127.0.0.1:8000/v1 (perhaps the one it redirects to)."),
            api=API, seen=Seen.REDIRECT)

    def too_large(self, status: int, limit: int) -> WrongServer:
        return WrongServer(
            _("The server at {host} sent an answer (HTTP {status}) larger than {size} MiB.").format(
                host=self._host, status=status, size=limit // (1024 * 1024)),
            _("Give the API's base URL, e.g. http://127.0.0.1:8000/v1."), api=API, seen=Seen.TOO_LARGE)

    def wrong_server(self, head: bytes, status: int = 200) -> WrongServer:
        sample = " ".join(self.shown(head[:4096].decode("utf-8", "replace")).split())[:60]
        hint = (_("A proxy in front of the API may have lost it: check that the server behind it is running.") if status >= 500
                else _("Check the address: it is the API's base URL, e.g. http://127.0.0.1:8000/v1 (with the /v1)."))
        return WrongServer(
            _("The server at {host} does not answer like an OpenAI-compatible API (HTTP {status}, it sent: {sample}).").format(
                host=self._host, status=status, sample=repr(sample)), hint, api=API)

    # -- its error answers ----------------------------------------------------------------------------------

    def refused(self, response: Any, model: str | None, body: Callable[[], bytes]) -> BackendError:
        status = response.status_code
        answer = body()
        try:
            obj = decode_json(answer)
        except ValueError:
            obj = None
        error = api_error(obj, loose=True)
        if status in (401, 403):
            return self._key_refused(status, self.shown(error.message) if error else "")
        if error is None or status == 404 and api_error(obj) is None:  # a web page, a proxy, a route that is not there
            return self.wrong_server(answer, status=status)
        text = self.shown(error.message)
        if model and (status == 404 or error.code == "model_not_found"):
            names = installed(self._backend)
            if model not in names:  # a listed model the server still refuses: its own words say why
                return ModelNotFound(model, self._host, names, can_pull=False)
        if status in (400, 413) and is_overflow(error):
            return self.overflow(error, model or "", status)
        hint = ""
        if status == 429:
            wait = response.headers.get("Retry-After", "").strip()
            hint = (_("The server is limiting requests; it asks to wait {seconds} s.").format(seconds=wait) if wait.isdigit()
                    else _("The server is limiting requests (or the account's quota is used up); wait a moment and try again."))
        elif status == 503:
            hint = _("The server is busy; wait a moment and try again.")
        elif status >= 500:
            hint = _("Check the server's log.")
        return ServerError(_("The server at {host} answered HTTP {status}: {text}").format(host=self._host, status=status, text=text),
                           hint, status=status, text=text)

    def overflow(self, error: APIError, model: str, status: int = 0) -> ContextOverflow:
        """The prompt is longer than the model's window, with the window and the prompt's length where the
        server said them (llama.cpp, vLLM), so the client can learn them and send what fits."""
        text = self.shown(error.message)
        window, prompt = overflow_numbers(error)
        if window:
            self._said_window(model, window)
        return ContextOverflow(
            _("The question and the conversation sent with it do not fit {model}'s context window: {text}").format(
                model=model, text=text),
            status=status, text=text, window=window, prompt_tokens=prompt, fixed_window=True)

    def _key_refused(self, status: int, text: str) -> KeyRefused:
        text = text or _("no reason given")
        var = self._key_env
        if self._key:
            return KeyRefused(
                _("The server at {host} refused the key in ${var} (HTTP {status}): {text}").format(
                    host=self._host, var=var, status=status, text=text),
                _("Check that ${var} holds a key this server accepts.").format(var=var),
                status=status, text=text, key_env=var, sent=True)
        return KeyRefused(
            _("The server at {host} wants a key (HTTP {status}), and none was sent: {text}").format(
                host=self._host, status=status, text=text),
            _("Set {var} to the key.").format(var=var), status=status, text=text, key_env=var)
