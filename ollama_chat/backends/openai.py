"""OpenAI-compatible servers (vLLM, llama.cpp, LM Studio, OpenAI itself): POST /chat/completions streamed as
Server-Sent Events, GET /models. Knows nothing of terminals; every failure becomes one of `backends.base`'s
errors, worded with the address and model tried.

The key goes as `Authorization: Bearer KEY`. No message ever shows it: a refused key is named by the variable
it came from (`key_env`), and any server text that echoes it has it blanked out. `https://` addresses have
their certificates verified (REQUESTS_CA_BUNDLE names a private authority's). The address is the API's base
URL (`openai_wire.base_url`): `http://127.0.0.1:8000/v1`, or `http://127.0.0.1:8000`, which means the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ollama_chat.backends.base import (
    BackendError,
    ContextOverflow,
    IncompleteReply,
    KeyRefused,
    ModelNotFound,
    ReadTimeout,
    ServerError,
    ServerUnreachable,
    WrongServer,
    causes,
    SHOWN_ERROR,
    network_reason,
    not_http,
    shorten,
)
from ollama_chat.backends.deadline import INF, Deadline, Stall, deadline_of, stall_error
from ollama_chat.backends.openai_wire import (
    DEFAULT_KEY_ENV,
    APIError,
    ErrorSaid,
    NotChunk,
    api_error,
    base_url,
    delta_from,
    is_overflow,
    models_from,
    overflow_numbers,
    request_body,
    stats_from,
)
from ollama_chat.backends.openai_props import props_window
from ollama_chat.backends.sse import sse_events
from ollama_chat.errors import cut
from ollama_chat.backends.streaming import (BadStream, OneReply, StreamCut, StreamTimeout, TooLarge, decode_json,
                                            incomplete_reply, read_body)
from ollama_chat.i18n import _
from ollama_chat.types import ChatEvent, ChatRequest, ModelInfo, PullProgress
from ollama_chat.text import one_line

CONNECT_TIMEOUT = 5.0
MAX_BODY = 16 * 1024 * 1024  # an answer that is not a stream (/models, stream: false)
MAX_ERROR_BODY = 1024 * 1024  # what is read of an error answer
LISTED = 10  # models named when the one asked for is missing


class OpenAIChatStream:
    """An open /chat/completions stream: content and reasoning as they arrive, then one event with the stats.
    The end is `data: [DONE]` (or, from a server that leaves it out, the end of the stream after a finish
    reason); any failure after the start is IncompleteReply."""

    def __init__(self, backend: OpenAIBackend, response: Any, model: str) -> None:
        self._backend = backend
        self._response = response
        self._model = model
        self._received = 0  # characters of content so far, for the error message (the text is the caller's)

    def __iter__(self) -> Iterator[ChatEvent]:
        finish, usage = "", None
        deadline = deadline_of(self._response) or Deadline(INF)
        events = 0
        idle = False  # events with nothing in them came since the last piece (after the first, the role's)
        try:
            for event in sse_events(self._response):
                if event.data.strip() == "[DONE]":
                    break
                if event.event == "error":
                    raise ErrorSaid(_error_event(event.data))
                try:
                    obj = decode_json(event.data)
                except ValueError:
                    if not event.complete:
                        raise StreamCut(_("the stream ended in the middle of an event")) from None
                    raise BadStream(_("the server sent an event that is not JSON")) from None
                delta = delta_from(obj)
                usage = delta.usage or usage
                events += 1
                if delta.finish_reason:
                    finish = delta.finish_reason
                    deadline.push()
                if delta.content or delta.thinking:
                    idle = False
                    self._received += len(delta.content)
                    deadline.hold()  # the screen's time is not the server's
                    yield ChatEvent(content=delta.content, thinking=delta.thinking)
                    deadline.push()
                elif not delta.finish_reason and events > 1:
                    idle = True
            else:
                if not finish:
                    raise StreamCut(_("the stream ended before the server said it was done"))
        except ErrorSaid as e:
            if self._received == 0 and is_overflow(e.error):  # refused as too long once the stream had started
                raise self._backend.overflow(e.error, self._model) from None
            raise self._incomplete(_("the server reported an error: {text}").format(
                text=self._backend.shown(e.error.message))) from None
        except NotChunk:
            raise self._incomplete(_("the server sent something that is not an OpenAI-compatible stream")) from None
        except (BadStream, StreamCut) as e:
            raise self._incomplete(e.what) from None
        except StreamTimeout as e:
            stall = Stall.COMMENTS if e.stall is Stall.NOTHING and idle else e.stall
            raise self._backend.timeout_error(stall, deadline.timeout) from None
        finally:
            self.close()
        yield ChatEvent(stats=stats_from(finish, usage))

    def _incomplete(self, what: str) -> IncompleteReply:
        return incomplete_reply(self._model, self._received, what, _("Ask again; if it keeps happening, check the server's log ({host}).").format(
            host=self._backend.host))

    def close(self) -> None:
        self._response.close()
        deadline = deadline_of(self._response)
        if deadline is not None:
            deadline.done()


def _error_event(data: str) -> APIError:
    """An `event: error` event's data: an error object, or plain text."""
    try:
        error = api_error(decode_json(data), loose=True)
    except ValueError:
        error = None
    return error or APIError(data)


class OpenAIBackend:
    can_pull = False  # the server's models are what it was started with
    fixed_window = True  # the server runs each model with one window, which /models reports
    describes_each = False  # /models says all there is
    def __init__(self, host: str, api_key: str | None = None, key_env: str = DEFAULT_KEY_ENV,
                 timeout: float = 300.0) -> None:
        from ollama_chat.backends.http import Bearer, make_session

        try:
            self.host = base_url(host)
        except ValueError as e:
            raise BackendError(_("The address {host} is not valid: {reason}.").format(host=cut(host), reason=e),
                               _("Give the API's base URL, e.g. http://127.0.0.1:8000/v1.")) from None
        self.shown_host = cut(self.host)  # as messages echo it
        self.key_env = key_env
        self.timeout = timeout
        self._key = api_key or None
        self._listing: list[ModelInfo] | None = None  # the last /models answer, for model_info
        self._props: int | None = None  # llama.cpp's window from /props: None not asked yet, 0 not said
        self._session = make_session()
        if self._key:
            self._session.auth = Bearer(self._key)

    def chat(self, request: ChatRequest) -> OpenAIChatStream | OneReply:
        body = request_body(request)  # an option the API cannot take is refused before anything is sent
        response = self._request("POST", "/chat/completions", json=body, model=request.model)
        if request.stream and "text/event-stream" in response.headers.get("Content-Type", ""):
            return OpenAIChatStream(self, response, request.model)
        raw = self._body(response)  # stream: false, or a server that answered with one object anyway
        try:
            delta = delta_from(decode_json(raw))
        except (ValueError, NotChunk):
            raise self._wrong_server(raw) from None
        except ErrorSaid as e:
            text = self.shown(e.error.message)
            raise ServerError(_("The server at {host} answered with an error: {text}").format(host=self.shown_host, text=text),
                              text=text) from None
        return OneReply(ChatEvent(content=delta.content, thinking=delta.thinking,
                                  stats=stats_from(delta.finish_reason, delta.usage)))

    def models(self) -> list[ModelInfo]:
        """What the server serves, with the window where it says (vLLM's `max_model_len`)."""
        return self._fetch_models()

    def list_models(self) -> list[str]:
        return [m.name for m in self.models()]

    def model_info(self, name: str, timeout: float | None = None) -> ModelInfo:
        """From the model list: the last one, asked again when the name is not in it."""
        listing = self._listing
        if listing is None or all(m.name != name for m in listing):
            listing = self._fetch_models(timeout)
        info = next((m for m in listing if m.name == name), None)
        if info is None:
            raise self._not_found(name, [m.name for m in listing])
        return info

    def loaded_window(self, name: str, timeout: float | None = None) -> int | None:
        """The server fixes the window when it starts, so it is the model's: vLLM's `max_model_len`."""
        info = next((m for m in self._fetch_models(timeout) if m.name == name), None)
        return info.context_length if info else None

    def pull(self, name: str) -> Iterator[PullProgress]:
        """These servers serve the models they were started with: raises as soon as it is iterated."""
        raise BackendError(
            _("The server at {host} cannot download models.").format(host=self.shown_host),
            _("It serves the models it was started with (e.g. `vllm serve MODEL`); `ollama-chat models` lists them."),
        )
        yield  # a generator, like Ollama's pull: the error comes where the progress would

    def shown(self, text: str, limit: int = SHOWN_ERROR) -> str:
        """A server's text as shown to the user: the key blanked out if the server echoed it, then shortened."""
        if self._key and len(self._key) >= 4:
            text = text.replace(self._key, "***")
        return shorten(text, limit)

    # -- requests ---------------------------------------------------------------------------------------------

    def _fetch_models(self, timeout: float | None = None) -> list[ModelInfo]:
        body = self._body(self._request("GET", "/models", timeout=timeout))
        try:
            listing = models_from(decode_json(body))
        except ValueError:
            raise self._wrong_server(body) from None
        if len(listing) == 1 and listing[0].context_length is None:  # llama.cpp serves one model, its window at /props
            window = self._props_window(timeout)
            listing = [replace(listing[0], context_length=window)] if window else listing
        self._listing = listing
        return listing

    def _request(self, method: str, path: str, *, model: str | None = None, timeout: float | None = None, **kwargs: Any) -> Any:
        import requests

        from ollama_chat.backends.http import send

        limit = min(timeout, self.timeout) if timeout else self.timeout  # a short wait never outlasts --timeout
        connect = min(CONNECT_TIMEOUT, limit)
        try:
            response = send(self._session, method, self.host + path, timeout=limit, connect_timeout=connect, **kwargs)
        except (requests.exceptions.InvalidURL, ValueError, UnicodeError):
            raise BackendError(_("The address {host} is not valid.").format(host=self.shown_host),
                               _("Give the API's base URL, e.g. http://127.0.0.1:8000/v1.")) from None
        except requests.exceptions.SSLError as e:
            raise self._insecure(e) from None
        except requests.exceptions.ConnectTimeout:
            raise self._unreachable(_("no answer within {seconds} s").format(seconds=f"{connect:g}")) from None
        except StreamTimeout as e:
            raise self.timeout_error(e.stall, limit) from None
        except requests.exceptions.ConnectionError as e:
            if not_http(e):
                raise self._not_http() from None
            raise self._unreachable(network_reason(e)) from None
        except requests.exceptions.RequestException as e:
            raise BackendError(_("Could not talk to the server at {host}: {error}.").format(
                host=self.shown_host, error=type(e).__name__)) from None
        if 300 <= response.status_code < 400:
            where = self.shown(response.headers.get("Location", _("somewhere else")), 120)
            response.close()
            raise WrongServer(
                _("The server at {host} answered {url} with a redirect (HTTP {status}) to {location}.").format(
                    host=self.shown_host, url=cut(self.host + path), status=response.status_code, location=where),
                _("Give the API's base URL itself, e.g. http://127.0.0.1:8000/v1 (perhaps the one it redirects to)."),
            )
        if response.status_code >= 400:
            self._raise_for_status(response, model)
        return response

    def _body(self, response: Any, limit: int = MAX_BODY) -> bytes:
        try:
            return read_body(response, limit)
        except TooLarge:
            raise WrongServer(
                _("The server at {host} sent an answer (HTTP {status}) larger than {size} MiB.").format(
                    host=self.shown_host, status=response.status_code, size=limit // (1024 * 1024)),
                _("Give the API's base URL, e.g. http://127.0.0.1:8000/v1."),
            ) from None
        except StreamTimeout as e:
            deadline = deadline_of(response)
            raise self.timeout_error(e.stall, deadline.timeout if deadline else None) from None
        except StreamCut:
            raise self._unreachable(_("the connection was cut while reading the answer")) from None

    def _raise_for_status(self, response: Any, model: str | None) -> None:
        status = response.status_code
        body = self._body(response, MAX_ERROR_BODY)
        try:
            obj = decode_json(body)
        except ValueError:
            obj = None
        error = api_error(obj, loose=True)
        if status in (401, 403):
            raise self._key_refused(status, self.shown(error.message) if error else "")
        if error is None or status == 404 and api_error(obj) is None:  # a web page, a proxy, a route that is not there
            raise self._wrong_server(body, status=status)
        text = self.shown(error.message)
        if model and (status == 404 or error.code == "model_not_found"):
            installed = self._installed()
            if model not in installed:  # a listed model the server still refuses: its own words say why
                raise self._not_found(model, installed)
        if status in (400, 413) and is_overflow(error):
            raise self.overflow(error, model or "", status)
        hint = ""
        if status == 429:
            wait = response.headers.get("Retry-After", "").strip()
            hint = (_("The server is limiting requests; it asks to wait {seconds} s.").format(seconds=wait) if wait.isdigit()
                    else _("The server is limiting requests (or the account's quota is used up); wait a moment and try again."))
        elif status == 503:
            hint = _("The server is busy; wait a moment and try again.")
        elif status >= 500:
            hint = _("Check the server's log.")
        raise ServerError(_("The server at {host} answered HTTP {status}: {text}").format(host=self.shown_host, status=status, text=text),
                          hint, status=status, text=text)

    def overflow(self, error: APIError, model: str, status: int = 0) -> ContextOverflow:
        """The prompt is longer than the model's window, with the window and the prompt's length where the
        server said them (llama.cpp, vLLM), so the client can learn them and send what fits."""
        text = self.shown(error.message)
        window, prompt = overflow_numbers(error)
        return ContextOverflow(
            _("The question and the conversation sent with it do not fit {model}'s context window: {text}").format(
                model=model, text=text),
            _("Shorten the question or /compact the conversation. The server set the window when it started: start"
              " it with a bigger one (llama.cpp: --n_ctx N or -c N; vLLM: --max-model-len N)."),
            status=status, text=text, window=window, prompt_tokens=prompt)

    def _props_window(self, timeout: float | None) -> int | None:
        """llama.cpp's window from its /props, asked once (0: asked, and it did not say)."""
        if self._props is None:
            self._props = props_window(self._session, self.host, timeout or CONNECT_TIMEOUT) or 0
        return self._props or None

    def _installed(self) -> list[str]:
        """The server's models, to list them; nothing when they can't be had."""
        try:
            return self.list_models()
        except BackendError:
            return []

    # -- errors -----------------------------------------------------------------------------------------------

    def _key_refused(self, status: int, text: str) -> KeyRefused:
        text = text or _("no reason given")
        if self._key:
            return KeyRefused(
                _("The server at {host} refused the key in ${var} (HTTP {status}): {text}").format(
                    host=self.shown_host, var=self.key_env, status=status, text=text),
                _("Check that ${var} holds a key this server accepts.").format(var=self.key_env), status=status, text=text)
        return KeyRefused(
            _("The server at {host} wants a key (HTTP {status}), and none was sent: {text}").format(
                host=self.shown_host, status=status, text=text),
            _("Set {var} to the key.").format(var=self.key_env), status=status, text=text)

    def _not_found(self, model: str, installed: list[str]) -> ModelNotFound:
        error = ModelNotFound(model, self.shown_host, installed)
        if installed:
            names = ", ".join(one_line(n) for n in installed[:LISTED]) + (", …" if len(installed) > LISTED else "")
            listing = _("The server has: {models}.").format(models=names)
        else:
            listing = _("The server lists no models.")
        error.hint = f"{error.hint}\n{listing}" if error.suggestions else listing
        return error

    def _unreachable(self, reason: str) -> ServerUnreachable:
        return ServerUnreachable(
            _("Cannot reach the server at {host} ({reason}).").format(host=self.shown_host, reason=reason),
            _("Is it running? Check the API's base URL, e.g. http://127.0.0.1:8000/v1."),
        )

    def _insecure(self, error: BaseException) -> ServerUnreachable:
        import ssl

        if any(isinstance(e, ssl.SSLCertVerificationError) for e in causes(error)):
            reason = _("its certificate could not be verified")
            hint = _("If it is signed by a private authority, set REQUESTS_CA_BUNDLE to that authority's certificate file.")
        else:
            reason = _("the TLS handshake failed")
            hint = _("Check the address: does this port speak https://, or plain http://?")
        return ServerUnreachable(_("Cannot reach the server at {host} securely ({reason}).").format(host=self.shown_host, reason=reason), hint)

    def timeout_error(self, stall: Stall = Stall.NOTHING, waited: float | None = None) -> ReadTimeout:
        return stall_error(stall, _("The server at {host}").format(host=self.shown_host), waited or self.timeout)

    def _not_http(self) -> WrongServer:
        return WrongServer(
            _("The server at {host} answered, but its answer was not HTTP.").format(host=self.shown_host),
            _("Something other than an OpenAI-compatible API listens there: check the address's port, and http:// "
              "or https://."),
        )

    def _wrong_server(self, head: bytes, status: int = 200) -> WrongServer:
        sample = " ".join(self.shown(head[:4096].decode("utf-8", "replace")).split())[:60]
        hint = (_("A proxy in front of the API may have lost it: check that the server behind it is running.") if status >= 500
                else _("Check the address: it is the API's base URL, e.g. http://127.0.0.1:8000/v1 (with the /v1)."))
        return WrongServer(
            _("The server at {host} does not answer like an OpenAI-compatible API (HTTP {status}, it sent: {sample}).").format(
                host=self.shown_host, status=status, sample=repr(sample)),
            hint,
        )
