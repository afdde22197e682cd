"""Downloading a model, its progress drawn on a `Display` the surface provides (bars on a terminal, status
lines in a pipe). Ctrl+C stops it."""

from __future__ import annotations

from collections.abc import Callable

from ollama_chat.backends.base import Backend
from ollama_chat.errors import EXIT_INTERRUPTED, EXIT_OK
from ollama_chat.i18n import _
from ollama_chat.text import one_line
from ollama_chat.chat.events import Display


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
