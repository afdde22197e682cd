"""Ollama's model endpoints, parsed: /api/tags (what is installed), /api/show (one model's facts), /api/pull
(progress lines). Pure: JSON values in, typed values out."""

from __future__ import annotations

from typing import Any

from ollama_chat.backends.base import count, server_text, shown_value, window_value
from ollama_chat.i18n import _
from ollama_chat.types import ModelInfo, PullProgress

def _text(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return value if value.isascii() else server_text(value)  # (isascii is O(1): a listing has 600,000 of these)


def model_info_from(name: str, obj: object) -> ModelInfo:
    """/api/show's answer: the model's maximum window is `model_info["<arch>.context_length"]`, when it can be one
    (`window_value`); anything else there is kept in `bad_window`, to be said once."""
    if not isinstance(obj, dict):
        return ModelInfo(name)
    info = obj.get("model_info") if isinstance(obj.get("model_info"), dict) else {}
    said = next((v for k, v in info.items() if isinstance(k, str) and k.endswith(".context_length")), None)
    context = window_value(said)
    details = obj.get("details") if isinstance(obj.get("details"), dict) else {}
    capabilities = obj.get("capabilities") if isinstance(obj.get("capabilities"), list) else []
    return ModelInfo(
        name=name,
        context_length=context,
        bad_window="" if context or said is None else shown_value(said),
        capabilities=tuple(str(c) for c in capabilities),
        family=str(details.get("family") or ""),
        parameter_size=str(details.get("parameter_size") or ""),
        quantization=str(details.get("quantization_level") or ""),
    )


def listing_from(obj: Any) -> list[ModelInfo]:
    """/api/tags: each installed model with its size, date and details. ValueError if it is not that shape.
    (Written for speed: a big server lists 100,000 models, and the first row waits for all of them.)"""
    if not isinstance(obj, dict) or not isinstance(obj.get("models"), list):
        raise ValueError("not a model list")
    models = []
    text, number, empty = _text, count, {}
    for m in obj["models"]:
        if not isinstance(m, dict):
            raise ValueError("not a model")
        name = text(m.get("name"))
        if not name:
            raise ValueError("not a model")
        details = m.get("details")
        if not isinstance(details, dict):
            details = empty
        models.append(ModelInfo(
            name=name, family=text(details.get("family")), parameter_size=text(details.get("parameter_size")),
            quantization=text(details.get("quantization_level")), size=number(m.get("size")),
            modified=text(m.get("modified_at"))))
    models.sort(key=lambda i: i.name)
    return models


def pull_progress_from(obj: Any) -> PullProgress:
    """One /api/pull line. A line with `error` raises ValueError with the server's text."""
    if not isinstance(obj, dict):
        raise ValueError(_("the server sent something that is not Ollama's pull progress"))
    if "error" in obj:
        raise ValueError(str(obj["error"]))
    return PullProgress(_text(obj.get("status")), count(obj.get("total")), count(obj.get("completed")))
