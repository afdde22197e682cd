"""Going on with an earlier conversation, from the store (`-c`, `--resume ID`, `/resume`) or from a JSON file
(`--resume FILE.json`): what it was, and the settings layers that continue it.

The conversation's persona, model and options apply unless the flags say otherwise. Its system prompt and
few-shot examples are the ones it was held with, even if the persona file changed or is gone since. Its
server never comes from it: only a name the user's config holds takes it back (`Layers.back_to`), and
`server_notice` says when it goes on elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ollama_chat.hosts import parse_host
from ollama_chat.errors import UsageError
from ollama_chat.i18n import N_, _
from ollama_chat.paths import read_file
from ollama_chat.chat.personas import NAME_RE, Example, Persona, PersonaError, load_persona
from ollama_chat.chat.settings import Settings
from ollama_chat.chat.layers import Layers
from ollama_chat.store.sqlite import StoredConversation
from ollama_chat.store.steps import unread_notice
from ollama_chat.store.transcript import ServerRef, Transcript, TranscriptError, checked_options, from_json, server_ref
from ollama_chat.text import one_line

STORED = N_("the resumed conversation")  # a persona's source: translate it where it is shown
SHOWN_NAME = 80  # characters of a saved server's name or host shown in a notice
MAX_TRANSCRIPT = 256 * 1024 * 1024


@dataclass(frozen=True)
class Resumed:
    transcript: Transcript
    conversation_id: str | None = None  # None: from a file, so the store starts a new conversation


def from_store(stored: StoredConversation) -> Resumed:
    meta = stored.meta
    options, dropped = checked_options(stored.options)
    transcript = Transcript(stored.exchanges, system=stored.system, persona=meta.persona, model=meta.model,
                            options=options, dropped=dropped, examples=stored.examples, title=meta.title, summary=stored.summary,
                            summarized=stored.summarized, server=server_ref(stored.server),
                            unread_steps=stored.unread_steps)
    return Resumed(transcript, meta.id)


def read_transcript(path: Path, shown: str) -> Transcript:
    """A JSON transcript (`/save x.json`, `history export --format json`). FileNotFoundError passes through;
    anything else wrong is a UsageError naming the file (`shown`, sanitised) and what is wrong."""
    try:
        return from_json(read_file(path, MAX_TRANSCRIPT).decode("utf-8"))
    except FileNotFoundError:
        raise
    except OSError as e:
        raise UsageError(_("Cannot read {path}: {reason}.").format(path=shown, reason=e.strerror)) from None
    except UnicodeDecodeError as e:
        raise UsageError(_("Cannot load {path}: it is not UTF-8 text (bad byte at offset {offset}).").format(path=shown, offset=e.start)) from None
    except TranscriptError as e:
        raise UsageError(_("Cannot load {path}: {reason}.").format(path=shown, reason=e)) from None


def persona_of(transcript: Transcript, user_persona_dir: Path) -> Persona | None:
    """The persona the conversation was held with, its prompt and examples as they were then; None when the
    file names none."""
    name = transcript.persona
    if name is None:
        return None
    try:
        # A name only: a transcript never makes us read a file it points at.
        persona = load_persona(name, user_persona_dir) if NAME_RE.fullmatch(name) else None
    except PersonaError:
        persona = None
    if persona is None:
        if transcript.system is None:
            return None  # nothing to rebuild it from: the current persona stays
        persona = Persona(name=name if NAME_RE.fullmatch(name) else "resumed", system="", source=STORED)
    if transcript.system is not None:
        persona = replace(persona, system=transcript.system)
    if transcript.examples is not None:
        persona = replace(persona, examples=tuple(Example(q, a) for q, a in transcript.examples))
    return persona


def resumed_layers(layers: Layers, transcript: Transcript, user_persona_dir: Path, *, keep_persona: bool) -> Layers:
    """`keep_persona`: --persona was given, and it wins over the conversation's."""
    persona = None if keep_persona else persona_of(transcript, user_persona_dir)
    model = transcript.model or layers.resolve().model
    return layers.resume(persona, model, transcript.options)


@dataclass(frozen=True)
class Continuation:
    """A resume resolved once: what it goes on with (`resumed`), the settings layers it goes on with, and what to
    say about it once (the server it goes on with, options left out)."""

    resumed: Resumed
    layers: Layers
    notices: tuple[str, ...] = ()


def continue_with(layers: Layers, resumed: Resumed, user_persona_dir: Path, *, keep_persona: bool,
                  back_to_server: bool) -> Continuation:
    """The one place a resume is resolved. `back_to_server`: a conversation naming a server of the user's config
    goes back to it (at start-up, before the backend is opened; a running chat keeps its server and says how to
    go back). `keep_persona`: --persona was given, and it wins over the conversation's."""
    transcript = resumed.transcript
    if back_to_server:
        layers = layers.back_to(transcript.server.name if transcript.server else None)
    layers = resumed_layers(layers, transcript, user_persona_dir, keep_persona=keep_persona)
    return Continuation(resumed, layers, tuple(notices(transcript, layers.resolve(), layers.configured)))


def notices(transcript: Transcript, settings: Settings, configured: Mapping[str, Any]) -> list[str]:
    """What to say once when a conversation is resumed: the server it goes on with, options and tool steps left
    out."""
    said = [server_notice(transcript.server, settings, configured)]
    if transcript.dropped:
        said.append(_("Its saved options were left out: {reasons}.").format(
            reasons="; ".join(one_line(reason, SHOWN_NAME) for reason in transcript.dropped)))
    said.append(unread_notice(transcript.unread_steps))
    return [text for text in said if text]


def server_notice(held: ServerRef | None, settings: Settings, configured: Mapping[str, Any]) -> str:
    """One line when a resumed conversation was held on another server than the one it goes on with, or its
    file tried to choose the server: which server is used instead, and how to go back. "" when all is as it was.
    The host, API and key variable come only from the user's flags, environment and config."""
    if held is None:
        return ""
    current = one_line(settings.host if settings.server_name is None else f"{settings.server_name} ({settings.host})")
    if held.name is not None and held.name != settings.server_name:
        name = one_line(held.name, SHOWN_NAME)
        if held.name not in configured:
            return _("This conversation was held on the server '{name}', which your config file does not name; it goes"
                     " on with {current}.").format(name=name, current=current)
        return _("This conversation was held on the server '{name}'; it goes on with {current}. --server {name} goes"
                 " back to it.").format(name=name, current=current)
    if held.credentials:
        return _("This conversation's saved server has a user name or password in its host; ollama-chat neither uses"
                 " nor shows it, and goes on with {current}.").format(current=current)
    if held.name is None and held.host is not None and _plain(held.host) != settings.host:
        return _("This conversation was held on another server ({held}); it goes on with {current}: a saved"
                 " conversation cannot choose the server. --server NAME or --host HOST goes back to it.").format(
            held=one_line(held.host, SHOWN_NAME), current=current)
    if held.ignored:
        return _("This conversation's saved server settings (an API, a key variable) are ignored: a saved"
                 " conversation cannot choose where a key is sent. It goes on with {current}.").format(current=current)
    return ""


def _plain(host: str) -> str:
    try:
        return parse_host(host)
    except ValueError:
        return host
