"""Waiting for a job to change without polling the store.

Every change to a job's record goes through ``JobRecorder``, which then calls
``Notifier.notify(job_id)``. A notifier reaches every front process of the server: on
SQLite a datagram to each front's Unix socket (``store/notify_local.py``), on PostgreSQL
``NOTIFY`` (``store/notify_pg.py``); each front's listener wakes the threads of that front
waiting on the job. Sync waits, job-status long-polls and event streams all call
``JobManager.wait_for_change``, which re-reads the store when woken -- the store stays
the truth, a notification only says "look now". A lost notification costs at most
``FALLBACK_SECONDS`` of delay, never a wrong answer.

``JobChanges`` is the asynchronous side for the event streams of one front: followers
``await wait(job_id, timeout)`` on an ``asyncio.Event`` each (no thread per stream), woken
by the recorder's writes in this front; writes of other fronts reach them on the
followers' periodic re-read.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict
from typing import Protocol

__all__ = ["ANY_JOB", "DEPLOYED_CHANGES", "FALLBACK_SECONDS", "JobChanges", "LocalChanges",
           "Notifier"]

ANY_JOB = "*"
"""What the operator dashboard's stream waits on in ``JobChanges``: woken by a change of
any job (no job id contains ``*``: ids are URL-safe base64)."""

DEPLOYED_CHANGES = "!deployed"
"""The reserved id notified when a workflow is deployed or undeployed: every front then
re-reads the deployed index (``core.deployed``). Not a job id (``!`` is not URL-safe
base64), so no job's waiters hear it."""

FALLBACK_SECONDS = 1.0
"""Longest a waiter sleeps without a notification before it re-reads the store anyway."""
_MAX_COUNTS = 100_000


class Notifier(Protocol):
    """Tells every front process that a job's record changed."""

    def notify(self, job_id: str) -> None: ...

    def wait(self, job_id: str, seen: int, timeout: float) -> int:
        """Block until job ``job_id``'s change count here passes ``seen`` or ``timeout``
        seconds pass; return the count (pass it back as ``seen`` next time)."""
        ...

    def count(self, job_id: str) -> int:
        """How many changes of ``job_id`` this process has heard of (for ``wait``)."""
        ...

    def close(self) -> None: ...


class LocalChanges:
    """Change counts of one process, woken by its own writes and by its listener.

    Also the whole notifier of a single process (tests, the in-memory store).
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._counts: defaultdict[str, int] = defaultdict(int)

    def changed(self, job_id: str) -> None:
        """Job ``job_id`` changed (here, or in another process that said so)."""
        with self._condition:
            if len(self._counts) > _MAX_COUNTS:  # forgetting only wakes waiters to re-read
                self._counts.clear()
            self._counts[job_id] += 1
            self._condition.notify_all()

    def notify(self, job_id: str) -> None:
        self.changed(job_id)

    def count(self, job_id: str) -> int:
        with self._condition:
            return self._counts.get(job_id, 0)

    def wait(self, job_id: str, seen: int, timeout: float) -> int:
        with self._condition:
            self._condition.wait_for(lambda: self._counts.get(job_id, 0) != seen, timeout)
            return self._counts.get(job_id, 0)

    def forget(self, job_id: str) -> None:
        with self._condition:
            self._counts.pop(job_id, None)

    def close(self) -> None:
        pass


class JobChanges:
    """In-process notice of job changes (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: defaultdict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = \
            defaultdict(set)

    def notify(self, job_id: str) -> None:
        """Wake every follower of ``job_id``, and those of ``ANY_JOB`` (from any thread;
        never blocks, never raises)."""
        with self._lock:
            waiters = self._waiters.pop(job_id, set()) | self._waiters.pop(ANY_JOB, set())
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
