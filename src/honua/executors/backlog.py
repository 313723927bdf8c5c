"""Submitted items: which wait (priority first), which run, and their listeners.

One lock covers both the queue and the set of running items, so an item is
always findable by ``cancel`` -- queued, or running with a slot that can be
woken -- even while a slot is taking it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from honua.core.context import MessageLevel
from honua.core.execution import ExecutionListener, Outcome, WorkItem
from honua.errors import Unavailable

log = logging.getLogger(__name__)


class Ticket:
    """One submitted item; its listener hears of its end exactly once, whatever happens."""

    def __init__(self, item: WorkItem, listener: ExecutionListener, priority: bool) -> None:
        self.item = item
        self.listener = listener
        self.priority = priority
        self.wake: Callable[[], None] | None = None
        """Wakes the slot running this item (set when a slot takes it)."""
        self.cancel_at: float | None = None
        """Monotonic time by which a cancelled item must have stopped, else is killed."""
        self._finished = False
        self._lock = threading.Lock()

    @property
    def job_id(self) -> str:
        return self.item.job_id

    def request_cancel(self, grace: float) -> bool:
        """Mark the item cancelled; False if it already was, or has ended."""
        with self._lock:
            if self._finished or self.cancel_at is not None:
                return False
            self.cancel_at = time.monotonic() + grace
            return True

    def started(self) -> None:
        _safely(self.listener.on_start, self.job_id)

    def progress(self, percent: float, message: str | None) -> None:
        _safely(self.listener.on_progress, self.job_id, percent, message)

    def message(self, level: str, text: str) -> None:
        _safely(self.listener.on_message, self.job_id, MessageLevel(level), text)

    def finish(self, outcome: Outcome) -> bool:
        """Tell the listener how the item ended; only the first call does anything."""
        with self._lock:
            if self._finished:
                return False
            self._finished = True
        _safely(self.listener.on_finish, self.job_id, outcome)
        return True


def _safely(callback: Callable[..., Any], *args: Any) -> None:
    try:
        callback(*args)
    except Exception:  # a listener's bug must not take a pool thread down
        log.exception("execution listener %s failed", getattr(callback, "__qualname__", callback))


class Backlog:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._urgent: deque[Ticket] = deque()
        self._normal: deque[Ticket] = deque()
        self._running: dict[str, Ticket] = {}
        self._closed = False

    def put(self, ticket: Ticket) -> None:
        with self._cond:
            if self._closed:
                raise Unavailable("the worker pool has stopped; no new work is accepted")
            (self._urgent if ticket.priority else self._normal).append(ticket)
            self._cond.notify()

    def take(self, wake: Callable[[], None], timeout: float) -> Ticket | None:
        """The next item (priority first), now counted as running; None on timeout or close."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._closed and not (self._urgent or self._normal):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
            if self._closed:
                return None
            ticket = (self._urgent or self._normal).popleft()
            ticket.wake = wake
            self._running[ticket.job_id] = ticket
            return ticket

    def done(self, ticket: Ticket) -> None:
        with self._cond:
            if self._running.get(ticket.job_id) is ticket:
                del self._running[ticket.job_id]

    def withdraw(self, job_id: str) -> Ticket | None:
        """Remove a still-queued item and return it."""
        with self._cond:
            for queue in (self._urgent, self._normal):
                for ticket in queue:
                    if ticket.job_id == job_id:
                        queue.remove(ticket)
                        return ticket
        return None

    def running(self, job_id: str) -> Ticket | None:
        with self._cond:
            return self._running.get(job_id)

    def counts(self) -> tuple[int, int]:
        """(queued, running)."""
        with self._cond:
            return len(self._urgent) + len(self._normal), len(self._running)

    def close(self) -> list[Ticket]:
        """Accept nothing more; returns the items that were still queued."""
        with self._cond:
            self._closed = True
            queued = [*self._urgent, *self._normal]
            self._urgent.clear()
            self._normal.clear()
            self._cond.notify_all()
            return queued

    def still_running(self) -> list[Ticket]:
        with self._cond:
            return list(self._running.values())
