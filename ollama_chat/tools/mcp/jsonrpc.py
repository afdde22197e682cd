"""JSON-RPC 2.0 as MCP uses it: the messages we send, and what a line (or an SSE event) from a server is.
Pure: the transports carry the bytes, this says what they mean. Whatever a server sends that is not a
well-formed message is `Garbage`, never an exception, so one bad line cannot take a transport down."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
HEADER_MISMATCH = -32020  # 2026-07-28: the HTTP headers do not match the body
MISSING_CAPABILITY = -32021  # 2026-07-28: the request needs a client capability we did not declare
UNSUPPORTED_VERSION = -32022  # 2026-07-28: data = {"supported": [...], "requested": "..."}
MODERN_ERRORS = (HEADER_MISMATCH, MISSING_CAPABILITY, UNSUPPORTED_VERSION)


class RpcError(Exception):
    """The server answered a request with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


class TransportFailure(Exception):
    """The server cannot be used any more (it exited, closed the connection, or broke the protocol beyond
    repair); `what` says how, in words for the user, and names nothing the caller already names."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class RequestTimeout(Exception):
    """No answer within the time allowed; the request has been cancelled."""


@dataclass(frozen=True)
class Response:
    id: int | str
    result: Mapping[str, Any]


@dataclass(frozen=True)
class ErrorResponse:
    id: int | str | None
    error: RpcError


@dataclass(frozen=True)
class ServerRequest:
    id: int | str
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Garbage:
    """Not a JSON-RPC message; `text` is what came, for the log."""

    text: str
    reason: str


Incoming = Response | ErrorResponse | ServerRequest | Notification | Garbage


def request(id: int, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = dict(params)
    return message


def notification(method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = dict(params)
    return message


def encode(message: Mapping[str, Any]) -> bytes:
    """One message as one line: JSON escapes newlines inside strings, so the only one is the last."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass") + b"\n"


def decode(text: bytes | str) -> list[Incoming]:
    """The messages in one line or one SSE event (a legacy server may send a batch: a JSON array)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    stripped = text.strip()
    if not stripped:
        return []
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):
        return [Garbage(stripped, "not JSON")]
    if isinstance(value, list) and value:
        return [classify(item, stripped) for item in value]
    return [classify(value, stripped)]


def classify(value: Any, text: str = "") -> Incoming:
    if not isinstance(value, dict) or value.get("jsonrpc") != "2.0":
        return Garbage(text or repr(value), "not a JSON-RPC 2.0 message")
    id_ = value.get("id")
    has_id = isinstance(id_, (int, str)) and not isinstance(id_, bool)
    method = value.get("method")
    if isinstance(method, str):
        params = value.get("params")
        params = params if isinstance(params, dict) else {}
        if "id" in value:
            return ServerRequest(id_, method, params) if has_id else Garbage(text, "a request with a bad id")
        return Notification(method, params)
    if "result" in value and has_id:
        result = value["result"]
        return Response(id_, result) if isinstance(result, dict) else Garbage(text, "a result that is not an object")
    error = value.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message")
        if isinstance(code, int) and not isinstance(code, bool):
            return ErrorResponse(id_ if has_id else None,
                                 RpcError(code, message if isinstance(message, str) else "", error.get("data")))
    return Garbage(text, "neither a request, a notification nor a response")


def reply_to(server_request: ServerRequest) -> dict[str, Any]:
    """Our answer to a request from the server: `ping` is answered; everything else (sampling, elicitation,
    roots, which we never declared) is refused politely, as JSON-RPC says an unknown method is."""
    if server_request.method == "ping":
        return {"jsonrpc": "2.0", "id": server_request.id, "result": {}}
    return {"jsonrpc": "2.0", "id": server_request.id,
            "error": {"code": METHOD_NOT_FOUND,
                      "message": f"{server_request.method[:100]} is not supported by this client"}}


def cancellation(request_id: int | str, reason: str) -> dict[str, Any]:
    return notification("notifications/cancelled", {"requestId": request_id, "reason": reason})


def is_modern_error(error: RpcError) -> bool:
    """An error only a 2026-07-28 server sends: it speaks the modern protocol, so there is no falling back to
    `initialize`."""
    return error.code in MODERN_ERRORS
