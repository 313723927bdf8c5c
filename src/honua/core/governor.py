"""The proactive governor: refuse early with "busy, retry after N s", never time out late.

Before a queued job is recorded: when its queue already holds ``backlog`` waiting jobs,
or its owner already has ``owner_max_jobs`` jobs queued or running, the request is
refused with ``OverQuota`` (HTTP 429 with ``Retry-After`` on every surface, each in its
protocol's format). ``Retry-After`` is estimated from the queue's recent throughput: the
jobs of that queue that finished in the last ``WINDOW`` (counted in the store, so every
front sees the same). A request the client asked to answer synchronously whose queue
would keep it waiting past the synchronous limit is answered as a job to follow at once
(``JobManager.run``), instead of holding the connection until the limit.
"""

from __future__ import annotations

import datetime as dt
import math

from honua.core.jobs import JobStatus
from honua.core.queues import Queue
from honua.errors import OverQuota
from honua.types import JobStore

__all__ = ["WINDOW", "check_backlog", "check_owner", "expected_wait"]

WINDOW = dt.timedelta(seconds=60)
_UNKNOWN_RATE_SECONDS = 30
"""Retry-After when the queue finished nothing lately (no throughput to go by)."""
_LIVE = (JobStatus.ACCEPTED, JobStatus.SUBMITTED, JobStatus.WAITING, JobStatus.RUNNING,
         JobStatus.CANCELLING)


def _seconds_for(jobs: int, finished: int) -> int:
    """Seconds for ``jobs`` to leave a queue that finished ``finished`` in ``WINDOW``."""
    if finished <= 0:
        return _UNKNOWN_RATE_SECONDS
    return max(1, min(3600, math.ceil(jobs * WINDOW.total_seconds() / finished)))


def expected_wait(store: JobStore, queue: Queue, now: dt.datetime) -> float:
    """Seconds a job queued now would likely wait before it starts (0 with free places)."""
    waiting, finished = store.queue_stats(queue.name, now - WINDOW)
    if waiting == 0:
        return 0.0
    return float(_seconds_for(waiting, finished))


def check_backlog(store: JobStore, queue: Queue, now: dt.datetime) -> None:
    """Refuse a job for a queue whose backlog is full."""
    if queue.backlog <= 0:
        return
    waiting, finished = store.queue_stats(queue.name, now - WINDOW)
    if waiting < queue.backlog:
        return
    retry = _seconds_for(waiting - queue.backlog + 1, finished)
    raise OverQuota(f"the {queue.name} queue is full ({waiting} jobs waiting, its limit is "
                    f"{queue.backlog}); retry in about {retry} s", retry_after=retry)


def check_owner(store: JobStore, queue: Queue, owner: str, limit: int,
                now: dt.datetime) -> None:
    """Refuse a job of ``owner`` who already has ``limit`` jobs queued or running."""
    if limit <= 0:
        return
    _, count = store.list(statuses=_LIVE, owner=owner, limit=1)
    if count < limit:
        return
    _, finished = store.queue_stats(queue.name, now - WINDOW)
    retry = _seconds_for(count - limit + 1, finished)
    raise OverQuota(f"{owner or 'anonymous'!r} already has {count} job(s) queued or running, "
                    f"at most {limit} at once; retry in about {retry} s", retry_after=retry)
