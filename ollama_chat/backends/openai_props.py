"""llama.cpp's server says the window it runs with at GET /props, beside the OpenAI API (at the server's root,
not under /v1), where its /v1/models says nothing of it: `{"default_generation_settings": {"n_ctx": 2048, ...},
...}`. Asked once, and only of a local-looking server (its API at /v1); any failure means it does not say."""

from __future__ import annotations

from typing import Any

from ollama_chat.backends.base import window_value
from ollama_chat.backends.streaming import close_response, decode_json, read_body

MAX_PROPS = 1024 * 1024  # the real answer is a few KB (it carries the chat template)


def props_window_from(obj: object) -> int | None:
    """/props' `default_generation_settings.n_ctx` (the window of each slot), or a top-level `n_ctx`, as some
    builds have it. Pure."""
    if not isinstance(obj, dict):
        return None
    settings = obj.get("default_generation_settings")
    nested = settings.get("n_ctx") if isinstance(settings, dict) else None
    return window_value(nested) or window_value(obj.get("n_ctx"))


def props_window(session: Any, host: str, timeout: float) -> int | None:
    """Ask `host`'s server root for /props over `session` (its key and headers go too), within `timeout`."""
    from ollama_chat.backends.http import CONNECT_TIMEOUT, send

    root = host.removesuffix("/v1")
    if root == host:  # not a local server's /v1 (OpenRouter's /api/v1, say): no llama.cpp there
        return None
    try:
        response = send(session, "GET", root + "/props", timeout=timeout, connect_timeout=min(CONNECT_TIMEOUT, timeout))
        try:
            return props_window_from(decode_json(read_body(response, MAX_PROPS))) if response.status_code == 200 else None
        finally:
            close_response(response)
    except Exception:  # noqa: BLE001 - no /props, a broken one, a timeout: the server does not say
        return None
