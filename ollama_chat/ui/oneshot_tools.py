"""Tools in a one-shot question (`--tools`, `--mcp`, the config or a persona): its stdout is the answer's, so
the calls are shown and asked about on stderr, with keys read from the terminal (/dev/tty) when there is one.
With none (cron, a CI job), a call that needs approval is refused unless `--yes-tools` allowed it, and that is
said. The numbered sources of a web search follow the answer on stdout: they are part of it. Imported only when
a one-shot has tools."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ollama_chat.backends.base import Backend
from ollama_chat.chat.settings import Settings
from ollama_chat.chat.context import ContextTracker
from ollama_chat.chat.tool_round import Approvals, result_budget
from ollama_chat.chat.tool_use import ToolUse, sources_text
from ollama_chat.chat.toolbox import ToolPlace, toolbox_for
from ollama_chat.environment import Environment
from ollama_chat.tools.base import Source
from ollama_chat.ui.editor import Editor
from ollama_chat.ui.tool_desk import KeyReader, StreamScreen, ToolDesk


class StderrNotify:
    """What the chat says about its tools, as our messages on stderr."""

    def __init__(self, env: Environment) -> None:
        self.env = env

    def say(self, text: str, style: str = "notice") -> None:
        if style in ("warning", "error"):
            self.env.warn(text)
        else:
            self.env.note(text)

    def error(self, error: Any) -> None:
        self.env.error(error.message, error.hint)

    def refused(self, refusal: Any) -> None:  # a one-shot words its refusals itself
        pass


@contextmanager
def oneshot_tools(env: Environment, settings: Settings, backend: Backend, context: ContextTracker
                  ) -> Iterator[ToolUse]:
    """The tools of one question, closed after (MCP servers stopped, the terminal let go); their results are
    fitted to the window and counted with the calibration `context` (the question's own) knows."""
    tty = None
    try:
        tty = env.open_tty()
    except OSError:
        pass
    screen = StreamScreen(env.stderr)
    keys = KeyReader(tty.fileno()) if tty is not None else None
    edit = Editor(env.environ, tty.fileno(), screen=env.stderr).edit if tty is not None else None
    place = ToolPlace(os.getcwd(), settings.host if settings.backend_api == "ollama" else None, env.environ)
    toolbox = toolbox_for(settings.tools, settings.mcp, place,
                          lambda: result_budget(context.window(settings).tokens),
                          lambda text: context.calibration(settings.model).tokens(text))

    def sources(found: list[Source]) -> None:
        env.stdout.write("\n" + sources_text(found) + "\n")
        env.stdout.flush()

    tool_use = ToolUse(toolbox, Approvals(settings.yes_tools), ToolDesk(screen, keys, edit), StderrNotify(env), backend,
                       on_sources=sources)
    try:
        yield tool_use
    finally:
        toolbox.close()
        if tty is not None:
            tty.close()
