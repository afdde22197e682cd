"""Tools in a chat: which are offered for the next question (none to a model that says it cannot call tools,
and that is said once), the round that runs them (`tool_round.ToolRound`), and what is said after the answer:
the sources the web tools read, numbered, and a reply that ended in thinking alone."""

from __future__ import annotations

from collections.abc import Callable

from ollama_chat.backends.base import CHECK_TIMEOUT, Backend, BackendError
from ollama_chat.chat.events import Notify, ToolDesk, ToolOutcome
from ollama_chat.chat.tool_round import Approvals, ToolRound
from ollama_chat.chat.toolbox import ToolBox
from ollama_chat.chat.turn import TurnResult
from ollama_chat.i18n import _
from ollama_chat.text import one_line
from ollama_chat.tools.base import Source
from ollama_chat.types import ToolSpec


class ToolUse:
    def __init__(self, toolbox: ToolBox, approvals: Approvals, desk: ToolDesk | None, notify: Notify,
                 backend: Backend, on_sources: Callable[[list[Source]], None] | None = None) -> None:
        """`on_sources`: where the numbered sources go (a one-shot prints them with the answer); by default
        they are said after it."""
        self.toolbox = toolbox
        self.approvals = approvals
        self.desk = desk  # None: no one to ask (a one-shot without a terminal): calls that need asking are refused
        self._notify = notify
        self._backend = backend
        self.last: list[ToolOutcome] = []  # the calls of the last question, for /tools last
        self.paused: tuple[str, ...] = ()  # what /tools off turned off, for /tools on
        self._told_cannot: set[str] = set()
        self._told_problems: set[str] = set()
        self._on_sources = on_sources or self._say_sources

    def for_turn(self, model: str, tokens: Callable[[str], int], window: Callable[[], int]
                 ) -> tuple[tuple[ToolSpec, ...], ToolRound | None]:
        """The tools to offer with the next question, and the round that answers their calls (None, None
        when tools are off or the model cannot call them)."""
        if not self.toolbox.on or self.desk is None or not self._can_call_tools(model):
            return (), None
        tools, problems = self.toolbox.tools()
        for problem in problems:
            if problem.server not in self._told_problems:
                self._told_problems.add(problem.server)
                self._notify.say(one_line(problem.message) + ("\n  " + one_line(problem.hint) if problem.hint else ""),
                                 "warning")
        if not tools:
            return (), None
        round_ = ToolRound(tools, self.approvals, self.desk, tokens, window)
        return tuple(t.spec for t in tools.values()), round_

    def after(self, round_: ToolRound | None, result: TurnResult | None) -> None:
        """Once the answer is in: keep the calls for /tools last, list the pages read, and say so when a
        thinking model stopped with neither text nor a call."""
        self.last = list(round_.outcomes) if round_ is not None else []
        if result is None or result.error is not None:
            return
        sources = numbered(self.last)
        if sources and result.text:
            self._on_sources(sources)
        if round_ is not None and not result.text and not result.tool_calls and result.thinking and not result.interrupted:
            self._notify.say(_("The model only thought and gave no answer (a thinking model with tools sometimes does):"
                               " /retry asks again; /think off often helps."), "hint")

    def _say_sources(self, sources: list[Source]) -> None:
        self._notify.say(sources_text(sources), "notice")

    def _can_call_tools(self, model: str) -> bool:
        """Ollama says which models can (its `tools` capability; others answer 400); a server that names no
        capabilities is trusted to say so itself."""
        try:
            capabilities = self._backend.model_info(model, timeout=CHECK_TIMEOUT).capabilities
        except BackendError:
            return True  # the request will say what is wrong
        if not capabilities or "tools" in capabilities:
            return True
        if model not in self._told_cannot:
            self._told_cannot.add(model)
            self._notify.say(_("{model} cannot call tools (the server does not list it as able to), so it is asked"
                               " without them; /model NAME switches to one that can (e.g. qwen3, llama3.1).").format(
                model=one_line(model)), "hint")
        return False


def sources_text(sources: list[Source]) -> str:
    """The pages an answer used, numbered, one a line (sanitised: titles and URLs are the pages' words)."""
    return _("Sources:") + "\n" + "\n".join(f"  {i}. {one_line(s.title or s.url, 200)} — {one_line(s.url, 500)}"
                                             for i, s in enumerate(sources, 1))


def numbered(outcomes: list[ToolOutcome]) -> list[Source]:
    """The pages the calls read, each once, in the order first read."""
    seen: dict[str, Source] = {}
    for outcome in outcomes:
        for source in outcome.sources:
            seen.setdefault(source.url, source)
    return list(seen.values())
