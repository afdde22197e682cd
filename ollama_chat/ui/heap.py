"""Keeping the REPL's memory from staying grown after a long reply.

glibc raises its mmap threshold each time it frees a large block it had mapped (up to 32 MiB). Once a long reply
has streamed, its large transient strings (an open paragraph joined again for a redraw, a block rendered whole)
are then carved from the heap among small objects that live on, and the heap keeps the holes: three turns after
a 2 MB reply the REPL held 16 MiB more than at its prompt, 11 with the threshold held at glibc's default
(`bench/reply_memory.py`). Holding it turns the adjustment off: a large block is mapped when made and given back
to the system when freed. The piped one-shot never calls this (it ends after one reply, and has no ctypes).
"""

from __future__ import annotations

import sys

M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
THRESHOLD = 128 * 1024  # glibc's default


def keep_large_blocks_mapped() -> bool:
    """Hold glibc's mmap threshold at its default; False where that cannot be done (no glibc, no ctypes). Called
    after the first prompt, when prompt_toolkit has imported ctypes already, so start-up does not pay for it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, AttributeError):  # a libc without mallopt, a Python without ctypes
        return False
    return mallopt(M_MMAP_THRESHOLD, THRESHOLD) == 1
