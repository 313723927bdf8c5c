"""A priority queue of work items served by N threads of the server process.

Both in-process executors (``executors.inline``: tier 1 on threads,
``executors.postgis``: tier 2, one thread per pooled connection) queue their
items the same way: priority items first, then in order of submission; as many
run at once as there are threads; each item has a small piece of state (its
cancel event, its connection) that ``cancel`` can reach while it waits or runs;
and stopping the server ends every item still waiting with one outcome. That
is this class; what an item *does* stays with each executor (``serve``).
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from honua.core.execution import ExecutionListener, Outcome, WorkItem

__all__ = ["ThreadQueue"]

S = TypeVar("S")

Serve = Callable[[WorkItem, ExecutionListener, S], None]
"""Runs one item to its end and tells its listener (``on_finish``) exactly once."""


class ThreadQueue(Generic[S]):
    """Work items waiting (priority first) and running on ``threads`` threads.

    ``state`` makes an item's state when it is submitted; it is kept until the item
    has been served, so that ``cancel`` finds it queued or running. ``lock`` guards
    the queue and every item's state: an executor that changes a state while it runs
    (``postgis`` sets the connection ``cancel`` stops) takes it too.
    """

    def __init__(self, name: str, threads: int, serve: Serve[S], state: Callable[[], S]
                 ) -> None:
        self.name = name
        self.threads = threads
        self.lock = threading.Condition()
        self._serve = serve
        self._state = state
        self._queue: list[tuple[int, int, WorkItem, ExecutionListener]] = []
        self._order = itertools.count()
        self._states: dict[str, S] = {}
        self._busy = 0
        self._stopping = False
        self._workers: list[threading.Thread] = []

    def start(self) -> None:
        self._stopping = False
        for i in range(self.threads):
            thread = threading.Thread(target=self._loop, name=f"{self.name}-{i}", daemon=True)
            thread.start()
            self._workers.append(thread)

    def stop(self, outcome: Outcome, abort: Callable[[S], None] | None = None) -> None:
        """Ends every waiting item with ``outcome``, ``abort``s every running one (under
        the lock), and waits a little for the threads to return."""
        with self.lock:
            self._stopping = True
            pending, self._queue = self._queue, []
            self.lock.notify_all()
            if abort is not None:
                for state in self._states.values():
                    abort(state)
        for _, _, item, listener in pending:
            listener.on_finish(item.job_id, outcome)
        for thread in self._workers:
            thread.join(timeout=5)
        self._workers.clear()

    def free_slots(self) -> int:
        with self.lock:
            return self.threads - self._busy - len(self._queue)

    def submit(self, item: WorkItem, listener: ExecutionListener, *, priority: bool = False
               ) -> None:
        with self.lock:
            self._states[item.job_id] = self._state()
            heapq.heappush(self._queue, (0 if priority else 1, next(self._order), item, listener))
            self.lock.notify()

    def cancel(self, job_id: str, abort: Callable[[S], None]) -> bool:
        """``abort``s the state of a queued or running item (under the lock); whether
        there was one."""
        with self.lock:
            state = self._states.get(job_id)
            if state is None:
                return False
            abort(state)
            return True

    def _loop(self) -> None:
        while True:
            with self.lock:
                while not self._queue and not self._stopping:
                    self.lock.wait()
                if self._stopping:
                    return
                _, _, item, listener = heapq.heappop(self._queue)
                self._busy += 1
                state = self._states[item.job_id]
            try:
                self._serve(item, listener, state)
            finally:
                with self.lock:
                    self._busy -= 1
                    self._states.pop(item.job_id, None)
