"""One question in, one streamed answer out, then exit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ollama_chat.backends.base import CHECK_TIMEOUT, Backend, BackendError
from ollama_chat.chat.budget import bigger_window
from ollama_chat.chat.context import ContextTracker, Plan, bad_window_text
from ollama_chat.chat.refusals import NotSent
from ollama_chat.chat.conversation import Conversation
from ollama_chat.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, ChatError, Terminated
from ollama_chat.i18n import _, ngettext
from ollama_chat.chat.log import ExchangeLog
from ollama_chat.chat.settings import Settings
from ollama_chat.chat.turn import fitted_turn, refused_text, settle
from ollama_chat.text import one_line
from ollama_chat.types import Message
from ollama_chat.ui.wording import for_command_line
from ollama_chat.chat.events import Output

if TYPE_CHECKING:
    from ollama_chat.chat.tool_use import ToolUse
    from ollama_chat.files.attachments import Attachment


def run(settings: Settings, question: Message, backend: Backend, output: Output, log: ExchangeLog | None = None,
        note: Callable[[str], None] = lambda text: None, files: Sequence[Attachment] = (),
        tools: ToolUse | None = None, context: ContextTracker | None = None) -> int:
    """Ask once (after the exchanges of a resumed conversation in `log`, as many as fit the context window), and
    store the answer, even an interrupted one (`log` None: nothing is stored). A failure after part of the
    reply was written raises, after the part is shown. `note`: where to say that older exchanges were left out. `files`: those in `question`, to name
    the one that does not fit; images are refused for a model that cannot see, before anything is sent. `tools`:
    the tools offered (`oneshot_tools`), None for none; `context`: the window and calibration they share."""
    conversation = log.conversation if log is not None else Conversation()
    if question.images or files:  # only then: a plain question's start-up does not pay for the checks
        from ollama_chat.chat.tray import cannot_see, too_big
    if question.images:
        blind = cannot_see(backend, settings.model)
        if blind is not None:
            raise for_command_line(blind)
    context = context or ContextTracker()
    _learn_window(context, backend, settings, conversation, question, note)

    for i, attachment in enumerate(files):
        big = too_big(context, settings, files[:i], attachment, fixed=backend.fixed_window)
        if big is not None:
            raise for_command_line(big)
    specs, round_ = tools.for_turn(settings.model, context.calibration(settings.model).tokens,
                                   lambda: context.window(settings).tokens) if tools is not None else ((), None)
    turn = fitted_turn(backend, context, settings, conversation, question, output, _left_out(note),
                       lambda refusal: note(refused_text(refusal, settings.model)), follow_up=round_, tools=specs)
    result = turn.result
    if tools is not None:
        tools.after(round_, result)
    if result is None:
        raise for_command_line(NotSent(turn.plan, settings.model, backend.fixed_window,
                                       bigger_window(turn.plan.fit.tokens, turn.plan.window.model_max)))
    if result.error is not None:
        raise result.error
    saved = stored = False
    if log is not None and (result.text or not result.interrupted):
        if isinstance(result.stopped, Terminated):  # asked to stop: one try, no waiting on a lock
            saved = stored = log.add(turn.exchange, settings)
        else:
            stored = log.add_once(turn.exchange, settings)
            saved = stored and log.recorder.saving
    try:
        settle(result)  # SIGTERM, SIGHUP or an output that failed: raised now that the exchange is stored
    except BrokenPipeError:
        raise  # the reader has all it wanted (`| head -1`): exit 0, as ever
    except OSError as e:
        raise ChatError(_("Cannot write the output: {reason}.").format(reason=e.strerror or e),
                        (_("The answer is saved all the same: `ollama-chat history show` shows it.") if not result.interrupted
                         else _("What arrived before it failed is saved, marked interrupted: `ollama-chat history show`"
                                " shows it.")) if saved else _("Check the disk or file it goes to.")) from None
    if result.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if stored or log is None else EXIT_FAILURE  # the answer was shown, but it is not kept


def _left_out(note: Callable[[str], None]) -> Callable[[Plan], None]:
    """What to say when older exchanges (or their tool steps) are not sent."""

    def tell(plan: Plan) -> None:
        if plan.steps_out:
            note(ngettext("the tool calls and results of {n} earlier exchange do not fit the {tokens}-token context"
                          " window and were not sent (its question and answer were).",
                          "the tool calls and results of {n} earlier exchanges do not fit the {tokens}-token context"
                          " window and were not sent (their questions and answers were).", plan.steps_out).format(
                n=f"{plan.steps_out:,}", tokens=f"{plan.window.tokens:,}"))
        if plan.dropped:
            note(_("the oldest {dropped} of {eligible} earlier exchanges do not fit the {tokens}-token"
                   " context window and were not sent.").format(
                dropped=f"{plan.dropped:,}", eligible=f"{plan.eligible:,}", tokens=f"{plan.window.tokens:,}"))

    return tell


def _learn_window(context: ContextTracker, backend: Backend, settings: Settings, conversation: Conversation,
                  question: Message, note: Callable[[str], None]) -> None:
    """Before the question is cut to fit: the loaded model may have a bigger window than Ollama's default, so
    it is asked about first; a server that fixed its windows at start says it in the model list (one request,
    and the only way to know)."""
    plan = context.plan(settings, conversation, question.content)
    if not (backend.fixed_window or ((plan.dropped or not plan.fit.fits) and "num_ctx" not in settings.options)):
        return
    try:
        info = backend.model_info(settings.model, timeout=CHECK_TIMEOUT)
        context.learn(settings.model, loaded=backend.loaded_window(settings.model, timeout=CHECK_TIMEOUT),
                      model_max=info.context_length)
        plan = context.plan(settings, conversation, question.content)
        if info.bad_window:
            note(bad_window_text(one_line(settings.model), one_line(info.bad_window), plan.window.tokens))
    except BackendError:
        pass
