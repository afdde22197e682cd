"""`ollama-chat models`: the server's models as a table (or tab-separated lines, each starting with the
model's name), and pulling one with its progress shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ollama_chat.backends.base import Backend, BackendError
from ollama_chat.environment import Environment
from ollama_chat.errors import EXIT_INTERRUPTED, EXIT_OK
from ollama_chat.i18n import N_, _
from ollama_chat.types import ModelInfo, PullProgress
from ollama_chat.ui.text import one_line, size_text

SHOW_TIMEOUT = 5.0


class Display(Protocol):
    def update(self, step: PullProgress) -> None: ...

    def close(self) -> None: ...

CAPABILITIES = ("vision", "tools", "thinking")
# The table's columns: (title, right-aligned).
COLUMNS = ((N_("Name"), False), (N_("Size"), True), (N_("Params"), False), (N_("Quant"), False), (N_("Context"), True),
           (N_("Also can"), False), (N_("Modified"), False))


def describe(backend: Backend) -> list[tuple[ModelInfo, ModelInfo | None]]:
    """Each installed model, with what /api/show says of it (None when it did not answer)."""
    rows = []
    for listed in backend.models():
        try:
            shown: ModelInfo | None = backend.model_info(listed.name, timeout=SHOW_TIMEOUT)
        except BackendError:
            shown = None
        rows.append((listed, shown))
    return rows


def _cells(listed: ModelInfo, shown: ModelInfo | None, *, terminal: bool) -> list[str]:
    """A terminal's cells are for reading (2.0 GB, 131,072); a pipe's for scripts (bytes, plain numbers)."""
    window = shown.context_length if shown and shown.context_length else None
    context = ("?" if window is None else f"{window:,}") if terminal else str(window or "")
    capabilities = ",".join(c for c in CAPABILITIES if shown and c in shown.capabilities) or ("-" if terminal else "")
    size = "" if not listed.size else size_text(listed.size) if terminal else str(listed.size)  # 0: not said
    return [listed.name, size, listed.parameter_size, listed.quantization, context, capabilities, listed.modified[:10]]


def print_models(env: Environment, backend: Backend) -> int:
    rows = [[one_line(c) for c in _cells(listed, shown, terminal=env.stdout_isatty)] for listed, shown in describe(backend)]
    if env.stdout_isatty:
        from rich.table import Table
        from rich.text import Text

        from ollama_chat.ui.theme import make_console

        table = Table(box=None, padding=(0, 2, 0, 0), header_style="bold")
        # a column no row fills is left out (an OpenAI-compatible server says no sizes, parameters or capabilities)
        shown = [i for i in range(len(COLUMNS)) if i == 0 or any(row[i] not in ("", "-") for row in rows)] if rows else \
            list(range(len(COLUMNS)))
        for number in shown:
            name, right = COLUMNS[number]
            table.add_column(_(name), no_wrap=number == 0, justify="right" if right else "left")
        for row in rows:
            table.add_row(*(Text(row[i]) for i in shown))  # text, never markup
        make_console(env.stdout, env.columns).print(table)
        if not rows:
            env.stderr.write(_("No models yet: ollama-chat models pull llama3.2") + "\n")
    else:
        for row in rows:
            env.stdout.write("\t".join(row) + "\n")  # one_line: a tab or newline in a name shows as \\t, \\n
    env.stdout.flush()
    return EXIT_OK


def pull(backend: Backend, name: str, view_for: Callable[[], Display], say: Callable[[str], None]) -> int:
    """Pull `name`, drawing each step on a view (PullView or PlainPullView). Ctrl+C stops it: the connection is
    dropped, which stops the download, and what was downloaded stays for next time."""
    view = view_for()
    steps = backend.pull(name)
    try:
        for step in steps:
            view.update(step)
    except KeyboardInterrupt:
        steps.close()
        view.close()
        say(_("Pull of {model} stopped; pulling it again resumes where it was.").format(model=one_line(name)))
        return EXIT_INTERRUPTED
    except BaseException:
        view.close()
        raise
    view.close()
    say(_("{model} is ready.").format(model=one_line(name)))
    return EXIT_OK


def view_for(env: Environment) -> Callable[[], Display]:
    """A terminal gets bars on stderr's terminal; anything else the status lines."""
    def make() -> Display:
        from ollama_chat.ui.progress import PlainPullView

        if env.stderr_isatty:
            from ollama_chat.ui.progress import PullView
            from ollama_chat.ui.theme import make_console

            return PullView(make_console(env.stderr, env.columns))
        return PlainPullView(env.stderr)

    return make
