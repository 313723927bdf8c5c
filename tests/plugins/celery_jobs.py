"""Processes of the Celery tests (``tests/executors/test_celery*.py``): one on the
cpu-burst queue, one on long-tail, so that the tests can tell which queues a worker serves."""

from __future__ import annotations

import os
import time

from honua import Context, process
from honua.core.description import ResourceClass


def _nap(ctx: Context, seconds: float) -> int:
    began = time.monotonic()
    while time.monotonic() - began < seconds and not ctx.cancelled:
        ctx.progress(100 * (time.monotonic() - began) / seconds, "napping")
        time.sleep(0.02)
    return os.getpid()


@process("nap", title="Nap", category="Test")
def nap(ctx: Context, seconds: float = 0.2) -> int:
    """Sleep (cpu-burst), stopping early when cancelled; returns the job's child pid."""
    return _nap(ctx, seconds)


@process("long_nap", title="Long nap", category="Test", resource_class=ResourceClass.LONG_TAIL)
def long_nap(ctx: Context, seconds: float = 0.2) -> int:
    """The same on the long-tail queue."""
    return _nap(ctx, seconds)
