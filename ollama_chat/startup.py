"""Heavy imports at start-up, made with the garbage collector paused.

Importing Typer, requests, prompt_toolkit, rich and our modules creates hundreds of thousands of objects and no
garbage cycles worth collecting, yet each of them triggers the collector's passes: about 10 ms of a piped
question's start and more of the REPL's. Afterwards what was imported is frozen (`gc.freeze`), so the
collections of a long chat do not walk it again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside (nested: the outermost turns it back on), then what exists frozen."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
