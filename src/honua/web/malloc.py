"""Big blocks go back to the system when freed, so one large request leaves no lasting RSS.

glibc serves an allocation of 128 KiB or more with its own ``mmap`` and unmaps
it on ``free`` -- but after the first such block is freed it raises that
threshold to the block's size (up to 32 MiB), and from then on large buffers
(a request body, a worker's encoded answer, numpy scratch arrays) come from
the heaps of the server's threads, which keep their pages: one 40 MB request
left a front process 180 MB larger for good. Setting the threshold once turns
that adjustment off. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes

M_MMAP_THRESHOLD = -3  # <malloc.h>
MMAP_THRESHOLD_BYTES = 1024 * 1024
"""Blocks this large or larger are mapped on their own: a few per request at most, so the
cost of a system call each is nothing beside the bytes they hold."""

_done = False


def return_big_blocks() -> bool:
    """Fix glibc's mmap threshold for this process (once); False where it cannot be."""
    global _done
    if _done:
        return True
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        _done = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    return _done
