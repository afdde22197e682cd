"""What the chat asks the server about models: whether the model is there (at start and after /pull), the
name /model switches to, whether it can think, the list for completion, its window; and downloading one. Each
says what it found through `Notify`; none changes the settings (the session does)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ollama_chat.backends.base import CHECK_TIMEOUT, Backend, BackendError, ModelNotFound
from ollama_chat.chat.context import ContextTracker, bad_window_text
from ollama_chat.chat.events import Display, Notify
from ollama_chat.chat.pull import pull as pull_model
from ollama_chat.chat.settings import Settings
from ollama_chat.errors import EXIT_OK
from ollama_chat.i18n import _
from ollama_chat.text import one_line
from ollama_chat.types import ModelInfo


class ModelChecks:
    def __init__(self, backend: Backend, context: ContextTracker, notify: Notify,
                 settings: Callable[[], Settings]) -> None:
        self.backend = backend
        self.context = context
        self.notify = notify
        self._settings = settings
        self._models: list[str] | None = None
        self._told_small: set[str] = set()  # models whose small window was pointed out
        self._told_bad: set[str] = set()  # models whose window, as the server gave it, could not be one

    @property
    def settings(self) -> Settings:
        return self._settings()

    def learn_window(self, model: str) -> None:
        """Ask the server what window it loaded the model with (unless num_ctx says); say once if that is far
        below what the model supports."""
        if "num_ctx" not in self.settings.options:
            try:
                self.context.learn(model, loaded=self.backend.loaded_window(model, timeout=CHECK_TIMEOUT))
            except BackendError:
                return
        window = self.context.window(self.settings)
        if window.far_below_max and model not in self._told_small:
            self._told_small.add(model)
            self.notify.say(
                _("{model} runs with a {tokens}-token context window but supports {max}: /set num_ctx {size} gives long"
                  " chats more room (the model reloads with it, which takes a moment).").format(
                    model=one_line(model), tokens=f"{window.tokens:,}", max=f"{window.model_max:,}",
                    size=min(window.model_max or 0, 4 * window.tokens)), "hint")

    def learn_model(self, model: str, info: ModelInfo) -> None:
        """The most the model supports; on a server that fixes the window when it starts (vLLM's
        --max-model-len), that is also the window it runs with. A window that cannot be one is said once."""
        loaded = info.context_length if self.backend.fixed_window else None
        self.context.learn(model, model_max=info.context_length, loaded=loaded)
        if info.bad_window and model not in self._told_bad:
            self._told_bad.add(model)
            window = self.context.window(replace(self.settings, model=model))  # /model: the settings are not yet its
            self.notify.say(bad_window_text(one_line(model), one_line(info.bad_window), window.tokens), "warning")

    def name_to_switch_to(self, model: str) -> str | None:
        """/model NAME: the model's full name (llama3.2 is llama3.2:latest), its window learnt; None when the server
        has no such model (said). A server that cannot be asked: the name as given, and that is said."""
        try:
            info = self.backend.model_info(model, timeout=CHECK_TIMEOUT)
            model = info.name
            self.learn_model(model, info)
        except ModelNotFound as e:
            self.notify.error(e)
            return None
        except BackendError as e:
            self.notify.say(_("Could not check the model: {reason} Switching anyway.").format(reason=one_line(e.message)),
                            "hint")
        return model

    def think_to_set(self, think: bool | str) -> bool | str | None:
        """/think: what to set (an OpenAI-compatible server has no off switch: None), warning at once when the model
        says it cannot think, instead of at the next question."""
        if self.settings.backend_api == "openai" and not isinstance(think, str):
            self.notify.say(_("On this server thinking is the model's own: /think low|medium|high sets its effort;"
                              " on and off are not sent.") if think else
                            _("This server has no switch to turn thinking off; /think low asks for the least."), "hint")
            return None if think is False else think
        if think is False:
            return think
        try:
            capabilities = self.backend.model_info(self.settings.model, timeout=CHECK_TIMEOUT).capabilities
        except BackendError:
            return think
        if capabilities and "thinking" not in capabilities:
            self.notify.say(
                _("{model} says it cannot think: the next question will fail unless you switch with /model NAME"
                  " (e.g. qwen3, deepseek-r1) or /think off.").format(model=one_line(self.settings.model)),
                "warning",
            )
        return think

    def models(self, refresh: bool = False) -> list[str]:
        """The server's model names, fetched once (for completion) or anew (`refresh`, for /models)."""
        if self._models is None or refresh:
            self._models = self.backend.list_models()
        return self._models

    def check_model(self, timeout: float = CHECK_TIMEOUT, *, quiet_if_missing: bool = False) -> bool:
        """Say at once if the server is down or the model missing, not only at the first question; a server
        that does not answer holds up the prompt for `timeout` seconds at most. True: the model is missing
        (`quiet_if_missing`: the caller will offer to pull it instead of this saying so)."""
        try:
            info = self.backend.model_info(self.settings.model, timeout=timeout)
            self.learn_model(self.settings.model, info)
        except ModelNotFound as e:
            if e.suggestions or not quiet_if_missing:
                self.notify.error(e)
                self.notify.say(_("The chat goes on: switch with /model NAME (/models lists them), or /pull it.")
                                if self.backend.can_pull else
                                _("The chat goes on: switch with /model NAME (/models lists them)."), "hint")
            return True
        except BackendError as e:
            self.notify.error(e)
            self.notify.say(_("The chat goes on: once the server answers, just ask."), "hint")
        return False

    def pull(self, name: str, display: Display) -> bool:
        """Download a model, its progress on `display`; Ctrl+C stops it. True when it is ready."""
        try:
            done = pull_model(self.backend, name, lambda: display, lambda text: self.notify.say(text, "notice")) == EXIT_OK
        except BackendError as e:
            self.notify.error(e)
            return False
        self._models = None  # the list changed
        return done
