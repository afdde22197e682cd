"""ChatSession: the live state of an interactive chat and the actions on it. It draws nothing itself: what
it has to say goes to a `Notify` the REPL provides, replies to the `Output`.

It owns the settings layers (and the settings resolved from them), the exchange log (memory and store
together), the attachments waiting, and what the last question did, so `/retry` acts on a record instead of
guessing from the text. What it asks the server about models is `model_checks`'; /compact is `compact`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ollama_chat.backends.base import CHECK_TIMEOUT, Backend
from ollama_chat.chat.compact import compact, exchanges_text
from ollama_chat.chat.budget import bigger_window
from ollama_chat.chat.context import ContextTracker, Plan
from ollama_chat.chat.conversation import Conversation
from ollama_chat.chat.events import Display, Notify, Output, ToolDesk
from ollama_chat.chat.log import ExchangeLog
from ollama_chat.chat.model_checks import ModelChecks
from ollama_chat.chat.personas import Persona
from ollama_chat.chat.recorder import Recorder
from ollama_chat.chat.refusals import NotSent
from ollama_chat.chat.resume import Continuation, Resumed, continue_with
from ollama_chat.chat.settings import Settings
from ollama_chat.chat.layers import UNSET, Layers
from ollama_chat.chat.tool_round import Approvals, result_budget
from ollama_chat.chat.tool_use import ToolUse
from ollama_chat.chat.toolbox import ToolPlace, toolbox_for
from ollama_chat.chat.tray import Tray
from ollama_chat.chat.turn import fitted_turn, refused_text, settle
from ollama_chat.files.attachments import reworded
from ollama_chat.i18n import _, ngettext
from ollama_chat.text import one_line
from ollama_chat.types import Exchange, Message


@dataclass(frozen=True)
class LastAsk:
    """The last question and what it did: the exchange it added to the log, or None if it added nothing."""

    question: Message
    exchange: Exchange | None = None


class ChatSession:
    def __init__(self, layers: Layers, backend: Backend, output: Output, notify: Notify, user_persona_dir: Path,
                 recorder: Recorder | None = None, desk: ToolDesk | None = None, place: ToolPlace | None = None) -> None:
        """`desk`: where tool calls are shown and asked about (None: no one to ask, so tools are not offered);
        `place`: where the tools act (None: the current folder, no environment)."""
        self.backend = backend
        self.output = output
        self.notify = notify
        self.user_persona_dir = user_persona_dir
        self.log = ExchangeLog(recorder)
        self._layers = layers
        self.settings: Settings = layers.resolve()
        self._last: LastAsk | None = None
        self.context = ContextTracker()
        self.checks = ModelChecks(backend, self.context, notify, lambda: self.settings)
        self.tray = Tray(lambda: self.settings, self.context, backend, notify)
        s = self.settings
        place = place or ToolPlace(".", None, {})
        toolbox = toolbox_for(s.tools, s.mcp, place, lambda: result_budget(self.context.window(self.settings).tokens),
                              lambda text: self.context.calibration(self.settings.model).tokens(text))
        self.tool_use = ToolUse(toolbox, Approvals(s.yes_tools), desk, notify, backend)  # off until chosen
        self._told_window: int | None = None  # the window for which dropped exchanges were last explained
        self._told_steps: int | None = None  # the window for which tool steps left out were last explained

    @property
    def conversation(self) -> Conversation:
        """The log's exchanges as every request is built from them (read it; change it through `log`)."""
        return self.log.conversation

    @property
    def recorder(self) -> Recorder:
        return self.log.recorder

    # -- settings ---------------------------------------------------------------------------------------------

    @property
    def layers(self) -> Layers:
        return self._layers

    def _change(self, layers: Layers) -> None:
        self._layers = layers
        self.settings = layers.resolve()
        toolbox = self.tool_use.toolbox
        if (toolbox.builtins, toolbox.servers) != (self.settings.tools, self.settings.mcp):  # /tools, a persona
            toolbox.choose(self.settings.tools, self.settings.mcp)

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

    def switch_model(self, model: str) -> None:
        name = self.checks.name_to_switch_to(model)
        if name is not None:
            self.set(model=name)
            self.notify.say(_("Model: {model}").format(model=one_line(name)))

    def set_think(self, think: bool | str) -> None:
        self.set(think=think)  # first: the check reads the model it is for
        self.set(think=self.checks.think_to_set(think))

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
        specs, round_ = self.tool_use.for_turn(s.model, self.context.calibration(s.model).tokens,
                                               lambda: self.context.window(self.settings).tokens)
        turn = fitted_turn(self.backend, self.context, s, self.log.conversation, question, self.output, self._tell_dropped,
                           lambda refusal: self.notify.say(refused_text(refusal, one_line(s.model)), "hint"),
                           follow_up=round_, tools=specs)
        plan, result = turn.plan, turn.result
        self.tool_use.after(round_, result)
        if result is None:
            self.notify.refused(NotSent(plan, s.model, self.backend.fixed_window,
                                        bigger_window(plan.fit.tokens, plan.window.model_max)))
            return
        if not isinstance(words, Message):
            self.tray.clear()  # sent: /retry has them now
        if result.error is not None:
            self.notify.error(result.error)
            self.notify.say(_("Nothing was added to the history; /retry asks again, ↑ brings your text back."), "hint")
            return
        if result.interrupted and not result.text and len(turn.rounds) == 1:
            settle(result)
            self.notify.say(_("Interrupted before the model answered; /retry asks again."), "hint")
            return
        self.log.add(turn.exchange, s)
        settle(result)  # a signal or a failed output ends the chat here, once the exchange is stored
        self._last = LastAsk(question, self.log.last)
        if len(turn.rounds) == 1:  # a tool round's prompt is more than the plan counted: no calibration from it
            self.context.observe(s.model, plan, result.stats, result.text, result.thinking)
        self.checks.learn_window(s.model)
        if result.interrupted:
            self.notify.say(_("The partial reply is kept in the history; /retry asks again."), "hint")

    def _tell_dropped(self, plan: Plan) -> None:
        """Say once (again only when the window changes) that older exchanges have stopped being sent."""
        if plan.summary_left_out and self._told_window != -plan.window.tokens:
            self._told_window = -plan.window.tokens
            self.notify.say(_("The /compact summary no longer fits the {tokens}-token context and is left out;"
                              " /set num_ctx higher brings it back.").format(tokens=f"{plan.window.tokens:,}"), "hint")
        if plan.steps_out and self._told_steps != plan.window.tokens:
            self._told_steps = plan.window.tokens
            which = exchanges_text(*plan.steps_range)
            self.notify.say(_("The tool calls and results in {which} no longer fit the {tokens}-token context and are"
                              " not sent from now on; their questions and answers still are (nothing is deleted:"
                              " /history shows everything).").format(which=which, tokens=f"{plan.window.tokens:,}"),
                            "hint")
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

    def compact(self) -> None:
        if compact(self.log, self.plan(), self.settings, self.context, self.backend, self.output, self.notify):
            self._told_window = self._told_steps = None

    def plan(self, question: str = "") -> Plan:
        """What the next request would send (for the toolbar, /show and /history)."""
        return self.context.plan(self.settings, self.conversation, question)

    def retry(self) -> None:
        last = self._last
        if last is None:
            self.notify.say(_("Nothing to retry: ask something first (after /undo, ↑ brings the question back)."), "hint")
            return
        if last.exchange is not None and self.log.take_back(last.exchange) is None:
            self.notify.say(_("Nothing to retry: the last exchange is gone."), "hint")
            return
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
        if last.exchange is not None:
            self.log.take_back(last.exchange)
        self.ask(reworded(last.question, words))

    # -- the log ----------------------------------------------------------------------------------------------

    def undo(self) -> Exchange | None:
        self._last = None  # an undone question is not asked again by /retry
        return self.log.take_back()

    def clear(self) -> None:
        """A fresh conversation; the one before stays in the store."""
        self._last = None
        self._told_window = self._told_steps = None
        self.tray.clear()
        self.log.clear()

    def continue_from(self, continuation: Continuation) -> None:
        """Go on with an earlier conversation (`--resume`, `-c`, `/resume`, `/load`), as `resume.continue_with`
        resolved it: its exchanges, and the settings it goes on with. Its notices are the caller's to show."""
        self._change(continuation.layers)
        self.clear()
        self.log.resume(continuation.resumed)
        last = self.log.last
        if last is not None:  # /retry asks its question again (an interrupted one, say)
            self._last = LastAsk(last.question, last)

    def resume(self, resumed: Resumed) -> Continuation:
        """`/resume` and `/load` in a running chat: it keeps its server (the backend is opened once), so a
        conversation naming another is told how to go back, not taken there."""
        continuation = continue_with(self._layers, resumed, self.user_persona_dir, keep_persona=False,
                                     back_to_server=False)
        self.continue_from(continuation)
        return continuation

    def title(self, text: str) -> bool:
        return self.log.title(text)

    @property
    def last_reply(self) -> str:
        last = self.log.last
        return last.reply if last is not None else ""

    # -- the server -------------------------------------------------------------------------------------------

    def models(self, refresh: bool = False) -> list[str]:
        return self.checks.models(refresh)

    def check_model(self, timeout: float = CHECK_TIMEOUT, *, quiet_if_missing: bool = False) -> bool:
        return self.checks.check_model(timeout, quiet_if_missing=quiet_if_missing)

    def pull(self, name: str, display: Display) -> bool:
        return self.checks.pull(name, display)
