"""ChatSession: the live state of an interactive chat and the actions on it. It draws nothing itself: what
it has to say goes to a `Notify` the REPL provides, replies to the `Output`.

It owns the settings layers (and the settings resolved from them), the conversation, and what the last
question did, so `/retry` acts on a record instead of guessing from the text. Its Recorder keeps the store in
step with the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ollama_chat.files.attachments import reworded
from ollama_chat.backends.base import Backend, BackendError, ModelNotFound
from ollama_chat.chat.context import ContextTracker, Plan, bad_window_text, not_sent, not_sent_hint
from ollama_chat.chat.conversation import Conversation
from ollama_chat.errors import EXIT_OK, ChatError
from ollama_chat.i18n import _, ngettext
from ollama_chat.chat.events import Display, Notify, Output
from ollama_chat.chat.pull import pull as pull_model
from ollama_chat.chat.personas import Persona
from ollama_chat.chat.recorder import Recorder
from ollama_chat.chat.resume import Resumed, resumed_layers
from ollama_chat.chat.settings import UNSET, Layers, Settings
from ollama_chat.chat.tray import Tray
from ollama_chat.chat.turn import fitted_turn, refused_text, run_turn, settle
from ollama_chat.types import ChatRequest, Exchange, Message, ModelInfo
from ollama_chat.text import one_line


CHECK_TIMEOUT = 3.0


def exchanges_text(first: int, last: int) -> str:
    """Exchange 3, Exchanges 1–4."""
    if first == last:
        return _("Exchange {n}").format(n=first)
    return _("Exchanges {first}–{last}").format(first=first, last=last)


COMPACT_PROMPT = ("Summarise the conversation below for the assistant who will continue it: the facts, names, numbers,"
                  " decisions and open questions, in a few short paragraphs, in the language the conversation is held in."
                  " Write only the summary.")


@dataclass(frozen=True)
class LastAsk:
    """The last question and what it did: the exchange it added to the log, or None if it added nothing."""

    question: Message
    exchange: Exchange | None = None


class ChatSession:
    def __init__(self, layers: Layers, backend: Backend, output: Output, notify: Notify, user_persona_dir: Path,
                 recorder: Recorder | None = None) -> None:
        self.backend = backend
        self.output = output
        self.notify = notify
        self.user_persona_dir = user_persona_dir
        self.recorder = recorder or Recorder(None, lambda text, hint: None)
        self.conversation = Conversation()
        self._layers = layers
        self.settings: Settings = layers.resolve()
        self._last: LastAsk | None = None
        self._models: list[str] | None = None
        self.context = ContextTracker()
        self.tray = Tray(lambda: self.settings, self.context, backend, notify)
        self._told_window: int | None = None  # the window for which dropped exchanges were last explained
        self._told_small: set[str] = set()  # models whose small window was pointed out
        self._told_bad: set[str] = set()  # models whose window, as the server gave it, could not be one

    # -- settings ---------------------------------------------------------------------------------------------

    @property
    def layers(self) -> Layers:
        return self._layers

    def _change(self, layers: Layers) -> None:
        self._layers = layers
        self.settings = layers.resolve()

    def set(self, **changes: Any) -> None:
        """This session's choice of a setting (/model, /system, /format, /stats, /think)."""
        self._change(self._layers.set(**changes))

    def set_option(self, name: str, value: Any) -> None:
        self._change(self._layers.set_option(name, value))
        if name == "num_ctx" and self.backend.fixed_window:
            self.notify.say(_("On this server num_ctx only limits how much of the conversation ollama-chat sends:"
                              " the server set {model}'s window when it started.").format(
                model=one_line(self.settings.model)), "hint")

    def unset_option(self, name: str) -> None:
        self._change(self._layers.set_option(name, UNSET))

    def switch_persona(self, persona: Persona) -> None:
        """A new persona starts a fresh conversation; options and the model you chose stay."""
        self._change(self._layers.with_persona(persona))
        self.clear()

    # -- asking -----------------------------------------------------------------------------------------------

    def ask(self, words: str | Message) -> None:
        """One exchange, with the attachments waiting for it. A failed request leaves the log as it was; an
        interrupted one keeps what was shown. Only what fits the model's context window is sent; a question
        that cannot fit (or brings images to a model that cannot see) is not sent at all, and its attachments
        stay for the next try."""
        question = words if isinstance(words, Message) else self.tray.question(words)
        if question.images and not self.tray.can_see(self.settings.model):
            return
        self._last = LastAsk(question)
        s = self.settings
        turn = fitted_turn(self.backend, self.context, s, self.conversation, question, self.output, self._tell_dropped,
                           lambda refusal: self.notify.say(refused_text(refusal, one_line(s.model)), "hint"))
        plan, result = turn.plan, turn.result
        if result is None:
            hint = not_sent_hint(plan, one_line(s.model), fixed=self.backend.fixed_window, chat=True)
            self.notify.error(ChatError(not_sent(plan), hint))
            return
        if not isinstance(words, Message):
            self.tray.clear()  # sent: /retry has them now
        if result.error is not None:
            self.notify.error(result.error)
            self.notify.say(_("Nothing was added to the history; /retry asks again, ↑ brings your text back."), "hint")
            return
        if result.interrupted and not result.text:
            settle(result)
            self.notify.say(_("Interrupted before the model answered; /retry asks again."), "hint")
            return
        self.conversation.add(turn.exchange)
        self.recorder.record(self.conversation, s)
        settle(result)  # a signal or a failed output ends the chat here, once the exchange is stored
        exchange = self.conversation.last
        self._last = LastAsk(question, exchange)
        self.context.observe(s.model, plan, result.stats, result.text, result.thinking)
        self._learn_window(s.model)
        if result.interrupted:
            self.notify.say(_("The partial reply is kept in the history; /retry asks again."), "hint")

    def _tell_dropped(self, plan: Plan) -> None:
        """Say once (again only when the window changes) that older exchanges have stopped being sent."""
        if plan.summary_left_out and self._told_window != -plan.window.tokens:
            self._told_window = -plan.window.tokens
            self.notify.say(_("The /compact summary no longer fits the {tokens}-token context and is left out;"
                              " /set num_ctx higher brings it back.").format(tokens=f"{plan.window.tokens:,}"), "hint")
        if plan.dropped <= 0 or self._told_window == plan.window.tokens:
            return
        self._told_window = plan.window.tokens
        s = self.settings
        if plan.fit.capped:
            self.notify.say(_("From now on only the last {n} exchanges are sent with each question (--max-messages"
                              " {max}); older ones stay in /history and /save.").format(n=s.max_messages // 2,
                                                                                       max=s.max_messages), "hint")
            return
        first = self.conversation.summarized + 1
        which = exchanges_text(first, first + plan.dropped - 1)
        self.notify.say(ngettext("{which} no longer fits the {tokens}-token context and is not sent from now on"
                                 " (nothing is deleted: /history shows everything; /compact sends a summary instead).",
                                 "{which} no longer fit the {tokens}-token context and are not sent from now on"
                                 " (nothing is deleted: /history shows everything; /compact sends a summary instead).",
                                 plan.dropped).format(which=which, tokens=f"{plan.window.tokens:,}"), "hint")

    def _learn_window(self, model: str) -> None:
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

    def _learn_model(self, model: str, info: ModelInfo) -> None:
        """The most the model supports; on a server that fixes the window when it starts (vLLM's
        --max-model-len), that is also the window it runs with. A window that cannot be one is said once."""
        loaded = info.context_length if self.backend.fixed_window else None
        self.context.learn(model, model_max=info.context_length, loaded=loaded)
        if info.bad_window and model not in self._told_bad:
            self._told_bad.add(model)
            window = self.context.window(replace(self.settings, model=model))  # /model: the settings are not yet its
            self.notify.say(bad_window_text(one_line(model), one_line(info.bad_window), window.tokens), "warning")

    def compact(self) -> None:
        """/compact: the model summarises the exchanges that no longer fit (with any summary before them), and
        the summary is sent in their place from then on. The exchanges themselves stay in the log and store."""
        plan, s = self.plan(), self.settings
        count, start = plan.dropped, self.conversation.summarized
        if count == 0:
            self.notify.say(_("Everything still fits the {tokens}-token context: nothing to compact.")
                            .format(tokens=f"{plan.window.tokens:,}"), "hint")
            return
        cal = self.context.calibration(s.model)
        while count > 1 and cal.tokens(self._compact_text(count)) > plan.fit.budget // 2:
            count -= 1  # the summary request must fit the window too: summarise the oldest first
        request = ChatRequest(s.model, (Message("system", COMPACT_PROMPT), Message("user", self._compact_text(count))),
                              options=dict(s.options), keep_alive=s.keep_alive, stream=s.stream)
        rest = plan.dropped - count
        which = exchanges_text(start + 1, start + count).lower()
        if rest:
            summarising = _("Summarising {which} ({rest} more next time: the summary request must fit the window too)…")
        else:
            summarising = _("Summarising {which}…")
        self.notify.say(summarising.format(which=which, rest=rest), "hint")
        result = run_turn(self.backend, request, self.output)
        settle(result)
        if result.error is not None or result.interrupted or not result.text.strip():
            if result.error is not None:
                self.notify.error(result.error)
            self.notify.say(_("No summary was made; the conversation is as it was."), "hint")
            return
        self.conversation.compact(result.text.strip(), start + count)
        self.recorder.compacted(self.conversation)
        self._told_window = None
        self.notify.say(_("From now on this summary is sent in place of {which} (all of it stays in /history and the"
                          " store).").format(which=exchanges_text(1, start + count).lower()), "notice")

    def _compact_text(self, count: int) -> str:
        conversation = self.conversation
        parts = [f"(Summary so far)\n{conversation.summary}"] if conversation.summary else []
        for e in conversation.eligible[:count]:
            parts.append(f"User: {e.question.content}\n\nAssistant: {e.reply}")
        return "\n\n---\n\n".join(parts)

    def plan(self, question: str = "") -> Plan:
        """What the next request would send (for the toolbar, /show and /history)."""
        return self.context.plan(self.settings, self.conversation, question)

    def retry(self) -> None:
        last = self._last
        if last is None:
            self.notify.say(_("Nothing to retry: ask something first (after /undo, ↑ brings the question back)."), "hint")
            return
        if last.exchange is not None:
            if self.conversation.last is not last.exchange:
                self.notify.say(_("Nothing to retry: the last exchange is gone."), "hint")
                return
            self.conversation.undo()
            self.recorder.undo(last.exchange)  # its own row: another window's exchanges stay
        self.ask(last.question)

    @property
    def last_words(self) -> str | None:
        """What the user typed for the question /retry would ask, None when there is none."""
        return self._last.question.words if self._last is not None else None

    def edit_last(self, words: str) -> None:
        """/edit: ask `words` in place of the last question (with its attachments), replacing its exchange."""
        last = self._last
        if last is None:
            self.ask(words)
            return
        if last.exchange is not None and self.conversation.last is last.exchange:
            self.conversation.undo()
            self.recorder.undo(last.exchange)
        self.ask(reworded(last.question, words))

    # -- the log ----------------------------------------------------------------------------------------------

    def undo(self) -> Exchange | None:
        self._last = None  # an undone question is not asked again by /retry
        undone = self.conversation.undo()
        if undone is not None:
            self.recorder.undo(undone)  # its own row: another window's exchanges stay
        return undone

    def clear(self) -> None:
        """A fresh conversation; the one before stays in the store."""
        self._last = None
        self._told_window = None
        self.tray.clear()
        self.conversation.clear()
        self.recorder.restart()

    def resume(self, resumed: Resumed, *, keep_persona: bool = False) -> None:
        """Go on with an earlier conversation (`--resume`, `/resume`, `/load`): its exchanges, and its persona,
        model and options unless the flags (or, with `keep_persona`, --persona) say otherwise."""
        self._change(resumed_layers(self._layers, resumed.transcript, self.user_persona_dir, keep_persona=keep_persona))
        self.clear()
        self.conversation.exchanges.extend(resumed.transcript.exchanges)
        self.conversation.compact(resumed.transcript.summary, resumed.transcript.summarized)
        last = self.conversation.last
        if last is not None:  # /retry asks its question again (an interrupted one, say)
            self._last = LastAsk(last.question, last)
        if resumed.conversation_id is not None:
            self.recorder.resume(resumed.conversation_id)

    def title(self, text: str) -> bool:
        return self.recorder.title(text)

    @property
    def last_reply(self) -> str:
        last = self.conversation.last
        return last.reply if last is not None else ""

    # -- the server -------------------------------------------------------------------------------------------

    def switch_model(self, model: str) -> None:
        try:
            info = self.backend.model_info(model, timeout=CHECK_TIMEOUT)
            model = info.name  # its full name: llama3.2 is llama3.2:latest
            self._learn_model(model, info)
        except ModelNotFound as e:
            self.notify.error(e)
            return
        except BackendError as e:
            self.notify.say(_("Could not check the model: {reason} Switching anyway.").format(reason=one_line(e.message)),
                            "hint")
        self.set(model=model)
        self.notify.say(_("Model: {model}").format(model=one_line(model)))

    def set_think(self, think: bool | str) -> None:
        """/think: warn at once when the model says it cannot think, instead of at the next question."""
        self.set(think=think)
        if self.settings.backend_api == "openai" and not isinstance(think, str):
            self.notify.say(_("On this server thinking is the model's own: /think low|medium|high sets its effort;"
                              " on and off are not sent.") if think else
                            _("This server has no switch to turn thinking off; /think low asks for the least."), "hint")
            if think is False:
                self.set(think=None)
            return
        if think is False:
            return
        try:
            capabilities = self.backend.model_info(self.settings.model, timeout=CHECK_TIMEOUT).capabilities
        except BackendError:
            return
        if capabilities and "thinking" not in capabilities:
            self.notify.say(
                _("{model} says it cannot think: the next question will fail unless you switch with /model NAME"
                  " (e.g. qwen3, deepseek-r1) or /think off.").format(model=one_line(self.settings.model)),
                "warning",
            )

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
            self._learn_model(self.settings.model, info)
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
