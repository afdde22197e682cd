"""Saved conversations: a JSON transcript `/load` and `--resume FILE` can resume, and a Markdown one to read.
Pure. Each reply carries the model that wrote it. The options and few-shot examples are kept since version 2,
an exchange's tool steps (`"steps"`, see steps.py) since version 3; files without them still load, and version
1 files (a flat `messages` list) too. A file from a newer version is refused rather than half read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ollama_chat.hosts import has_credentials
from ollama_chat.i18n import _
from ollama_chat.options import OptionError, check_option
from ollama_chat.store.step_lines import steps_markdown
from ollama_chat.store.steps import StepsError, steps_from_json, steps_json
from ollama_chat.types import Attached, Exchange, Message
from ollama_chat.text import attached_text

TRANSCRIPT_VERSION = 3


class TranscriptError(ValueError):
    pass


@dataclass(frozen=True)
class ServerRef:
    """What a saved conversation (a file or a stored one) says of its server. Only `name`, a [servers.NAME] of
    the user's own config, can take a resume back there; the host is shown, never used, and anything else (an
    API, a key variable) is ignored: a file never chooses where a key is sent."""

    name: str | None = None
    host: str | None = None  # None also when it held a user name or password (never shown)
    credentials: bool = False  # its host had `user:pw@` in it
    ignored: bool = False  # it said more than a name and a host (an API, a key variable): not used


SERVER_KEYS = ("name", "host")  # all that /save and the store write of a server


@dataclass(frozen=True)
class Transcript:
    exchanges: tuple[Exchange, ...]
    system: str | None = None
    persona: str | None = None
    model: str | None = None
    options: dict[str, Any] | None = None  # None: the file does not say
    examples: tuple[tuple[str, str], ...] | None = None
    title: str | None = None
    summary: str = ""  # /compact's summary of the first `summarized` exchanges
    summarized: int = 0
    server: ServerRef | None = None  # what it says of the server it was held on (None: nothing)
    dropped: tuple[str, ...] = ()  # why options it held were left out (a stored conversation's, out of range)
    unread_steps: tuple[str, ...] = ()  # why a stored exchange's tool steps were left out (store/queries.py)


def to_json(exchanges: Sequence[Exchange], *, model: str, persona: str, system: str, options: dict[str, Any] | None = None,
            examples: Sequence[tuple[str, str]] = (), title: str | None = None, summary: str = "",
            summarized: int = 0, server: Mapping[str, str] | None = None) -> str:
    """`server`: Settings.server; only its name or host is written, never an API or a key variable."""
    kept = {k: v for k, v in (server or {}).items() if k in SERVER_KEYS and isinstance(v, str) and not (
        k == "host" and has_credentials(v))}
    data = {
        "version": TRANSCRIPT_VERSION,
        **({"title": title} if title else {}),
        "model": model,
        "persona": persona,
        "system": system,
        "options": options or {},
        "examples": [{"user": q, "assistant": a} for q, a in examples],
        **({"summary": summary, "summarized": summarized} if summary else {}),
        **({"server": kept} if kept else {}),
        "exchanges": [{"question": e.question.words, **_attachments_json(e.question),
                       **({"steps": steps_json(e.steps)} if e.steps else {}), "reply": e.reply, "model": e.model,
                       **({"interrupted": True} if e.interrupted else {})} for e in exchanges],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"  # UTF-8 as it is: Hangul stays readable


def _attachments_json(question: Message) -> dict[str, Any]:
    """What the model received beyond the words: `sent` (the text with the files' blocks), `images` (base64)
    and `attached` (names and sizes), so a resumed conversation sends the same."""
    out: dict[str, Any] = {}
    if question.typed is not None:
        out["sent"] = question.content
    if question.images:
        out["images"] = list(question.images)
    if question.attached:
        out["attached"] = [{"name": a.name, "size": a.size, "kind": a.kind} for a in question.attached]
    return out


def _question(number: int, obj: dict[str, Any]) -> Message:
    sent, images, attached = obj.get("sent"), obj.get("images", []), obj.get("attached", [])
    if (sent is not None and not isinstance(sent, str)) or not isinstance(images, list) or not all(
            isinstance(i, str) for i in images) or not isinstance(attached, list) or not all(
            isinstance(a, dict) and isinstance(a.get("name"), str) and isinstance(a.get("size"), int) for a in attached):
        raise TranscriptError(_("exchange {number} has attachments that are not in the form /save writes").format(number=number))
    return Message("user", obj["question"] if sent is None else sent, tuple(images),
                   typed=None if sent is None else obj["question"],
                   attached=tuple(Attached(a["name"], a["size"], "image" if a.get("kind") == "image" else "file")
                                  for a in attached))


def from_json(text: str) -> Transcript:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise TranscriptError(_("it is not JSON; /load takes a transcript saved with /save FILE.json")) from None
    if not isinstance(data, dict):
        raise TranscriptError(_("not an ollama-chat transcript (expected a JSON object)"))
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > TRANSCRIPT_VERSION:
        raise TranscriptError(_("it was saved by a newer ollama-chat (transcript version {version}, this one reads up"
                                " to {known}); upgrade ollama-chat to load it").format(version=version,
                                                                                      known=TRANSCRIPT_VERSION))
    model = _text(data.get("model"))
    if isinstance(data.get("exchanges"), list):
        exchanges = tuple(_exchange(i, e, model) for i, e in enumerate(data["exchanges"], 1))
    elif isinstance(data.get("messages"), list):
        exchanges = _from_messages(data["messages"], model)
    else:
        raise TranscriptError(_("not an ollama-chat transcript (expected an 'exchanges' list)"))
    return Transcript(exchanges, system=_text(data.get("system")), persona=_text(data.get("persona")), model=model,
                      options=_options(data.get("options")), examples=_examples(data.get("examples")),
                      title=_text(data.get("title")), **_summary(data, len(exchanges)),
                      server=server_ref(data.get("server")))


def _summary(data: dict[str, Any], count: int) -> dict[str, Any]:
    summary, summarized = data.get("summary"), data.get("summarized")
    if not isinstance(summary, str) or not summary or not isinstance(summarized, int) or isinstance(summarized, bool):
        return {}
    return {"summary": summary, "summarized": max(0, min(summarized, count))}


def server_ref(value: Any) -> ServerRef | None:
    """A saved `server` object ({"name": …} or {"host": …}; older files and stores also have "api" and
    "api_key_env", which are ignored), or None when it says nothing usable."""
    if not isinstance(value, dict):
        return None
    name, host = (value.get(k) if isinstance(value.get(k), str) and value.get(k) else None for k in SERVER_KEYS)
    credentials = host is not None and has_credentials(host)
    ref = ServerRef(name, None if credentials else host, credentials, any(k not in SERVER_KEYS for k in value))
    return ref if ref != ServerRef() else None


def _options(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TranscriptError(_("'options' should be an object of model options"))
    try:
        return {str(k): check_option(str(k), v) for k, v in value.items()}
    except OptionError as e:
        raise TranscriptError(_("its options: {error}").format(error=e)) from None


def checked_options(value: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A stored conversation's options, each checked as a flag would be: those that pass, and why each other
    was left out (a store written before the ranges were checked, or changed by hand, must not send them)."""
    if not isinstance(value, dict):
        return {}, ()
    kept: dict[str, Any] = {}
    dropped = []
    for name, option in value.items():
        try:
            kept[str(name)] = check_option(str(name), option)
        except OptionError as e:
            dropped.append(str(e))
    return kept, tuple(dropped)


def _examples(value: Any) -> tuple[tuple[str, str], ...] | None:
    if value is None:
        return None
    pairs = value if isinstance(value, list) else [None]
    if not all(isinstance(p, dict) and isinstance(p.get("user"), str) and isinstance(p.get("assistant"), str) for p in pairs):
        raise TranscriptError(_("'examples' should be a list of {\"user\": …, \"assistant\": …}"))
    return tuple((p["user"], p["assistant"]) for p in pairs)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _exchange(number: int, obj: Any, default_model: str | None) -> Exchange:
    if not isinstance(obj, dict) or not isinstance(obj.get("question"), str) or not isinstance(obj.get("reply"), str):
        raise TranscriptError(_("exchange {number} should have a 'question' and a 'reply', both text").format(number=number))
    model = _text(obj.get("model")) or default_model or ""
    try:
        steps = steps_from_json(obj.get("steps"))
    except StepsError as e:
        raise TranscriptError(_("exchange {number}: {reason}").format(number=number, reason=e)) from None
    return Exchange(_question(number, obj), obj["reply"], model, interrupted=obj.get("interrupted") is True, steps=steps)


def _from_messages(messages: list[Any], model: str | None) -> tuple[Exchange, ...]:
    """Version 1: alternating user/assistant messages."""
    for i, m in enumerate(messages):
        expected = "user" if i % 2 == 0 else "assistant"
        if not isinstance(m, dict) or m.get("role") != expected or not isinstance(m.get("content"), str):
            raise TranscriptError(_("message {number} should be a {role} message with text content").format(
                number=i + 1, role=expected))
    if len(messages) % 2:
        raise TranscriptError(_("the last question has no answer"))
    return tuple(
        Exchange(Message("user", q["content"]), a["content"], model or "") for q, a in zip(messages[::2], messages[1::2])
    )


def to_markdown(exchanges: Sequence[Exchange], *, model: str, persona: str, system: str, title: str = "",
                about: str = "") -> str:
    """`title` (a stored conversation's) heads it, with `about` (its ID and time) on the line below."""
    heading = f"ollama-chat · {model} · {persona}"
    lines = [f"# {title}", "", f"{heading}{' · ' + about if about else ''}", ""] if title else [f"# {heading}", ""]
    if system:
        lines += ["## System", "", system, ""]
    for e in exchanges:
        mark = " (interrupted)" if e.interrupted else ""
        attached = [attached_text(e.question.attached), ""] if e.question.attached else []
        lines += ["## You", "", *attached, close_fences(e.question.words), "", *steps_markdown(e.steps),
                  f"## {e.model}{mark}", "", close_fences(e.reply), ""]
    return "\n".join(lines) + "\n"


def close_fences(text: str) -> str:
    """`text` with a code fence it leaves open (a reply cut mid-block) closed, so the Markdown after it in a
    transcript is not swallowed into the code block."""
    fence = ""
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) > 3:
            continue
        if not fence:
            for char in "`~":
                run = len(stripped) - len(stripped.lstrip(char))
                if run >= 3 and not (char == "`" and "`" in stripped[run:]):
                    fence = char * run
                    break
        elif stripped.startswith(fence) and not stripped.lstrip(fence[0]).strip():
            fence = ""
    return f"{text}{'' if text.endswith(chr(10)) else chr(10)}{fence}" if fence else text
