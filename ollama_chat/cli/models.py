"""`ollama-chat models`: the server's models as a table (or tab-separated lines, each starting with the
model's name), and pulling one with its progress shown.

Rows come out in the listing's order as soon as they are known: Ollama's listing (/api/tags) does not say a
model's window or capabilities, so each model is asked about (/api/show), a few at a time (`asker`). The
table's columns therefore have widths worked out from the listing, and bounded widths for the window and the
capabilities; a terminal on stderr shows how far the asking is after a second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from time import monotonic
from typing import TextIO

from ollama_chat.cli.asker import Asker
from ollama_chat.backends.base import Backend, BackendError
from ollama_chat.environment import Environment
from ollama_chat.chat.events import Display
from ollama_chat.errors import EXIT_OK
from ollama_chat.i18n import N_, _
from ollama_chat.types import ModelInfo
from ollama_chat.text import one_line, size_text
from ollama_chat.text import cell_width, pad

SHOW_TIMEOUT = 5.0
PROGRESS_AFTER = 1.0  # seconds before the progress line shows
PROGRESS_EVERY = 0.1


CAPABILITIES = ("vision", "tools", "thinking")
# The table's columns: (title, right-aligned).
COLUMNS = ((N_("Name"), False), (N_("Size"), True), (N_("Params"), False), (N_("Quant"), False), (N_("Context"), True),
           (N_("Also can"), False), (N_("Modified"), False))
CONTEXT, ALSO = 4, 5  # the columns /api/show fills
# their widths when rows print before every model is known: 1,048,576 tokens; every capability
ASKED_WIDTHS = {CONTEXT: len("1,048,576"), ALSO: len(",".join(CAPABILITIES))}


def _shown(backend: Backend, name: str) -> ModelInfo | None:
    """What the server says of one model; None when it would not say (the model is still listed)."""
    try:
        return backend.model_info(name, timeout=SHOW_TIMEOUT)
    except BackendError:
        return None


def described(listing: Sequence[ModelInfo], wait: float = PROGRESS_EVERY,
              asker: Asker[ModelInfo | None] | None = None) -> Iterator[list[ModelInfo | None]]:
    """What the server says of each listed model, in the listing's order, in batches as they are known (an
    empty batch when nothing came for `wait` seconds). Without an asker the listing says it all."""
    if asker is None:
        yield list(listing)
        return
    while not asker.finished:
        yield asker.ready(wait)


def _cells(listed: ModelInfo, shown: ModelInfo | None, *, terminal: bool) -> list[str]:
    """A terminal's cells are for reading (2.0 GB, 131,072); a pipe's for scripts (bytes, plain numbers)."""
    window = shown.context_length if shown and shown.context_length else None
    context = ("?" if window is None else f"{window:,}") if terminal else str(window or "")
    capabilities = ",".join(c for c in CAPABILITIES if shown and c in shown.capabilities) or ("-" if terminal else "")
    size = "" if not listed.size else size_text(listed.size) if terminal else str(listed.size)  # 0: not said
    return [one_line(c) for c in (listed.name, size, listed.parameter_size, listed.quantization, context, capabilities,
                                  listed.modified[:10])]


class Layout:
    """The terminal table's columns and widths, fixed before the first row: from the listing (and from what is
    known of each model, when the listing says it all), bounded for what /api/show will say. A column no row
    fills is left out (an OpenAI-compatible server says no sizes, parameters or capabilities). `rows`: the
    cells of every row, or of one row for each different set of values but the name, with `name_width`."""

    def __init__(self, rows: Sequence[list[str]], asked: bool, columns: int, name_width: int = 0) -> None:
        def filled(i: int) -> bool:
            return i == 0 or (asked and i in ASKED_WIDTHS) or any(row[i] not in ("", "-") for row in rows)
        self.shown = [i for i in range(len(COLUMNS)) if not rows or filled(i)]
        titles = {i: _(COLUMNS[i][0]) for i in self.shown}
        self.widths = {i: max([cell_width(titles[i]), *(cell_width(row[i]) for row in rows),
                               *([ASKED_WIDTHS[i]] if asked and i in ASKED_WIDTHS else [])]) for i in self.shown}
        others = sum(self.widths[i] + 2 for i in self.shown[1:])
        self.widths[0] = max(10, min(max(self.widths[0], name_width), columns - others))  # names cut (…) before lines wrap
        self.header = self.line([titles.get(i, "") for i in range(len(COLUMNS))])

    @classmethod
    def of(cls, listing: Sequence[ModelInfo], known: Sequence[ModelInfo | None] | None, columns: int) -> Layout:
        """From the listing and, when the listing says it all, what is `known` of each model already."""
        if known is not None:
            return cls([_cells(m, known[n], terminal=True) for n, m in enumerate(listing)], False, columns)
        kinds = {(m.size, m.parameter_size, m.quantization, m.modified[:10]): m for m in listing}.values()
        names = max((cell_width(one_line(m.name)) for m in listing), default=0)
        return cls([_cells(m, None, terminal=True) for m in kinds], True, columns, names)

    def line(self, cells: Sequence[str]) -> str:
        parts = []
        for i in self.shown:
            text, width = cells[i], self.widths[i]
            if cell_width(text) > width and i == 0:
                while cell_width(text) > width - 1:
                    text = text[:-1]
                text += "…"
            parts.append(" " * max(0, width - cell_width(text)) + text if COLUMNS[i][1] else pad(text, width))
        return "  ".join(parts).rstrip()


class Progress:
    """How far the asking is, on stderr's terminal, after PROGRESS_AFTER seconds: one line, rewritten in place,
    wiped before rows print (stdout may be the same terminal) and at the end."""

    def __init__(self, err: TextIO | None, total: int) -> None:
        self._err, self._total = err, total
        self._start = monotonic()
        self._last = 0.0
        self._drawn = False

    def show(self, done: int) -> None:
        now = monotonic()
        if self._err is None or now - self._start < PROGRESS_AFTER or now - self._last < PROGRESS_EVERY:
            return
        self._last = now
        self._err.write("\r\033[K" + _("Asking the server about its models: {done} of {total}…").format(
            done=f"{done:,}", total=f"{self._total:,}"))
        self._err.flush()
        self._drawn = True

    def wipe(self) -> None:
        if self._drawn:
            self._err.write("\r\033[K")  # type: ignore[union-attr]
            self._err.flush()
            self._drawn = False


def print_models(env: Environment, backend: Backend) -> int:
    listing = backend.models()
    asked = bool(getattr(backend, "describes_each", False))
    terminal = env.stdout_isatty
    out = env.stdout
    progress = Progress(env.stderr if env.stderr_isatty else None, len(listing))
    asker: Asker[ModelInfo | None] = Asker(lambda name: _shown(backend, name), [m.name for m in listing] if asked else [])
    with asker:
        batches = described(listing, asker=asker if asked else None)
        layout = None
        if terminal:
            known = None if asked else next(batches, [])
            layout = Layout.of(listing, known, env.columns)
            _header(env, layout.header)
            batches = batches if known is None else _chain(known, batches)
        written = 0
        try:
            for batch in batches:
                if batch and terminal:  # the rows go to the same terminal
                    progress.wipe()
                for shown in batch:
                    cells = _cells(listing[written], shown, terminal=terminal)
                    out.write((layout.line(cells) if layout else "\t".join(c.replace("\t", " ") for c in cells)) + "\n")
                    written += 1
                out.flush()
                if asked:
                    progress.show(asker.answered)
        finally:
            progress.wipe()
    if terminal and not listing:
        env.stderr.write(_("No models yet: ollama-chat models pull llama3.2") + "\n")
    out.flush()
    return EXIT_OK


def _header(env: Environment, text: str) -> None:
    from rich.text import Text

    from ollama_chat.ui.theme import make_console

    make_console(env.stdout, env.columns).print(Text(text, style="bold"), soft_wrap=True)


def _chain(first: list[ModelInfo | None], rest: Iterator[list[ModelInfo | None]]) -> Iterator[list[ModelInfo | None]]:
    yield first
    yield from rest


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
