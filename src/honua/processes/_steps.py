"""Vectorised work done in steps, so a long run reports progress as it goes.

Shapely's array functions run a whole layer in one call: a million-point
buffer would report 0 % and then 100 %. ``in_steps`` cuts the rows into
chunks (each still vectorised, large enough that the per-call overhead does
not show) and reports the fraction done after each, through the job's
progress callback. Cancelling is noticed between chunks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

from honua.core.context import Context

__all__ = ["MIN_CHUNK", "STEPS", "chunks", "concatenate", "in_steps"]

T = TypeVar("T")
STEPS = 20
"""At most this many chunks (progress moves by about 5 % of the step's span each time)."""
MIN_CHUNK = 5_000
"""Rows of the smallest chunk: fewer rows are done in one call."""


def chunks(count: int, *, steps: int = STEPS, min_chunk: int = MIN_CHUNK) -> list[slice]:
    """Consecutive slices covering ``range(count)``."""
    size = max(min_chunk, -(-count // steps)) if count else 1
    return [slice(start, min(start + size, count)) for start in range(0, count, size)] or [
        slice(0, 0)]


def in_steps(ctx: Context, count: int, work: Callable[[slice], T],
             join: Callable[[list[T]], T], *, start: float, end: float, message: str,
             steps: int = STEPS, min_chunk: int = MIN_CHUNK) -> T:
    """``join([work(s) for s in chunks(count)])``, reporting ``start``..``end`` % as chunks
    finish (``message`` is formatted with ``done`` and ``total`` rows)."""
    parts: list[T] = []
    slices = chunks(count, steps=steps, min_chunk=min_chunk)
    for index, rows in enumerate(slices):
        if index and ctx.cancelled:
            break  # the executor ends the job as cancelled; the partial result is dropped
        parts.append(work(rows))
        if len(slices) > 1:
            ctx.progress(start + (end - start) * (index + 1) / len(slices),
                         message.format(done=rows.stop, total=count))
    return join(parts)


def concatenate(parts: list[np.ndarray]) -> np.ndarray:
    """Join object arrays of geometries (the usual ``join``)."""
    return np.concatenate(parts) if len(parts) > 1 else parts[0]
