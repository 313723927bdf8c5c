"""One place in the pool: a thread that keeps one worker process alive and feeds it.

The slot thread does everything for its worker -- starts it, sends it items,
reads its frames, enforces the wall-clock timeout and the cancel grace, kills
and replaces it -- so none of that needs locking. Other threads only set a
ticket's cancel time and write to the slot's wake pipe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import select
import threading
import time
from collections.abc import Callable

from honua.core.execution import Outcome
from honua.core.provenance import worker_here
from honua.executors import outcomes
from honua.executors.backlog import Backlog, Ticket
from honua.executors.handle import EXITED, WorkerHandle, WorkerStartError
from honua.executors.protocol import Cancel, Done, Note, Progress, Run, dumps, inline_files
from honua.executors.sandbox import Report
from honua.settings import Settings

log = logging.getLogger(__name__)

START_TIMEOUT = 60.0
IDLE_CHECK = 1.0
"""How often an idle slot checks that its worker is still alive."""
FAIL_AFTER = 3
"""Failed starts in a row after which queued items are failed rather than left waiting."""


class Slot:
    def __init__(self, name: str, settings: Settings, backlog: Backlog,
                 reported: set[str] | None = None, index: int = 0,
                 on_restart: Callable[[], None] | None = None) -> None:
        self.name = name
        self.index = index
        """The slot's number: with ``worker_uid_base``, its workers' uid is base + index."""
        self.on_restart = on_restart
        """Called each time a worker replaces an earlier one (the restart metric)."""
        self._launched = 0
        self.settings = settings
        self.first_start = threading.Event()
        """Set once the first worker is ready, or could not start (``start_error``)."""
        self.start_error = ""
        self.sandbox = Report()
        """How the last worker started here is confined."""
        self.ready = threading.Event()
        """Set while the slot has a worker process ready (or busy); clear while replacing it."""
        self._backlog = backlog
        self._reported = reported if reported is not None else set()
        """Registry problems already logged (shared by the pool's slots: say them once)."""
        self._handle: WorkerHandle | None = None
        self._stopping = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._thread = threading.Thread(target=self._loop, name=f"honua-{name}", daemon=True)

    @property
    def pid(self) -> int | None:
        handle = self._handle
        return handle.pid if handle is not None else None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Kill the worker now; a running item ends cancelled ('shutting down')."""
        self._stopping = True
        self.wake()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)
        if not self._thread.is_alive():
            for fd in (self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"!")

    # -- the slot thread ----------------------------------------------------------------------
    def _loop(self) -> None:
        failures = 0
        try:
            while not self._stopping:
                if self._handle is None:
                    try:
                        if self._launched and self.on_restart is not None:
                            self.on_restart()
                        self._launched += 1
                        self._handle = self._launch()
                    except WorkerStartError as exc:
                        failures += 1
                        self._started(str(exc))
                        self._after_failed_start(str(exc), failures)
                        continue
                    failures = 0
                    self.ready.set()
                    self._started("")
                ticket = self._backlog.take(self.wake, IDLE_CHECK)
                if ticket is None:
                    self._check_idle()
                    continue
                try:
                    self._run(ticket)
                except Exception:  # a bug here must still end the item and keep the slot going
                    log.exception("%s: internal error while running job %s", self.name,
                                  ticket.job_id)
                    self._discard()
                    ticket.finish(outcomes.failed("Internal error in the worker pool"))
                finally:
                    self._backlog.done(ticket)
                    # not kept while waiting for the next item: its listener holds the
                    # run's inputs and outputs (tens of MB for a big synchronous run)
                    del ticket
        finally:
            self._discard()
            self.first_start.set()

    def _launch(self) -> WorkerHandle:
        try:
            handle = WorkerHandle.launch(self.settings, self.index)
        except OSError as exc:  # no temporary directory, no processes left...
            raise WorkerStartError(f"{type(exc).__name__}: {exc}") from exc
        handle.await_ready(START_TIMEOUT, self._wake_r, lambda: self._stopping)
        for problem in set(handle.problems) - self._reported:
            self._reported.add(problem)
            log.warning("worker processes: %s", problem)
        self.sandbox = handle.sandbox
        warning = handle.sandbox.warning()
        if warning and warning not in self._reported:
            self._reported.add(warning)
            log.warning("%s", warning)
        return handle

    def _started(self, error: str) -> None:
        if not self.first_start.is_set():
            self.start_error = error
            self.first_start.set()

    def _after_failed_start(self, error: str, failures: int) -> None:
        if self._stopping:
            return
        log.error("%s: no worker process could be started: %s", self.name, error)
        if failures >= FAIL_AFTER:
            ticket = self._backlog.take(self.wake, 0.0)
            if ticket is not None:
                ticket.finish(outcomes.failed(f"No worker process could be started: {error}"))
                self._backlog.done(ticket)
        self._pause(min(0.25 * 2 ** failures, 10.0))

    def _pause(self, seconds: float) -> None:
        select.select([self._wake_r], [], [], seconds)
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_r, 4096)

    def _check_idle(self) -> None:
        handle = self._handle
        if handle is not None and not handle.alive():
            log.warning("%s: idle worker %d died (%s); replacing it", self.name, handle.pid,
                        outcomes.exit_reason(handle.terminate()))
            self._handle = None

    def _discard(self) -> int | None:
        self.ready.clear()
        handle, self._handle = self._handle, None
        return handle.terminate() if handle is not None else None

    # -- one item -----------------------------------------------------------------------------
    def _run(self, ticket: Ticket) -> None:
        item = ticket.item
        try:
            frame = Run(dataclasses.replace(item, inputs=None),
                        dumps(inline_files(item.inputs)) if item.inputs is not None else None)
        except Exception as exc:
            ticket.finish(outcomes.failed(
                f"The inputs could not be sent to the worker: {type(exc).__name__}: {exc}"))
            return
        handle = self._handle
        if handle is None or not handle.alive():
            self._check_idle()
            try:
                handle = self._handle = self._launch()
            except WorkerStartError as exc:
                ticket.finish(outcomes.shutting_down() if self._stopping
                              else outcomes.failed(f"No worker process could be started: {exc}"))
                return
            self.ready.set()
        if ticket.cancel_at is not None:
            ticket.finish(outcomes.cancelled())
            return
        ticket.started()
        began = time.monotonic()
        handle.jobs += 1
        with contextlib.suppress(OSError):  # it died meanwhile: next_event says EXITED
            handle.send(frame)
        self._follow(ticket, handle, began)

    def _follow(self, ticket: Ticket, handle: WorkerHandle, began: float) -> None:
        """Relay the item's frames until it ends, one way or another."""
        item = ticket.item
        timeout = item.limits.timeout_seconds
        deadline = began + timeout if timeout > 0 else math.inf
        cancel_sent = False
        while True:
            now = time.monotonic()
            if self._stopping:
                return self._kill(ticket, outcomes.shutting_down(now - began))
            cancel_at = ticket.cancel_at
            if cancel_at is not None:
                if not cancel_sent:
                    cancel_sent = True
                    with contextlib.suppress(OSError):
                        handle.send(Cancel(item.job_id))
                if now >= cancel_at:
                    return self._kill(ticket, outcomes.cancelled(now - began))
            if now >= deadline:
                return self._kill(ticket, outcomes.timed_out(item.limits, now - began))
            event = handle.next_event(min(deadline, cancel_at or math.inf) - now, self._wake_r)
            if event == EXITED:
                status = self._discard()
                duration = time.monotonic() - began
                ticket.finish(outcomes.cancelled(duration) if ticket.cancel_at is not None
                              else outcomes.from_exit(status, item.limits, duration))
                return
            if getattr(event, "job_id", None) != item.job_id:
                continue  # a late frame of an earlier job, or a wake-up
            if isinstance(event, Progress):
                ticket.progress(event.percent, event.message)
            elif isinstance(event, Note):
                ticket.message(event.level, event.text)
            elif isinstance(event, Done):
                return self._done(ticket, handle, event, time.monotonic() - began)

    def _done(self, ticket: Ticket, handle: WorkerHandle, done: Done, duration: float) -> None:
        if done.details:
            log.error("job %s (%s) failed in worker %d: %s\n%s", done.job_id,
                      ticket.item.process_id, handle.pid, done.error, done.details)
        if done.recycle or handle.jobs >= self.settings.worker_max_jobs:
            self._discard()  # before telling: killing an idle worker takes a millisecond
        if ticket.cancel_at is not None:
            ticket.finish(outcomes.cancelled(duration))
        else:
            ticket.finish(outcomes.from_done(done, duration, worker_here(handle.pid, "pool")))

    def _kill(self, ticket: Ticket, outcome: Outcome) -> None:
        """Stop the item by force: the worker and everything it started die."""
        self._discard()
        ticket.finish(outcome)
