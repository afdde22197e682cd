"""Ollama's wire format: constants, Go-style JSON, streamed lines, model names, what a request and a model are.

Public helpers (`go_json`, `content_line`, `done_line`, `split_text`) let tests build bytes for `reply_raw`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

DEFAULT_MODEL = "llama3.2:latest"
OLLAMA_VERSION = "0.12.6"
MID_STREAM_ERROR = "an error was encountered while running the model"
PULL_ERROR = "pull model manifest: file does not exist"
NDJSON_TYPE = "application/x-ndjson"
# What Ollama's web framework (gin) sends; clients must accept the charset suffix.
JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
PIECE_SIZE = 3  # characters per streamed piece for echo and str replies: small, so streaming is visible

CutMode = Literal["eof", "reset"]

# Go's encoding/json escapes these even with valid UTF-8 output; the recorded fixtures show `\u003c`.
_GO_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def go_json(obj: Any) -> bytes:
    """`obj` encoded the way Go's json.Marshal does it: compact, raw UTF-8, HTML characters escaped.

    The replacements are safe on the whole text because `<`, `>`, `&` can only occur inside JSON strings.
    """
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.translate(_GO_ESCAPES).encode("utf-8", "surrogatepass")


def created_at() -> str:
    """A timestamp like Ollama's `created_at` (RFC 3339, UTC, microseconds)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_line(content: str, *, thinking: str = "", model: str = DEFAULT_MODEL) -> bytes:
    """One streamed `/api/chat` line (with its newline) carrying a content or thinking piece."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if thinking:
        message["thinking"] = thinking
    return go_json({"model": model, "created_at": created_at(), "message": message, "done": False}) + b"\n"


def done_line(*, model: str = DEFAULT_MODEL, done_reason: str = "stop", tool_calls: list[dict[str, Any]] | None = None,
              **metrics: int) -> bytes:
    """The final streamed line (with its newline). Zero metrics are left out, as Ollama does. `tool_calls`: calls
    its parser let go only at the end."""
    message: dict[str, Any] = {"role": "assistant", "content": ""}
    if tool_calls:
        message["tool_calls"] = tool_calls
    obj: dict[str, Any] = {"model": model, "created_at": created_at(), "message": message, "done": True,
                           "done_reason": done_reason}
    obj.update({k: v for k, v in metrics.items() if v})
    return go_json(obj) + b"\n"


_ID_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"
NO_ID = None  # `tool_call(..., id=NO_ID)`: a call as Ollama before 0.12.x sent it


def call_id() -> str:
    """An ID as Ollama makes one (server/routes.go toolCallId): `call_` and 8 lower-case letters or digits."""
    import random

    return "call_" + "".join(random.choice(_ID_LETTERS) for _ in range(8))


def tool_call(name: str, arguments: Any = None, *, index: int = 0, id: str | None = "") -> dict[str, Any]:  # noqa: A002
    """One whole call as Ollama streams it (api.ToolCall): `{"id": "call_…", "function": {"index", "name",
    "arguments": {…}}}`. `id`: "" makes one up as Ollama does; None leaves it out, as Ollama did before 0.12.x.
    `arguments` is sent as given (Ollama always sends an object; anything else is a test of a broken server)."""
    call: dict[str, Any] = {} if id is None else {"id": id or call_id()}
    call["function"] = {"index": index, "name": name, "arguments": {} if arguments is None else arguments}
    return call


def tool_call_line(calls: list[dict[str, Any]], *, model: str = DEFAULT_MODEL) -> bytes:
    """One streamed line carrying whole tool calls (with its newline), as Ollama's tool parser emits them."""
    message = {"role": "assistant", "content": "", "tool_calls": calls}
    return go_json({"model": model, "created_at": created_at(), "message": message, "done": False}) + b"\n"


def registry_name(name: str) -> str:
    """A model's full name, as Ollama's errors say it: "llama3.2" is "registry.ollama.ai/library/llama3.2:latest"."""
    full = normalize_model(name)
    parts = full.split("/")
    if len(parts) == 1:
        return "registry.ollama.ai/library/" + full
    if len(parts) == 2:
        return "registry.ollama.ai/" + full
    return full


def split_text(text: str, size: int = PIECE_SIZE) -> list[str]:
    """`text` in pieces of `size` characters. Characters, not bytes, so Hangul and emoji stay whole."""
    return [text[i:i + size] for i in range(0, len(text), size)]


def normalize_model(name: str) -> str:
    """Ollama's short form: a name without a tag means the `latest` tag ("llama3.2" is "llama3.2:latest")."""
    name = name.strip()
    last = name.rsplit("/", 1)[-1]  # a registry host may carry a port: "host:5000/ns/model"
    return name if ":" in last else name + ":latest"


def body_bytes(body: bytes | str | dict[str, Any] | list[Any]) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return go_json(body)


def read_lines(path: Path) -> tuple[bytes, ...]:
    return tuple(path.read_bytes().splitlines(keepends=True))


def path_only(path: str) -> str:
    return path.split("?", 1)[0]


def split_point(data: bytes) -> int:
    """Where to cut `data` in two: inside a multi-byte UTF-8 character nearest the middle, if any."""
    middle = len(data) // 2
    inside = [i for i, b in enumerate(data) if 0x80 <= b <= 0xBF and 0 < i < len(data)]
    return min(inside, key=lambda i: abs(i - middle)) if inside else max(1, middle)


class Headers(dict):  # type: ignore[type-arg]
    """Request headers with lower-case keys, looked up case-insensitively: `h["Content-Type"]` works."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


@dataclass(frozen=True)
class Request:
    """One request as received. `json` is the parsed body, or None when it is empty or not JSON."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None


@dataclass(frozen=True)
class ModelInfo:
    """What /api/tags and /api/show report for a model, and whether it can think."""

    name: str
    capabilities: tuple[str, ...] = ("completion",)
    context_length: int = 131072
    family: str = "llama"
    parameter_size: str = "3.2B"
    quantization_level: str = "Q4_K_M"
    size: int = 2019393189

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()

    @property
    def details(self) -> dict[str, Any]:
        return {"parent_model": "", "format": "gguf", "family": self.family, "families": [self.family],
                "parameter_size": self.parameter_size, "quantization_level": self.quantization_level}
