"""``LocalPool``: the warm pool of worker processes that isolates every job.

``settings.workers`` slots each keep one worker process ready (see
``worker.py``). A job runs in a worker under OS limits for memory, CPU time,
processes and file size, and a wall-clock timeout enforced from here; a crash,
a runaway loop or a fork bomb ends that one job -- failed or timed-out, with a
message that says why -- and its worker is replaced, while the server and the
other workers carry on. A worker is also replaced after
``settings.worker_max_jobs`` jobs, and after any job that hit a limit, so
leaks cannot pile up.

Listeners are called from the pool's threads, never under the pool's locks,
and ``on_finish`` exactly once per submitted item -- with two exceptions to
the threads: an item cancelled while still queued is finished by the thread
calling ``cancel``, and items still queued at ``stop()`` by the thread
calling ``stop``. At shutdown every unfinished item ends ``CANCELLED`` (error
"Job cancelled: the server is shutting down", error kind ``unavailable``):
nothing went wrong in the job itself, so it is not reported as failed, and
the kind lets the job manager tell it from a cancel a client asked for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from honua.core.execution import ExecutionListener, WorkItem
from honua.errors import Unavailable
from honua.executors import outcomes
from honua.executors.backlog import Backlog, Ticket
from honua.executors.sandbox import Report
from honua.executors.slot import START_TIMEOUT, Slot
from honua.settings import Settings

STOP_TIMEOUT = 10.0


class LocalPool:
    """Runs work items in local worker processes; implements ``honua.types.Executor``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._backlog = Backlog()
        self._slots: list[Slot] = []
        self._lock = threading.Lock()
        self._stopped = False
        self.restart_listeners: list[Callable[[], None]] = []
        """Called each time a worker process is replaced (after N jobs, a crash, a limit)."""

    def _restarted(self) -> None:
        for listener in self.restart_listeners:
            listener()

    def __enter__(self) -> LocalPool:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the workers and wait until they are ready; raises ``Unavailable`` if they
        cannot start (e.g. ``worker_user`` does not exist)."""
        with self._lock:
            if self._slots or self._stopped:
                return
            reported: set[str] = set()
            self._slots = [Slot(f"worker-{n}", self.settings, self._backlog, reported, n,
                                self._restarted)
                           for n in range(max(1, self.settings.workers))]
        for slot in self._slots:
            slot.start()
        deadline = time.monotonic() + START_TIMEOUT
        for slot in self._slots:
            if not slot.first_start.wait(max(0.0, deadline - time.monotonic())):
                slot.start_error = f"not ready within {START_TIMEOUT:g} s"
            if slot.start_error:
                self.stop()
                raise Unavailable(f"The worker pool could not start: {slot.start_error}")

    def stop(self) -> None:
        """Kill every worker now; unfinished items end cancelled ('shutting down')."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        queued = self._backlog.close()
        for slot in self._slots:
            slot.stop()
        for ticket in queued:
            ticket.finish(outcomes.shutting_down())
        deadline = time.monotonic() + STOP_TIMEOUT
        for slot in self._slots:
            slot.join(max(0.0, deadline - time.monotonic()))
        for ticket in self._backlog.still_running():  # only if a slot thread hung
            ticket.finish(outcomes.shutting_down())

    def free_slots(self) -> int:
        """Workers without an item (ready, or being replaced) minus items waiting."""
        queued, running = self._backlog.counts()
        return max(0, len(self._slots) - running - queued)

    def submit(self, item: WorkItem, listener: ExecutionListener, *,
               priority: bool = False) -> None:
        """Queue ``item``; priority items (synchronous requests) go before all others.

        Raises ``Unavailable`` once the pool has stopped.
        """
        self._backlog.put(Ticket(item, listener, priority))

    def cancel(self, job_id: str) -> bool:
        """Stop the item of ``job_id``: a queued one at once; a running one is told
        (``Context.cancelled``) and, if still running ``cancel_grace_seconds`` later,
        killed with its worker. False if the pool does not know the job."""
        ticket = self._backlog.withdraw(job_id)
        if ticket is not None:
            ticket.finish(outcomes.cancelled(reason="Job cancelled before it started"))
            return True
        ticket = self._backlog.running(job_id)
        if ticket is None:
            return False
        if ticket.request_cancel(self.settings.cancel_grace_seconds) and ticket.wake:
            ticket.wake()
        return True

    def wait_ready(self, timeout: float) -> bool:
        """Wait until every slot has a worker ready (e.g. after replacements); False on timeout."""
        deadline = time.monotonic() + timeout
        return all(slot.ready.wait(max(0.0, deadline - time.monotonic())) for slot in self._slots)

    @property
    def sandbox(self) -> Report:
        """How the workers are confined (their first report): layers in place, and missing."""
        return self._slots[0].sandbox if self._slots else Report()

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (for monitoring, and tests)."""
        return [pid for slot in self._slots if (pid := slot.pid) is not None]
