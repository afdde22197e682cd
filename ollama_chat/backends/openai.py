"""OpenAI-compatible servers (vLLM, llama.cpp, LM Studio, OpenAI itself): POST /chat/completions streamed as
Server-Sent Events, GET /models. Knows nothing of terminals; every failure becomes one of `backends.base`'s
errors, worded with the address and model tried (`openai_dialect`), over the HTTP layer both backends share
(`http.Client`).

The key goes as `Authorization: Bearer KEY`. No message ever shows it: a refused key is named by the variable
it came from (`key_env`), and any server text that echoes it has it blanked out. `https://` addresses have
their certificates verified (REQUESTS_CA_BUNDLE names a private authority's). The address is the API's base
URL (`openai_wire.base_url`): `http://127.0.0.1:8000/v1`, or `http://127.0.0.1:8000`, which means the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ollama_chat.backends.base import BadAddress, CannotPull, IncompleteReply, ModelNotFound, ServerError
from ollama_chat.backends.deadline import INF, Deadline, Stall, deadline_of
from ollama_chat.backends.openai_dialect import API, OpenAIDialect
from ollama_chat.backends.openai_props import props_window
from ollama_chat.backends.windows import LearntWindows
from ollama_chat.backends.openai_wire import (
    APIError,
    Delta,
    ErrorSaid,
    NotChunk,
    api_error,
    base_url,
    delta_from,
    is_overflow,
    models_from,
    request_body,
    stats_from,
)
from ollama_chat.backends.sse import sse_events
from ollama_chat.backends.streaming import (BadStream, OneReply, StreamCut, StreamTimeout, close_response, decode_json,
                                            incomplete_reply)
from ollama_chat.backends.tool_calls import ReplyCalls, ToolCallPieces
from ollama_chat.errors import cut
from ollama_chat.hosts import DEFAULT_KEY_ENV
from ollama_chat.i18n import _
from ollama_chat.types import ChatEvent, ChatRequest, ModelInfo, PullProgress



class OpenAIChatStream:
    """An open /chat/completions stream: content and reasoning as they arrive, then one event with the stats.
    The end is `data: [DONE]` (or, from a server that leaves it out, the end of the stream after a finish
    reason); any failure after the start is IncompleteReply. Tool calls arrive in pieces: they are given whole,
    in one event, when the message ends (its finish reason, or the end of the stream), before the stats."""

    def __init__(self, backend: OpenAIBackend, response: Any, model: str) -> None:
        self._backend = backend
        self._response = response
        self._model = model
        self._received = 0  # characters of content so far, for the error message (the text is the caller's)
        self._done = False  # `data: [DONE]` came

    def __iter__(self) -> Iterator[ChatEvent]:
        finish, usage = "", None
        deadline = deadline_of(self._response) or Deadline(INF)
        events = 0
        idle = False  # events with nothing in them came since the last piece (after the first, the role's)
        pieces, calls = ToolCallPieces(), ReplyCalls()
        try:
            for delta in self._deltas():
                usage = delta.usage or usage
                events += 1
                if delta.finish_reason:
                    finish = delta.finish_reason
                    deadline.push()
                for piece in delta.tool_pieces:
                    pieces.add(piece)
                if delta.tool_pieces:
                    idle = False
                    deadline.push()
                if delta.content or delta.thinking:
                    idle = False
                    self._received += len(delta.content)
                    deadline.hold()  # the screen's time is not the server's
                    yield ChatEvent(content=delta.content, thinking=delta.thinking)
                    deadline.push()
                elif not (delta.finish_reason or delta.tool_pieces) and events > 1:
                    idle = True
                if delta.finish_reason and pieces.pending:
                    deadline.hold()
                    yield ChatEvent(tool_calls=calls.admit(pieces.take()))
                    deadline.push()
            if not (self._done or finish):
                raise StreamCut(_("the stream ended before the server said it was done"))
            if pieces.pending:  # a server that ended the message without a finish reason for it
                yield ChatEvent(tool_calls=calls.admit(pieces.take()))
        except ErrorSaid as e:
            if self._received == 0 and is_overflow(e.error):  # refused as too long once the stream had started
                raise self._backend.dialect.overflow(e.error, self._model) from None
            raise self._incomplete(_("the server reported an error: {text}").format(
                text=self._backend.dialect.shown(e.error.message))) from None
        except NotChunk:
            raise self._incomplete(_("the server sent something that is not an OpenAI-compatible stream")) from None
        except (BadStream, StreamCut) as e:
            raise self._incomplete(e.what) from None
        except StreamTimeout as e:
            stall = Stall.COMMENTS if e.stall is Stall.NOTHING and idle else e.stall
            raise self._backend.http.timeout_error(stall, deadline.timeout) from None
        finally:
            self.close()
        yield ChatEvent(stats=stats_from(finish, usage))

    def _deltas(self) -> Iterator[Delta]:
        """The stream's chunks, decoded, until `data: [DONE]` (then `_done`) or the end of the stream."""
        for event in sse_events(self._response):
            if event.data.strip() == "[DONE]":
                self._done = True
                return
            if event.event == "error":
                raise ErrorSaid(_error_event(event.data))
            try:
                obj = decode_json(event.data)
            except ValueError:
                if not event.complete:
                    raise StreamCut(_("the stream ended in the middle of an event")) from None
                raise BadStream(_("the server sent an event that is not JSON")) from None
            yield delta_from(obj)

    def _incomplete(self, what: str) -> IncompleteReply:
        return incomplete_reply(self._model, self._received, what, _(
            "Ask again; if it keeps happening, check the server's log ({host}).").format(host=self._backend.host))

    def close(self) -> None:
        close_response(self._response)


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
                 timeout: float = 300.0, learnt: LearntWindows | None = None) -> None:
        """`learnt`: windows this server said in an earlier run (in a refusal), for models it does not list one for."""
        from ollama_chat.backends.http import Bearer, Client

        try:
            self.host = base_url(host)
        except ValueError as e:
            raise BadAddress(_("The address {host} is not valid: {reason}.").format(host=cut(host), reason=e),
                             _("Give the API's base URL, e.g. http://127.0.0.1:8000/v1."), api=API) from None
        self.shown_host = cut(self.host)  # as messages echo it
        self.key_env = key_env
        self._listing: list[ModelInfo] | None = None  # the last /models answer, for model_info
        self._props: int | None = None  # llama.cpp's window from /props: None not asked yet, 0 not said
        self._learnt = learnt
        self.dialect = OpenAIDialect(self, self.shown_host, api_key or None, key_env, self.said_window)
        self.http = Client(self.host, timeout, self.dialect)
        if api_key:
            self.http.session.auth = Bearer(api_key)

    @property
    def timeout(self) -> float:
        """`--timeout`: seconds the server may go without progress (the HTTP layer's)."""
        return self.http.timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self.http.timeout = seconds

    def chat(self, request: ChatRequest) -> OpenAIChatStream | OneReply:
        body = request_body(request)  # an option the API cannot take is refused before anything is sent
        response = self.http.request("POST", "/chat/completions", json=body, model=request.model)
        if request.stream and "text/event-stream" in response.headers.get("Content-Type", ""):
            return OpenAIChatStream(self, response, request.model)
        raw = self.http.body(response)  # stream: false, or a server that answered with one object anyway
        try:
            delta = delta_from(decode_json(raw))
            pieces = ToolCallPieces()
            for piece in delta.tool_pieces:
                pieces.add(piece)
            calls = ReplyCalls().admit(pieces.take())
        except (ValueError, NotChunk):
            raise self.dialect.wrong_server(raw) from None
        except ErrorSaid as e:
            text = self.dialect.shown(e.error.message)
            raise ServerError(_("The server at {host} answered with an error: {text}").format(host=self.shown_host, text=text),
                              text=text) from None
        except BadStream as e:  # its tool calls: malformed, or too many
            raise incomplete_reply(request.model, 0, e.what, _(
                "Ask again; if it keeps happening, check the server's log ({host}).").format(host=self.host)) from None
        return OneReply(ChatEvent(content=delta.content, thinking=delta.thinking, tool_calls=calls,
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
            raise ModelNotFound(name, self.shown_host, [m.name for m in listing], can_pull=False)
        return info

    def loaded_window(self, name: str, timeout: float | None = None) -> int | None:
        """The server fixes the window when it starts, so it is the model's: vLLM's `max_model_len`."""
        info = next((m for m in self._fetch_models(timeout) if m.name == name), None)
        return info.context_length if info else None

    def pull(self, name: str) -> Iterator[PullProgress]:
        """These servers serve the models they were started with: raises as soon as it is iterated."""
        raise CannotPull(_("The server at {host} cannot download models.").format(host=self.shown_host))
        yield  # a generator, like Ollama's pull: the error comes where the progress would

    def _fetch_models(self, timeout: float | None = None) -> list[ModelInfo]:
        body = self.http.body(self.http.request("GET", "/models", timeout=timeout))
        try:
            listing = models_from(decode_json(body))
        except ValueError:
            raise self.dialect.wrong_server(body) from None
        if len(listing) == 1 and listing[0].context_length is None:  # llama.cpp serves one model, its window at /props
            window = self._props_window(timeout)
            listing = [replace(listing[0], context_length=window)] if window else listing
        if self._learnt is not None and any(m.context_length is None for m in listing):
            listing = [replace(m, context_length=self._learnt.get(self.host, m.name)) if m.context_length is None else m
                       for m in listing]
        self._listing = listing
        return listing

    def said_window(self, model: str, window: int) -> None:
        """The server said `model`'s window (refusing a prompt): kept for the next run."""
        if self._learnt is not None:
            self._learnt.remember(self.host, model, window)

    def _props_window(self, timeout: float | None) -> int | None:
        """llama.cpp's window from its /props, asked once (0: asked, and it did not say)."""
        from ollama_chat.backends.http import CONNECT_TIMEOUT

        if self._props is None:
            self._props = props_window(self.http.session, self.host, timeout or CONNECT_TIMEOUT) or 0
        return self._props or None
