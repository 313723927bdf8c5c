"""Waiting for a job to change without polling the store.

Every change to a job's record goes through ``JobRecorder``, which then calls
``Notifier.notify(job_id)``. A notifier reaches every front process of the server: on
SQLite a datagram to each front's Unix socket (``store/notify_local.py``), on PostgreSQL
``NOTIFY`` (``store/notify_pg.py``); each front's listener wakes the threads of that front
waiting on the job. Sync waits, job-status long-polls and event streams all call
``JobManager.wait_for_change``, which re-reads the store when woken -- the store stays
the truth, a notification only says "look now". A lost notification costs at most
``FALLBACK_SECONDS`` of delay, never a wrong answer.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Protocol

__all__ = ["FALLBACK_SECONDS", "LocalChanges", "Notifier"]

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
