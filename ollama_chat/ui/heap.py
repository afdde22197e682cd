"""Keeping the REPL's memory from staying grown after a long reply.

glibc raises its mmap threshold each time it frees a large block it had mapped (up to 32 MiB). Once a long reply
has streamed, its large transient strings (an open paragraph joined again for a redraw, a block rendered whole)
are then carved from the heap among small objects that live on, and the heap keeps the holes: three turns after
a 2 MB reply the REPL held 16 MiB more than at its prompt, 11 with the threshold held at glibc's default
(`bench/reply_memory.py`). Holding it turns the adjustment off: a large block is mapped when made and given back
to the system when freed. What is freed in small pieces stays in the heap, though: `give_back` returns the
pages of it that are wholly free (`malloc_trim`) after each line the REPL handles. Three turns after a 2 MB reply
the REPL holds +8.5 MiB then, of which 3.6 are the Markdown libraries the first reply imports and 2.3 the reply.
The piped one-shot calls neither (it ends after one reply, and has no ctypes).
"""

from __future__ import annotations

import functools
import sys
from typing import Any

M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
THRESHOLD = 128 * 1024  # glibc's default


def keep_large_blocks_mapped() -> bool:
    """Hold glibc's mmap threshold at its default; False where that cannot be done (no glibc, no ctypes). Called
    after the first prompt, when prompt_toolkit has imported ctypes already, so start-up does not pay for it."""
    mallopt = _libc("mallopt")
    return mallopt is not None and mallopt(M_MMAP_THRESHOLD, THRESHOLD) == 1


def give_back() -> bool:
    """Return the wholly free pages of the heap to the system; False where that cannot be done."""
    malloc_trim = _libc("malloc_trim")
    return malloc_trim is not None and malloc_trim(0) in (0, 1)


@functools.cache
def _libc(name: str) -> Any:
    """A function of the C library, or None: not on Linux, a libc without it (musl has no malloc_trim), no ctypes."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return getattr(ctypes.CDLL(None), name)
    except (ImportError, OSError, AttributeError):
        return None
