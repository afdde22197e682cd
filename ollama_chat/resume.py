"""Going on with an earlier conversation, from the store (`-c`, `--resume ID`, `/resume`) or from a JSON file
(`--resume FILE.json`): what it was, and the settings layers that continue it.

The conversation's persona, model and options apply unless the flags say otherwise. Its system prompt and
few-shot examples are the ones it was held with, even if the persona file changed or is gone since.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ollama_chat.errors import UsageError
from ollama_chat.i18n import N_, _
from ollama_chat.paths import read_file
from ollama_chat.personas import NAME_RE, Example, Persona, PersonaError, load_persona
from ollama_chat.settings import Layers
from ollama_chat.store import StoredConversation
from ollama_chat.transcript import Transcript, TranscriptError, from_json

STORED = N_("the resumed conversation")  # a persona's source: translate it where it is shown
MAX_TRANSCRIPT = 256 * 1024 * 1024


@dataclass(frozen=True)
class Resumed:
    transcript: Transcript
    conversation_id: str | None = None  # None: from a file, so the store starts a new conversation


def from_store(stored: StoredConversation) -> Resumed:
    meta = stored.meta
    transcript = Transcript(stored.exchanges, system=stored.system, persona=meta.persona, model=meta.model,
                            options=stored.options, examples=stored.examples, title=meta.title, summary=stored.summary,
                            summarized=stored.summarized, server=stored.server)
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
    return layers.resume(persona, model, transcript.options, transcript.server)
