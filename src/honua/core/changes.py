"""Word that a job's record changed, for whoever follows it live (the SSE streams).

The recorder calls ``notify`` after every write it makes (state, progress,
messages); followers ``await wait(job_id, timeout)`` and then read the store
again. Waiting is on an ``asyncio.Event`` per follower, set from the writer's
thread with ``call_soon_threadsafe``: a follower holds no thread, and
thousands of open streams cost an event each.

This notice is in-process: a write made by another front process (several
uvicorn workers, a Celery worker) is not heard here. That is why ``wait``
always returns after ``timeout`` and the follower re-reads the store: the
stream stays correct, only later by up to ``timeout`` seconds. A cross-process
notice (PostgreSQL ``LISTEN``, a broker) replaces this class, with the same
two methods, without the followers changing.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict

__all__ = ["JobChanges"]


class JobChanges:
    """In-process notice of job changes (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: defaultdict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = \
            defaultdict(set)

    def notify(self, job_id: str) -> None:
        """Wake every follower of ``job_id`` (from any thread; never blocks, never raises)."""
        with self._lock:
            waiters = self._waiters.pop(job_id, set())
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # the follower's loop has closed
                loop.call_soon_threadsafe(event.set)

    async def wait(self, job_id: str, timeout: float) -> bool:
        """Until ``job_id`` changes (True) or ``timeout`` seconds pass (False)."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters[job_id].add(waiter)
        try:
            await asyncio.wait_for(waiter[1].wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                followers = self._waiters.get(job_id)
                if followers is not None:
                    followers.discard(waiter)
                    if not followers:
                        del self._waiters[job_id]

    def followers(self, job_id: str) -> int:
        """How many are waiting on ``job_id`` now (for tests and the dashboard)."""
        with self._lock:
            return len(self._waiters.get(job_id, ()))
