"""Ollama's own API: /api/chat (streamed NDJSON), /api/tags, /api/show. Knows nothing of terminals; every
failure becomes one of `backends.base`'s errors, worded with the host and model that were tried."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ollama_chat.backends.base import (
    BackendError,
    ContextOverflow,
    IncompleteReply,
    ModelNotFound,
    ReadTimeout,
    ServerError,
    ServerUnreachable,
    WrongServer,
    network_reason,
    not_http,
    shorten,
    window_value,
)
from ollama_chat.backends.deadline import INF, Deadline, Stall, deadline_of, stall_error
from ollama_chat.backends.hosts import DEFAULT_HOST, full_name
from ollama_chat.backends.ndjson import BadStream, StreamCut, StreamTimeout, decode_json, json_lines
from ollama_chat.backends.streaming import OneReply, TooLarge, incomplete_reply, read_body
from ollama_chat.errors import cut
from ollama_chat.backends.ollama_models import listing_from, model_info_from, pull_progress_from, server_text as _text
from ollama_chat.i18n import _
from ollama_chat.types import ChatEvent, ChatRequest, Message, ModelInfo, PullProgress, Stats

CONNECT_TIMEOUT = 5.0
MAX_BODY = 16 * 1024 * 1024  # an answer that is not a stream (/api/show, stream: false)
MAX_LISTING = 128 * 1024 * 1024  # /api/tags: some 400 bytes a model, so 100,000 models are 40 MB
MAX_ERROR_BODY = 1024 * 1024  # what is read of an error answer


# -- the wire format, both ways (pure) ---------------------------------------------------------------------


def wire_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.images:
        out["images"] = list(message.images)
    if message.tool_calls:
        out["tool_calls"] = [dict(call) for call in message.tool_calls]
    return out


def request_body(request: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [wire_message(m) for m in request.messages],
        "stream": request.stream,
    }
    if request.options:
        body["options"] = dict(request.options)
    for key in ("format", "think", "keep_alive"):
        value = getattr(request, key)
        if value is not None:
            body[key] = value
    if not request.truncate:
        body["truncate"] = False
    return body


class LineError(Exception):
    """A line with an `error` key: the server gave up mid-stream."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class NotChat(Exception):
    """A JSON value that is not a chat object."""


_STAT_FIELDS = ("eval_count", "eval_duration", "prompt_eval_count", "prompt_eval_duration", "load_duration", "total_duration")


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def stats_from(obj: dict[str, Any]) -> Stats:
    return Stats(done_reason=str(obj.get("done_reason") or ""), **{k: _int(obj.get(k)) for k in _STAT_FIELDS})




def event_from(obj: object) -> ChatEvent:
    """A decoded chat object (a stream line, or the whole non-streamed reply) as a ChatEvent."""
    if not isinstance(obj, dict):
        raise NotChat()
    if "error" in obj:
        raise LineError(shorten(str(obj["error"])))
    message = obj.get("message")
    if not isinstance(message, dict):
        if "done" not in obj:
            raise NotChat()
        message = {}
    content = message.get("content") or ""
    thinking = message.get("thinking") or ""
    stats = stats_from(obj) if obj.get("done") else None
    return ChatEvent(content=_text(content), thinking=_text(thinking), stats=stats)


# -- the stream -------------------------------------------------------------------------------------------


class OllamaChatStream:
    """An open /api/chat stream: events as they arrive; any failure after the start is IncompleteReply."""

    def __init__(self, backend: OllamaBackend, response: Any, model: str) -> None:
        self._backend = backend
        self._response = response
        self._model = model
        self._received = 0  # characters of content so far, for the error message (the text is the caller's)

    def __iter__(self) -> Iterator[ChatEvent]:
        deadline = deadline_of(self._response) or Deadline(INF)
        idle = False  # lines with nothing in them came since the last piece (they do not count as progress)
        try:
            for obj in json_lines(self._response):
                event = event_from(obj)
                if not (event.content or event.thinking or event.done):
                    idle = True
                    continue
                idle = False
                self._received += len(event.content)
                deadline.hold()  # the screen's time is not the server's
                yield event
                if event.done:
                    return
                deadline.push()
        except LineError as e:
            raise self._incomplete(_("Ollama reported an error: {text}").format(text=e.text)) from None
        except NotChat:
            raise self._incomplete(_("the server sent something that is not Ollama's stream")) from None
        except BadStream as e:
            raise self._incomplete(e.what) from None
        except StreamTimeout as e:
            stall = Stall.EMPTY if e.stall is Stall.NOTHING and idle else e.stall
            raise self._backend.timeout_error(stall, deadline.timeout) from None
        except StreamCut as e:
            raise self._incomplete(e.what) from None
        finally:
            self.close()
        raise self._incomplete(_("the stream ended before Ollama said it was done"))

    def _incomplete(self, what: str) -> IncompleteReply:
        return incomplete_reply(self._model, self._received, what, _("Ask again; if it keeps happening, check the Ollama server's log ({host}).").format(
            host=self._backend.host))

    def close(self) -> None:
        self._response.close()
        deadline = deadline_of(self._response)
        if deadline is not None:
            deadline.done()


# -- the backend ------------------------------------------------------------------------------------------


class OllamaBackend:
    can_pull = True
    fixed_window = False  # each model is loaded with the num_ctx it is asked for
    describes_each = True  # /api/tags says no windows or capabilities: one /api/show each
    def __init__(self, host: str = DEFAULT_HOST, timeout: float = 300.0) -> None:
        from ollama_chat.backends.http import make_session

        self.host = host.rstrip("/")
        self.shown_host = cut(self.host)  # as messages echo it
        self.timeout = timeout
        self._session = make_session()

    def chat(self, request: ChatRequest) -> OllamaChatStream | OneReply:
        response = self._request("POST", "/api/chat", json=request_body(request), model=request.model)
        if not request.stream:
            body = self._body(response)
            try:
                return OneReply(event_from(decode_json(body)))
            except (ValueError, NotChat):
                raise self._wrong_server(body) from None
            except LineError as e:
                raise ServerError(_("Ollama at {host} answered with an error: {text}").format(host=self.shown_host, text=e.text),
                                  text=e.text) from None
        if "json" not in response.headers.get("Content-Type", ""):
            head = self._body(response, 80, head=True)
            raise self._wrong_server(head)
        return OllamaChatStream(self, response, request.model)

    def list_models(self) -> list[str]:
        return [m.name for m in self.models()]

    def models(self) -> list[ModelInfo]:
        """The installed models with their sizes and details (not their windows: that is one /api/show each)."""
        body = self._body(self._request("GET", "/api/tags"), MAX_LISTING)
        try:
            return listing_from(decode_json(body))
        except ValueError:
            raise self._wrong_server(body) from None

    def pull(self, name: str) -> Iterator[PullProgress]:
        """Download a model, step by step. A failure (an unknown name fails after "pulling manifest") raises
        ServerError; closing the iterator (Ctrl+C) drops the connection, which stops the pull."""
        response = self._request("POST", "/api/pull", json={"model": name, "stream": True}, model=name)
        deadline = deadline_of(response) or Deadline(INF)
        try:
            for obj in json_lines(response):
                try:
                    progress = pull_progress_from(obj)
                except ValueError as e:
                    raise ServerError(
                        _("Pulling {name} from {host} failed: {reason}.").format(name=name, host=self.shown_host, reason=shorten(str(e))),
                        _("Check the name (ollama.com/library lists the models), and the server's network."),
                    ) from None
                deadline.hold()
                yield progress
                if progress.status == "success":
                    return
                deadline.push()
        except (BadStream, StreamCut) as e:
            raise ServerError(_("Pulling {name} failed: {reason}.").format(name=name, reason=e.what)) from None
        except StreamTimeout as e:
            raise self.timeout_error(e.stall, deadline.timeout) from None
        finally:
            response.close()
            deadline.done()
        raise ServerError(_("Pulling {name} ended before the server said it succeeded.").format(name=name), _("Pull it again: it resumes."))

    def model_info(self, name: str, timeout: float | None = None) -> ModelInfo:
        body = self._body(self._request("POST", "/api/show", json={"model": name}, model=name, timeout=timeout))
        try:
            return model_info_from(full_name(name), decode_json(body))
        except ValueError:
            raise self._wrong_server(body) from None

    def loaded_window(self, name: str, timeout: float | None = None) -> int | None:
        body = self._body(self._request("GET", "/api/ps", timeout=timeout))
        try:
            models = decode_json(body)["models"]
            want = full_name(name)
            window = next((m.get("context_length") for m in models if full_name(_text(m.get("name"))) == want), None)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise self._wrong_server(body) from None
        return window_value(window)

    def _body(self, response: Any, limit: int = MAX_BODY, *, head: bool = False) -> bytes:
        """A whole (non-streamed) answer, read up to `limit` bytes after decompression (`head`: its first
        `limit` bytes, the rest dropped)."""
        try:
            return read_body(response, limit, head=head)
        except TooLarge:
            raise WrongServer(
                _("The server at {host} sent an answer (HTTP {status}) larger than "
                  "{size}; Ollama's answers are far smaller.").format(
                    host=self.shown_host, status=response.status_code, size=_size(limit)),
                _("Check --host / OLLAMA_HOST."),
            ) from None
        except StreamTimeout as e:
            deadline = deadline_of(response)
            raise self.timeout_error(e.stall, deadline.timeout if deadline else None) from None
        except StreamCut:
            raise self._unreachable(_("the connection was cut while reading the answer")) from None

    # -- requests ---------------------------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, model: str | None = None, timeout: float | None = None, **kwargs: Any) -> Any:
        import requests

        from ollama_chat.backends.http import send

        limit = min(timeout, self.timeout) if timeout else self.timeout  # a short wait never outlasts --timeout
        connect = min(CONNECT_TIMEOUT, limit)
        try:
            response = send(self._session, method, self.host + path, timeout=limit, connect_timeout=connect, **kwargs)
        except (requests.exceptions.InvalidURL, ValueError, UnicodeError):  # a host like "a..b" or a 300-letter label
            raise BackendError(
                _("The host in {host} is not a valid address.").format(host=self.shown_host),
                _("Give it as HOST, HOST:PORT or http(s)://HOST:PORT/PATH with --host or OLLAMA_HOST."),
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise self._unreachable(_("no answer within {seconds} s").format(seconds=f"{connect:g}")) from None
        except StreamTimeout as e:
            raise self.timeout_error(e.stall, limit) from None
        except requests.exceptions.ConnectionError as e:
            if not_http(e):
                raise self._not_http() from None
            raise self._unreachable(network_reason(e)) from None
        except requests.exceptions.RequestException as e:
            raise BackendError(_("Could not talk to Ollama at {host}: {error}.").format(host=self.shown_host, error=type(e).__name__)) from None
        if 300 <= response.status_code < 400:
            where = _text(response.headers.get("Location", _("somewhere else")))
            response.close()
            raise WrongServer(
                _("The server at {host} answered {url} with a redirect (HTTP {status}) "
                  "to {location}; Ollama does not redirect.").format(
                    host=self.shown_host, url=cut(self.host + path), status=response.status_code, location=shorten(where, 120)),
                _("Point --host / OLLAMA_HOST at the Ollama API itself (e.g. http://127.0.0.1:11434, with no path)."),
            )
        if response.status_code >= 400:
            self._raise_for_status(response, model)
        return response

    def _raise_for_status(self, response: Any, model: str | None) -> None:
        status = response.status_code
        body = self._body(response, MAX_ERROR_BODY) if status != 413 else b""
        said = _error_text(body)
        if said is None:  # not Ollama's error shape: a proxy, a web server, the wrong port
            raise self._wrong_server(body, status=status)
        text = shorten(said)
        if status == 404 and model and "not found" in said and model.split(":")[0] in said:
            raise ModelNotFound(model, self.shown_host, self._installed())
        if status == 400 and "exceeds the context length" in text:
            raise ContextOverflow(
                _("The question and the conversation sent with it are longer than {model}'s context window.").format(model=model),
                _("Shorten the question, /compact the conversation, or /set num_ctx higher."), status=status, text=text)
        hint = ""
        if "does not support thinking" in text:
            hint = _("This model can't think: drop --think (or /think off), or choose a model that can (e.g. qwen3, deepseek-r1).")
        elif status in (429, 503):
            hint = _("The server is busy; wait a moment and try again.")
        elif status >= 500:
            hint = _("Check the Ollama server's log; the model may have run out of memory.")
        raise ServerError(_("Ollama at {host} answered HTTP {status}: {text}").format(host=self.shown_host, status=status, text=text),
                          hint, status=status, text=text)

    def _installed(self) -> list[str]:
        """The server's models, to suggest one; nothing when they can't be had."""
        try:
            return self.list_models()
        except BackendError:
            return []

    # -- errors -----------------------------------------------------------------------------------------------

    def _unreachable(self, reason: str) -> ServerUnreachable:
        return ServerUnreachable(
            _("Cannot reach Ollama at {host} ({reason}).").format(host=self.shown_host, reason=reason),
            _("Is it running? Start it with `ollama serve` (or open the Ollama app), "
              "or point to it with --host / OLLAMA_HOST."),
        )

    def timeout_error(self, stall: Stall = Stall.NOTHING, waited: float | None = None) -> ReadTimeout:
        return stall_error(stall, _("Ollama at {host}").format(host=self.shown_host), waited or self.timeout)

    def _not_http(self) -> WrongServer:
        return WrongServer(
            _("The server at {host} answered, but its answer was not HTTP.").format(host=self.shown_host),
            _("Something other than Ollama listens there: check the port in --host / OLLAMA_HOST (Ollama's is 11434),"
              " and http:// or https://."),
        )

    def _wrong_server(self, head: bytes, status: int = 200) -> WrongServer:
        sample = " ".join(head[:60].decode("utf-8", "replace").split())
        return WrongServer(
            _("The server at {host} does not look like Ollama (HTTP {status}, it sent: {sample}).").format(
                host=self.shown_host, status=status, sample=repr(sample)),
            _("Check --host / OLLAMA_HOST: it should point to the Ollama API, e.g. http://127.0.0.1:11434. An"
              " OpenAI-compatible server (vLLM, llama.cpp, LM Studio) takes its base URL with /v1, or --api openai."),
        )


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n // 1024} KiB"


def _error_text(body: bytes) -> str | None:
    """Ollama's `{"error": ...}` text, or None when the body is something else."""
    try:
        obj = decode_json(body)
    except ValueError:
        return None
    if not isinstance(obj, dict) or "error" not in obj:
        return None
    error = obj["error"]
    if isinstance(error, dict):  # OpenAI's shape: this is an OpenAI-compatible server, not Ollama
        return None
    return str(error)
