"""Attachments waiting for the next question (`/read`, `/image`, `@path`). Each is checked as it arrives, so
a problem is told before anything is sent: a file must fit the model's context window, an image needs a model
that can see. Each is shown with its size and its estimated token cost."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from ollama_chat.files.attachments import Attachment, Image, block, question
from ollama_chat.backends.base import Backend, BackendError
from ollama_chat.chat.budget import bigger_window
from ollama_chat.chat.context import ContextTracker
from ollama_chat.chat.conversation import Conversation
from ollama_chat.errors import ChatError, UsageError
from ollama_chat.i18n import _
from ollama_chat.chat.settings import Settings
from ollama_chat.types import Message
from ollama_chat.text import one_line, size_text

CHECK_TIMEOUT = 3.0
_VISION_PROBE = 12  # models asked for their capabilities when naming some that can see


class _Notify(Protocol):
    def say(self, text: str, style: str = "notice") -> None: ...

    def error(self, error: ChatError) -> None: ...


def too_big(context: ContextTracker, settings: Settings, files: Sequence[Attachment], new: Attachment,
            flag: bool = False, fixed: bool = False) -> ChatError | None:
    """Why `new` (beside `files`) cannot fit the context window with the system prompt, or None. `flag`: the
    hint names --num-ctx (one-shot) rather than /set num_ctx; `fixed`: the server set the window when it
    started (an OpenAI-compatible one), so no num_ctx can change it."""
    plan = context.plan(settings, Conversation(), question("", [*files, new]).content)
    if plan.fit.fits:
        return None
    cal = context.calibration(settings.model)
    tokens = cal.tokens(block(new))
    room = max(0, plan.fit.budget - plan.pinned - (plan.fit.tokens - plan.pinned - tokens))
    window = plan.window
    size = bigger_window(plan.fit.tokens, window.model_max)
    message = _("Not attached: {name} is about {tokens} tokens, and the {window}-token context window of {model} has"
                " room for about {room} beside the system prompt{others}.").format(
        name=one_line(new.name), tokens=f"{tokens:,}", window=f"{window.tokens:,}", model=one_line(settings.model),
        room=f"{room:,}", others=_(" and the other attachments") if files else "")
    if fixed:
        hint = _("Attach a part of it: the server set {model}'s window when it started (start it with a bigger one:"
                 " llama.cpp --n_ctx N or -c N, vLLM --max-model-len N).").format(model=one_line(settings.model))
    elif size is not None and size > window.tokens:
        hint = (_("Attach a part of it, or give the model a bigger window: --num-ctx {size}.") if flag else
                _("Attach a part of it, or give the model a bigger window: /set num_ctx {size}.")).format(size=size)
    else:
        hint = _("Attach a part of it: {model} cannot take a bigger window.").format(model=one_line(settings.model))
    return ChatError(message, hint)


def vision_refusal(backend: Backend, model: str, flag: bool = False, waiting: bool = False) -> ChatError | None:
    """None when `model` can see images (or the server does not say); otherwise why not, naming installed
    models that can ("gemma3:4b can see images; llama3.2 cannot"). `flag`: the hint names -m (one-shot);
    `waiting`: the image is already waiting in the tray (the model changed since), so /read --clear drops it."""
    try:
        capabilities = backend.model_info(model, timeout=CHECK_TIMEOUT).capabilities
    except BackendError:
        return None  # the request itself will say what is wrong
    if not capabilities or "vision" in capabilities:
        return None
    seeing: list[str] = []
    try:
        for name in backend.list_models()[:_VISION_PROBE]:
            if "vision" in backend.model_info(name, timeout=CHECK_TIMEOUT).capabilities:
                seeing.append(name)
    except BackendError:
        pass
    shown = one_line(model)
    if seeing:
        names = ", ".join(one_line(n) for n in seeing[:3])
        message = _("{names} can see images; {model} cannot.").format(names=names, model=shown)
        hint = (_("Ask a model that can: -m {name}.") if flag else
                _("Switch with /model {name}, or drop the image (/read --clear).") if waiting else
                _("Switch with /model {name}, then send it again.")).format(
            name=one_line(seeing[0]))
    else:
        message = _("{model} cannot see images.").format(model=shown)
        hint = (_("Ask a vision model (gemma3, llava, qwen2.5vl): ollama-chat models pull gemma3:4b, then -m gemma3:4b.")
                if flag else _("Use a vision model (gemma3, llava, qwen2.5vl: /pull gemma3:4b), or drop the image"
                               " (/read --clear)."))
    return UsageError(message, hint) if flag else ChatError(message, hint)


def attached_note(item: Attachment | Image, tokens: int | None = None) -> str:
    """📎 notes.txt · 12 KB · about 3,100 tokens (read as CP949)"""
    if isinstance(item, Image):
        return f"📎 {one_line(item.name)} · {item.format} · {size_text(item.size)}"
    note = _("📎 {name} · {size} · about {tokens} tokens").format(name=one_line(item.name), size=size_text(item.size),
                                                                  tokens=f"{tokens or 0:,}")
    if item.encoding.replace("-", "").lower() not in ("utf8", "utf8sig", "ascii"):
        note += " " + _("(read as {encoding})").format(encoding=item.encoding.upper())
    return note


class Tray:
    """Owned by the session: the attachments for the next question, until it is sent."""

    def __init__(self, settings: Callable[[], Settings], context: ContextTracker, backend: Backend,
                 notify: _Notify) -> None:
        self._settings = settings
        self._context = context
        self._backend = backend
        self._notify = notify
        self.files: list[Attachment] = []
        self.images: list[Image] = []

    def __len__(self) -> int:
        return len(self.files) + len(self.images)

    def add(self, item: Attachment | Image) -> bool:
        """Hold `item` for the next question, or say why not. The same name again replaces the one held."""
        self.files = [f for f in self.files if f.name != item.name]
        self.images = [i for i in self.images if i.name != item.name]
        if isinstance(item, Image):
            refusal = vision_refusal(self._backend, self._settings().model)
            if refusal is not None:
                self._notify.error(refusal)
                return False
            self.images.append(item)
            self._notify.say(attached_note(item), "hint")
            return True
        settings = self._settings()
        refusal = too_big(self._context, settings, self.files, item, fixed=self._backend.fixed_window)
        if refusal is not None:
            self._notify.error(refusal)
            return False
        self.files.append(item)
        self._notify.say(attached_note(item, self.cost(item)), "hint")
        return True

    def cost(self, item: Attachment) -> int:
        return self._context.calibration(self._settings().model).tokens(block(item))

    def question(self, words: str) -> Message:
        return question(words, self.files, self.images)

    def can_see(self, model: str) -> bool:
        """Checked again when asking: the model may have changed since the image was attached."""
        refusal = vision_refusal(self._backend, model, waiting=True)
        if refusal is not None:
            self._notify.error(refusal)
        return refusal is None

    def clear(self) -> None:
        self.files, self.images = [], []

    def tokens(self) -> int:
        """The estimated cost of the files waiting (what the toolbar's ctx counts before they are sent)."""
        return sum(map(self.cost, self.files))
