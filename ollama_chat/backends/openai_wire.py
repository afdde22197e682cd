"""OpenAI's chat API (as OpenAI, vLLM, llama.cpp, LM Studio and Ollama's /v1 speak it), both ways. Pure: our
typed values in, JSON-ready dicts out; decoded JSON in, typed values out.

- The base URL: as OpenAI's own clients take it (`OPENAI_BASE_URL`), e.g. http://127.0.0.1:8000/v1.
- A request: options by `options.OPENAI_NAMES`, images as `image_url` data URLs, `format` as `response_format`,
  tools with `tool_choice: "auto"`, the model's calls and their results (`openai_tools`).
- A chunk or a whole completion: content, reasoning (shown as thinking), tool call pieces, finish reason, usage.
- A model list (`GET /models`), and an error body in any of the shapes these servers use.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ollama_chat.files.attachments import image_format
from ollama_chat.backends.base import NoThinkSwitch, OptionsRefused, Unsupported, count, server_text, shown_value, window_value
from ollama_chat.hosts import too_long
from ollama_chat.errors import cut
from ollama_chat.backends.openai_tools import tool_pieces_from, wire_calls
from ollama_chat.backends.tool_calls import ToolPiece, wire_tool
from ollama_chat.i18n import _, ngettext
from ollama_chat.options import OPENAI_CLIENT_SIDE, OPENAI_NAMES
from ollama_chat.types import ChatRequest, Message, ModelInfo, Stats

_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WebP": "image/webp"}
# Where servers say how long a model's window is, most specific first: vLLM, LM Studio's loaded window, then
# others (OpenRouter, Groq...) and LM Studio's most.
_WINDOW_FIELDS = ("max_model_len", "loaded_context_length", "context_length", "context_window", "max_context_length")


# -- where the API is -------------------------------------------------------------------------------------


def base_url(value: str) -> str:
    """The API's base URL, to which `/chat/completions` and `/models` are added. A URL with no path gets
    `/v1`, where vLLM, llama.cpp, LM Studio and Ollama serve the API (`http://127.0.0.1:8000` means
    `http://127.0.0.1:8000/v1`); any other path is kept as given (`https://openrouter.ai/api/v1`), less a
    trailing `/chat/completions`. No scheme means http://. ValueError if malformed."""
    from urllib.parse import urlsplit

    value = value.strip().strip("\"'").strip()
    too_long(value)
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "http", value
    scheme = scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(_("'{scheme}://' is not http:// or https://").format(scheme=cut(scheme)))
    rest = rest.split("?", 1)[0].split("#", 1)[0]
    hostport, _slash, path = rest.partition("/")
    if not hostport:
        raise ValueError(_("no host name in '{value}'").format(value=cut(value)))
    path = path.strip("/").removesuffix("chat/completions").rstrip("/")
    url = f"{scheme}://{hostport}/{path or 'v1'}"
    try:
        urlsplit(url).port  # a port that is not a number, or out of range
    except ValueError:
        raise ValueError(_("'{host}' is not HOST or HOST:PORT").format(host=cut(hostport))) from None
    return url


# -- a request out ----------------------------------------------------------------------------------------


def image_url(data: str) -> str:
    """An image (base64, as Message keeps it) as a data URL, its type sniffed from its first bytes."""
    head = "".join(data[:64].split())[:24]
    try:
        kind = image_format(base64.b64decode(head + "=" * (-len(head) % 4)))
    except ValueError:
        kind = None
    return f"data:{_MIME.get(kind or '', 'image/png')};base64,{data}"


def wire_message(message: Message) -> dict[str, Any]:
    """A message; one with images has content parts: its text, then each image as a data URL. The assistant's
    tool calls go with content null when it said nothing else; a tool's result answers its call's ID."""
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    if message.tool_calls:
        return {"role": message.role, "content": message.content or None, "tool_calls": wire_calls(message.tool_calls)}
    if not message.images:
        return {"role": message.role, "content": message.content}
    parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}] if message.content else []
    parts += [{"type": "image_url", "image_url": {"url": image_url(image)}} for image in message.images]
    return {"role": message.role, "content": parts}


def wire_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Our options under the API's names. OptionsRefused naming every option that has no equivalent there."""
    params: dict[str, Any] = {}
    refused = []
    for name, value in options.items():
        if name in OPENAI_CLIENT_SIDE:
            continue
        if name not in OPENAI_NAMES:
            refused.append(name)
        elif not (name == "num_predict" and isinstance(value, int) and value < 0):  # no limit: no max_tokens
            params[OPENAI_NAMES[name]] = list(value) if isinstance(value, (list, tuple)) else value
    if refused:
        raise OptionsRefused(
            ngettext("An OpenAI-compatible server has no option {names}.",
                     "An OpenAI-compatible server has no options {names}.", len(refused)).format(names=", ".join(refused)),
            names=tuple(refused), takes=(*OPENAI_NAMES, *sorted(OPENAI_CLIENT_SIDE)))
    return params


def response_format(value: str | Mapping[str, Any]) -> dict[str, Any]:
    """`format`: "json" is any JSON object; a mapping is a JSON schema the reply must follow."""
    if isinstance(value, Mapping):
        return {"type": "json_schema", "json_schema": {"name": "reply", "schema": dict(value)}}
    if value == "json":
        return {"type": "json_object"}
    raise Unsupported(_("An OpenAI-compatible server has no format '{format}'.").format(format=value),
                      _("Use \"json\", or a JSON schema."))


def request_body(request: ChatRequest) -> dict[str, Any]:
    """The body of POST /chat/completions. `think` as "low"/"medium"/"high" is `reasoning_effort`; true is not
    sent (a reasoning model reasons anyway), and false is refused: the API has no switch to turn it off.
    `keep_alive` and `truncate` are Ollama's alone (these servers refuse an over-long prompt rather than cut
    it)."""
    if request.think is False:
        raise NoThinkSwitch(_("An OpenAI-compatible server has no switch to turn thinking off."))
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [wire_message(m) for m in request.messages],
        "stream": request.stream,
    }
    if request.stream:
        body["stream_options"] = {"include_usage": True}
    if request.tools:
        body["tools"] = [wire_tool(spec) for spec in request.tools]
        body["tool_choice"] = "auto"
    body.update(wire_options(request.options))
    if request.format is not None:
        body["response_format"] = response_format(request.format)
    if isinstance(request.think, str):
        body["reasoning_effort"] = request.think
    return body


# -- a reply in -------------------------------------------------------------------------------------------


class NotChunk(Exception):
    """A JSON value that is not a chat completion (or a chunk of one)."""


class ErrorSaid(Exception):
    """The server put an error where a chunk was expected (an error event mid-stream)."""

    def __init__(self, error: APIError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class Delta:
    """What one chunk (or a whole completion) brings."""

    content: str = ""
    thinking: str = ""
    finish_reason: str = ""  # "" while the reply goes on
    usage: tuple[int, int] | None = None  # (prompt_tokens, completion_tokens)
    tool_pieces: tuple[ToolPiece, ...] = ()  # of calls (a whole completion's: each call whole, in one piece)


def _str(value: object) -> str:
    return server_text(value) if isinstance(value, str) else ""


def delta_from(obj: object) -> Delta:
    """A decoded `chat.completion.chunk` (its `delta`) or `chat.completion` (its `message`). Reasoning comes as
    `reasoning_content` (vLLM, DeepSeek, llama.cpp) or `reasoning` (newer vLLM, OpenRouter, Ollama).
    ErrorSaid for an error object; NotChunk for anything else."""
    if not isinstance(obj, dict):
        raise NotChunk()
    error = api_error(obj)
    if error is not None:
        raise ErrorSaid(error)
    choices = obj.get("choices")
    if not isinstance(choices, list):
        raise NotChunk()
    usage = obj.get("usage")
    counts = (count(usage.get("prompt_tokens")), count(usage.get("completion_tokens"))) if isinstance(usage, dict) else None
    choice = choices[0] if choices and isinstance(choices[0], dict) else {}
    part = choice.get("delta", choice.get("message"))
    part = part if isinstance(part, dict) else {}
    return Delta(
        content=_str(part.get("content")) + _str(part.get("refusal")),
        thinking=_str(part.get("reasoning_content")) or _str(part.get("reasoning")),
        finish_reason=_str(choice.get("finish_reason")),
        usage=counts,
        tool_pieces=tool_pieces_from(part.get("tool_calls"), whole="delta" not in choice),
    )


def stats_from(finish_reason: str, usage: tuple[int, int] | None) -> Stats:
    """The end of a reply: the finish reason ("length" is the cut mark) and the token counts; these servers
    give no durations."""
    prompt, completion = usage or (0, 0)
    return Stats(done_reason=finish_reason, eval_count=completion, prompt_eval_count=prompt)


@dataclass(frozen=True)
class APIError:
    message: str
    type: str = ""
    code: str = ""
    window: int | None = None  # what the server said its window is (llama.cpp's `n_ctx`), when it did
    prompt_tokens: int | None = None  # how long it said the refused prompt was (`n_prompt_tokens`)


def api_error(obj: object, *, loose: bool = False) -> APIError | None:
    """The error in a body: OpenAI's `{"error": {"message", "type", "code"}}`, `{"error": "text"}` (vLLM's
    key check), vLLM's older `{"object": "error", "message": ...}`; `loose` also takes FastAPI's
    `{"detail": ...}` and a bare `{"message": ...}`, for error statuses. None when there is none."""
    if not isinstance(obj, dict):
        return None
    error = obj.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        return APIError(_str(message) if message is not None else server_text(error), _str(error.get("type")),
                        server_text(error.get("code")) if error.get("code") is not None else "",
                        window_value(error.get("n_ctx")), window_value(error.get("n_prompt_tokens")))
    if isinstance(error, str):
        return APIError(server_text(error))
    if obj.get("object") == "error":
        return APIError(_str(obj.get("message")), _str(obj.get("type")), str(count(obj.get("code")) or ""))
    if loose:
        for key in ("detail", "message"):
            if isinstance(obj.get(key), str):
                return APIError(server_text(obj[key]))
    return None


_OVERFLOW_WORDS = ("maximum context length", "context length", "context size", "context window")
# Where servers say the window, and how long the refused prompt was, in their own words:
_WINDOW_SAID = (
    re.compile(r"exceeds? context window of (\d+)", re.I),  # llama-cpp-python: "Requested tokens (5022) exceed context window of 2048"
    re.compile(r"context size \((\d+) tokens?\)", re.I),  # llama-server: "... exceeds the available context size (2048 tokens) ..."
    re.compile(r"maximum context length is (\d+) tokens?", re.I),  # vLLM, llama-cpp-python's 400, OpenAI
)
_PROMPT_SAID = (
    re.compile(r"requested tokens \((\d+)\)", re.I),
    re.compile(r"(?:request|input) \((\d+) tokens?\)", re.I),
    re.compile(r"\((\d+) in the messages", re.I),
    re.compile(r"your (?:request|prompt) (?:has|contains|resulted in) (\d+) (?:input )?tokens", re.I),
)


def is_overflow(error: APIError) -> bool:
    """The prompt does not fit the model's window: OpenAI's code, llama.cpp's type, vLLM's words ("This model's
    maximum context length is 4096 tokens. However, you requested ..."), llama-cpp-python's ("Requested tokens
    (5022) exceed context window of 2048")."""
    if error.code == "context_length_exceeded" or error.type == "exceed_context_size_error":
        return True
    text = error.message.lower()
    return any(words in text for words in _OVERFLOW_WORDS)


def overflow_numbers(error: APIError) -> tuple[int | None, int | None]:
    """(the window, the refused prompt's tokens) as the server said them: llama.cpp's fields, else its or vLLM's
    words; None for what it did not say (or said as nonsense)."""
    def said(patterns: tuple[re.Pattern[str], ...]) -> int | None:
        found = (p.search(error.message) for p in patterns)
        return next((window_value(int(m.group(1))) for m in found if m and len(m.group(1)) <= 12), None)

    return error.window or said(_WINDOW_SAID), error.prompt_tokens or said(_PROMPT_SAID)


# -- models -----------------------------------------------------------------------------------------------


def models_from(obj: object) -> list[ModelInfo]:
    """GET /models: `{"object": "list", "data": [{"id": ..., "created": ..., "max_model_len": ...}]}`, sorted by
    name. The window where the server says it. ValueError if it is not that shape."""
    from datetime import datetime, timezone

    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list):
        raise ValueError("not a model list")
    models = []
    for m in obj["data"]:
        if not isinstance(m, dict) or not _str(m.get("id")):
            raise ValueError("not a model")
        said = next((m[f] for f in _WINDOW_FIELDS if m.get(f) is not None), None)
        window = window_value(said)
        try:
            modified = datetime.fromtimestamp(count(m.get("created")), timezone.utc).isoformat() if count(m.get("created")) else ""
        except (OverflowError, OSError, ValueError):
            modified = ""
        models.append(ModelInfo(name=_str(m["id"]), context_length=window, modified=modified,
                                bad_window="" if window or said is None else shown_value(said)))
    return sorted(models, key=lambda info: info.name)
