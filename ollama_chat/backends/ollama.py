"""Ollama's own API: /api/chat (streamed NDJSON), /api/tags, /api/show, /api/ps, /api/pull. Knows nothing of
terminals; every failure becomes one of `backends.base`'s errors, worded with the host and model that were
tried (`ollama_dialect`), over the HTTP layer both backends share (`http.Client`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ollama_chat.backends.base import IncompleteReply, ServerError, server_text, shorten, window_value
from ollama_chat.backends.deadline import INF, Deadline, Stall, deadline_of
from ollama_chat.hosts import DEFAULT_HOST, full_name
from ollama_chat.backends.ndjson import json_lines
from ollama_chat.backends.ollama_dialect import OllamaDialect
from ollama_chat.backends.ollama_models import listing_from, model_info_from, pull_progress_from
from ollama_chat.backends.ollama_wire import LineError, NotChat, event_from, request_body
from ollama_chat.backends.streaming import (BadStream, OneReply, StreamCut, StreamTimeout, close_response, decode_json,
                                            incomplete_reply)
from ollama_chat.backends.tool_calls import ReplyCalls
from ollama_chat.errors import cut
from ollama_chat.i18n import _
from ollama_chat.types import ChatEvent, ChatRequest, ModelInfo, PullProgress

MAX_LISTING = 128 * 1024 * 1024  # /api/tags: some 400 bytes a model, so 100,000 models are 40 MB


class OllamaChatStream:
    """An open /api/chat stream: events as they arrive; any failure after the start is IncompleteReply. Tool calls
    come whole, on any event (the last one too), each with an ID unique in the reply."""

    def __init__(self, backend: OllamaBackend, response: Any, model: str) -> None:
        self._backend = backend
        self._response = response
        self._model = model
        self._received = 0  # characters of content so far, for the error message (the text is the caller's)
        self._calls = ReplyCalls()

    def __iter__(self) -> Iterator[ChatEvent]:
        deadline = deadline_of(self._response) or Deadline(INF)
        idle = False  # lines with nothing in them came since the last piece (they do not count as progress)
        try:
            for obj in json_lines(self._response):
                event = event_from(obj)
                if event.tool_calls:
                    event = replace(event, tool_calls=self._calls.admit(event.tool_calls))
                if not (event.content or event.thinking or event.done or event.tool_calls):
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
        except (BadStream, StreamCut) as e:
            raise self._incomplete(e.what) from None
        except StreamTimeout as e:
            stall = Stall.EMPTY if e.stall is Stall.NOTHING and idle else e.stall
            raise self._backend.http.timeout_error(stall, deadline.timeout) from None
        finally:
            self.close()
        raise self._incomplete(_("the stream ended before Ollama said it was done"))

    def _incomplete(self, what: str) -> IncompleteReply:
        return incomplete_reply(self._model, self._received, what, _(
            "Ask again; if it keeps happening, check the Ollama server's log ({host}).").format(host=self._backend.host))

    def close(self) -> None:
        close_response(self._response)


class OllamaBackend:
    can_pull = True
    fixed_window = False  # each model is loaded with the num_ctx it is asked for
    describes_each = True  # /api/tags says no windows or capabilities: one /api/show each

    def __init__(self, host: str = DEFAULT_HOST, timeout: float = 300.0) -> None:
        from ollama_chat.backends.http import Client

        self.host = host.rstrip("/")
        self.shown_host = cut(self.host)  # as messages echo it
        self.dialect = OllamaDialect(self, self.shown_host)
        self.http = Client(self.host, timeout, self.dialect)

    @property
    def timeout(self) -> float:
        """`--timeout`: seconds the server may go without progress (the HTTP layer's)."""
        return self.http.timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self.http.timeout = seconds

    def chat(self, request: ChatRequest) -> OllamaChatStream | OneReply:
        response = self.http.request("POST", "/api/chat", json=request_body(request), model=request.model)
        if not request.stream:
            body = self.http.body(response)
            try:
                event = event_from(decode_json(body))
                return OneReply(replace(event, tool_calls=ReplyCalls().admit(event.tool_calls)))
            except (ValueError, NotChat):
                raise self.dialect.wrong_server(body) from None
            except LineError as e:
                raise ServerError(_("Ollama at {host} answered with an error: {text}").format(host=self.shown_host, text=e.text),
                                  text=e.text) from None
            except BadStream as e:  # its tool calls: malformed, or too many
                raise incomplete_reply(request.model, 0, e.what, _(
                    "Ask again; if it keeps happening, check the Ollama server's log ({host}).").format(host=self.host)) from None
        if "json" not in response.headers.get("Content-Type", ""):
            raise self.dialect.wrong_server(self.http.body(response, 80, head=True))
        return OllamaChatStream(self, response, request.model)

    def list_models(self) -> list[str]:
        return [m.name for m in self.models()]

    def models(self) -> list[ModelInfo]:
        """The installed models with their sizes and details (not their windows: that is one /api/show each)."""
        body = self.http.body(self.http.request("GET", "/api/tags"), MAX_LISTING)
        try:
            return listing_from(decode_json(body))
        except ValueError:
            raise self.dialect.wrong_server(body) from None

    def pull(self, name: str) -> Iterator[PullProgress]:
        """Download a model, step by step. A failure (an unknown name fails after "pulling manifest") raises
        ServerError; closing the iterator (Ctrl+C) drops the connection, which stops the pull."""
        response = self.http.request("POST", "/api/pull", json={"model": name, "stream": True}, model=name)
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
            raise self.http.timeout_error(e.stall, deadline.timeout) from None
        finally:
            close_response(response)
        raise ServerError(_("Pulling {name} ended before the server said it succeeded.").format(name=name), _("Pull it again: it resumes."))

    def model_info(self, name: str, timeout: float | None = None) -> ModelInfo:
        body = self.http.body(self.http.request("POST", "/api/show", json={"model": name}, model=name, timeout=timeout))
        try:
            return model_info_from(full_name(name), decode_json(body))
        except ValueError:
            raise self.dialect.wrong_server(body) from None

    def loaded_window(self, name: str, timeout: float | None = None) -> int | None:
        body = self.http.body(self.http.request("GET", "/api/ps", timeout=timeout))
        try:
            models = decode_json(body)["models"]
            want = full_name(name)
            window = next((m.get("context_length") for m in models if full_name(server_text(m.get("name"))) == want), None)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise self.dialect.wrong_server(body) from None
        return window_value(window)
