"""Attachments waiting for the next question (`/read`, `/image`, `@path`). Each is checked as it arrives, so
a problem is told before anything is sent: a file must fit the model's context window, an image needs a model
that can see. Each is shown with its size and its estimated token cost."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ollama_chat.backends.base import CHECK_TIMEOUT, Backend, BackendError
from ollama_chat.chat.budget import bigger_window
from ollama_chat.chat.context import ContextTracker
from ollama_chat.chat.conversation import Conversation
from ollama_chat.chat.events import Notify
from ollama_chat.chat.refusals import CannotSee, TooBig
from ollama_chat.chat.settings import Settings
from ollama_chat.files.attachments import Attachment, Image, block, question
from ollama_chat.i18n import _
from ollama_chat.text import one_line, size_text
from ollama_chat.types import Message

_VISION_PROBE = 12  # models asked for their capabilities when naming some that can see


def too_big(context: ContextTracker, settings: Settings, files: Sequence[Attachment], new: Attachment,
            fixed: bool = False) -> TooBig | None:
    """Why `new` (beside `files`) cannot fit the context window with the system prompt, or None. `fixed`: the
    server set the window when it started (an OpenAI-compatible one), so no num_ctx can change it."""
    plan = context.plan(settings, Conversation(), question("", [*files, new]).content)
    if plan.fit.fits:
        return None
    tokens = context.calibration(settings.model).tokens(block(new))
    room = max(0, plan.fit.budget - plan.pinned - (plan.fit.tokens - plan.pinned - tokens))
    bigger = bigger_window(plan.fit.tokens, plan.window.model_max)
    return TooBig(new.name, tokens, room, plan.window.tokens, settings.model, bool(files),
                  bigger if bigger is not None and bigger > plan.window.tokens else None, fixed)


def cannot_see(backend: Backend, model: str, waiting: bool = False) -> CannotSee | None:
    """None when `model` can see images (or the server does not say); otherwise which installed models can.
    `waiting`: the image already waits in the tray (the model changed since)."""
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
    return CannotSee(model, tuple(seeing), waiting)


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
                 notify: Notify) -> None:
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
            refusal = cannot_see(self._backend, self._settings().model)
            if refusal is not None:
                self._notify.refused(refusal)
                return False
            self.images.append(item)
            self._notify.say(attached_note(item), "hint")
            return True
        settings = self._settings()
        refusal = too_big(self._context, settings, self.files, item, fixed=self._backend.fixed_window)
        if refusal is not None:
            self._notify.refused(refusal)
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
        refusal = cannot_see(self._backend, model, waiting=True)
        if refusal is not None:
            self._notify.refused(refusal)
        return refusal is None

    def clear(self) -> None:
        self.files, self.images = [], []

    def tokens(self) -> int:
        """The estimated cost of the files waiting (what the toolbar's ctx counts before they are sent)."""
        return sum(map(self.cost, self.files))
