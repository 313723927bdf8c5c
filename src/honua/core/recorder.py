"""The recorder: the one public way a job's record changes.

State, messages, progress and outputs are written here and nowhere else.
Every state change is a compare-and-set on the stored status, persisted
(with its message, in the same write) before anyone is told; waiters are
woken when a job ends. The job manager, the dispatcher, the executors'
listeners and chunked runs all go through a ``JobRecorder``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from honua.core import codec
from honua.core.context import MessageLevel
from honua.core.execution import Outcome, OutcomeStatus
from honua.core.jobs import Job, JobEvent, JobStatus, Message
from honua.errors import HonuaError, InvalidTransition, NoSuchJob

if TYPE_CHECKING:
    from honua.core.references import LayerService
    from honua.core.registry import Registry
    from honua.types import ArtifactStore, JobStore

__all__ = ["CHUNKED_TIER", "JobRecorder", "inputs_key", "outputs_key"]

log = logging.getLogger(__name__)
PROGRESS_INTERVAL = 0.25
"""Seconds between two progress writes of one job (the last one, 100 %, always goes)."""
CHUNKED_TIER = "shapely-chunked"
"""The tier of a job run chunk by chunk over a layer reference (``core.chunked``)."""


def inputs_key(job_id: str) -> str:
    return f"jobs/{job_id}/inputs.json"


def outputs_key(job_id: str) -> str:
    return f"jobs/{job_id}/outputs.json"


class JobRecorder:
    """Writes job records (see the module docstring)."""

    def __init__(self, store: JobStore, artifacts: ArtifactStore, registry: Registry, *,
                 retention: dt.timedelta, clock: Callable[[], dt.datetime],
                 layers: LayerService | None = None) -> None:
        self.store = store
        self.artifacts = artifacts
        self.registry = registry
        self.retention = retention
        self.clock = clock
        self.layers = layers
        self._last_progress: dict[str, float] = {}
        self._ended = threading.Condition()
        self.observers: list[Callable[[Job], None]] = []
        """Called with the job after each persisted change of its status (the job log, the
        metrics); an observer that raises is logged, never the writer's problem."""

    def _observe(self, job: Job) -> None:
        for observer in self.observers:
            try:
                observer(job)
            except Exception:
                log.exception("a job observer failed on job %s", job.id)

    # -- reading --------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job:
        return self.store.get(job_id)

    def status(self, job_id: str) -> JobStatus | None:
        """The stored status, or None once the job is gone (dismissed, expired)."""
        try:
            return self.store.get(job_id).status
        except NoSuchJob:
            return None

    def wait_for_end(self, timeout: float) -> None:
        """Sleep until some job ends here or ``timeout`` seconds pass (callers re-read the
        store: another front process may have finished the job they wait for)."""
        with self._ended:
            self._ended.wait(timeout)

    # -- creating -------------------------------------------------------------------------------
    def expiry(self, now: dt.datetime) -> dt.datetime:
        return now + self.retention

    def submit(self, job: Job, inputs_json: bytes) -> Job:
        """Store a new queued job; its inputs are written first, so a queued job always
        has them."""
        self.artifacts.put(inputs_key(job.id), inputs_json)
        job = job.apply(JobEvent.SUBMIT, self.clock())
        self.store.create(job)
        self._observe(job)
        return job

    def record_run(self, job: Job, messages: Sequence[Message]) -> None:
        """A synchronous run that has ended, recorded in one write."""
        try:
            self.store.create(job, messages)
        except Exception:
            log.exception("could not record synchronous job %s", job.id)
            return
        self._observe(job)

    def claim_next(self) -> Job | None:
        """The oldest queued job, moved to running (one caller gets each)."""
        job = self.store.claim_next(self.clock())
        if job is not None:
            self._observe(job)
        return job

    # -- changing -------------------------------------------------------------------------------
    def apply(self, job_id: str, event: JobEvent, *, note: Message | None = None,
              **changes: Any) -> Job:
        """Apply ``event`` with compare-and-set, retrying if another writer got there first;
        ``note`` is recorded in the same write, so a reader sees both or neither."""
        for _ in range(20):
            job = self.store.get(job_id)
            updated = job.apply(event, self.clock(), **changes)
            if self.store.update(updated, expected=job.status, messages=(note,) if note else ()):
                if updated.status is not job.status:
                    self._observe(updated)
                return updated
        raise InvalidTransition(f"job {job_id} changed too often to {event.value}")

    def finish(self, job_id: str, event: JobEvent, message: str, *,
               level: MessageLevel = MessageLevel.INFO, **changes: Any) -> Job | None:
        """End a job with ``message``; None when it was dismissed or ended meanwhile."""
        now = self.clock()
        try:
            job = self.apply(job_id, event, message=message, expires=self.expiry(now),
                             note=Message(now, level, message), **changes)
        except (NoSuchJob, InvalidTransition):
            return None
        self._last_progress.pop(job_id, None)
        with self._ended:
            self._ended.notify_all()
        return job

    def requeue(self, job_id: str, text: str) -> Job:
        """Back to the queue (the run was interrupted, not the job's fault), saying why."""
        return self.apply(job_id, JobEvent.REQUEUE, message=text,
                          note=Message(self.clock(), MessageLevel.WARNING, text))

    def message(self, job_id: str, level: MessageLevel, text: str) -> None:
        self.store.add_messages(job_id, [Message(self.clock(), level, text)])

    def progress(self, job_id: str, percent: float, message: str | None) -> None:
        """Record progress, at most every ``PROGRESS_INTERVAL`` seconds per job."""
        now = time.monotonic()
        if percent < 100 and now - self._last_progress.get(job_id, 0.0) < PROGRESS_INTERVAL:
            return
        self._last_progress[job_id] = now
        self.store.set_progress(job_id, int(percent), message, self.clock())

    def forget(self, job_id: str) -> None:
        """Remove the job and everything stored for it."""
        self.artifacts.delete_prefix(f"jobs/{job_id}/")
        self.store.delete(job_id)

    # -- ending -------------------------------------------------------------------------------
    def register_outputs(self, job: Job, outcome: Outcome) -> Outcome:
        """Keep the outputs asked for (registered as layers); a refusal fails the job."""
        if (self.layers is None or not job.options.registrations
                or outcome.status is not OutcomeStatus.SUCCEEDED
                or job.tier == CHUNKED_TIER):  # a chunked run registers as it goes
            return outcome
        description = self.registry.get(job.process_id).description
        try:
            outputs: Mapping[str, Any] = outcome.outputs or codec.decode(
                description.outputs, outcome.outputs_json or b"{}")
            self.layers.register_outputs(description, job.options, outputs, owner=job.owner,
                                         tenant=job.tenant, now=self.clock(), job_id=job.id)
        except HonuaError as exc:
            return Outcome(OutcomeStatus.FAILED, error_kind=exc.kind, duration=outcome.duration,
                           error=f"the result could not be kept as a layer: {exc.message}")
        except Exception:  # a listener must never raise
            log.exception("could not register the outputs of job %s", job.id)
            return Outcome(OutcomeStatus.FAILED, duration=outcome.duration,
                           error="the result could not be kept as a layer (see the server log)")
        return outcome

    def complete(self, job_id: str, outcome: Outcome) -> None:
        """A queued job's run ended: store its outputs, then its final state."""
        try:
            outcome = self.register_outputs(self.store.get(job_id), outcome)
        except NoSuchJob:
            return  # dismissed while it ran
        if outcome.status is OutcomeStatus.SUCCEEDED:
            self._succeed(job_id, outcome)
            return
        if outcome.status is OutcomeStatus.CANCELLED and outcome.error_kind == "unavailable":
            self._requeue_after_shutdown(job_id)
            return
        event = {OutcomeStatus.FAILED: JobEvent.FAIL, OutcomeStatus.TIMED_OUT: JobEvent.TIME_OUT,
                 OutcomeStatus.CANCELLED: JobEvent.STOPPED}[outcome.status]
        level = MessageLevel.INFO if event is JobEvent.STOPPED else MessageLevel.ERROR
        text = outcome.error or ("Job cancelled" if event is JobEvent.STOPPED else "Job failed")
        current = self.status(job_id)
        if current is None:
            return
        if current is JobStatus.CANCELLING:
            event, text, level = JobEvent.STOPPED, "Job cancelled", MessageLevel.INFO
        tier: dict[str, Any] = {"tier": outcome.tier} if outcome.tier else {}
        self.finish(job_id, event, text, level=level, error_kind=outcome.error_kind, **tier)

    def _succeed(self, job_id: str, outcome: Outcome) -> None:
        status = self.status(job_id)
        if status is None:
            return  # dismissed while it ran
        if status is JobStatus.RUNNING:
            self.artifacts.put(outputs_key(job_id), outcome.outputs_json or b"{}")
        tier: dict[str, Any] = {"tier": outcome.tier} if outcome.tier else {}
        done = self.finish(job_id, JobEvent.SUCCEED, f"Succeeded in {outcome.duration:.2f} s",
                           has_outputs=True, **tier)
        if done is not None and done.status is not JobStatus.SUCCEEDED:  # cancelled meanwhile
            self.artifacts.delete_prefix(outputs_key(job_id))
            self.store.update(done.evolve(has_outputs=False, message="Job cancelled"),
                              expected=done.status)

    def _requeue_after_shutdown(self, job_id: str) -> None:
        """The executor stopped under a running job (server shutdown): not the job's fault,
        so it goes back to the queue and runs again when the server is back."""
        status = self.status(job_id)
        if status is JobStatus.CANCELLING:
            self.finish(job_id, JobEvent.STOPPED, "Job cancelled")
        elif status is JobStatus.RUNNING:
            self.requeue(job_id, "The server stopped while this job was running; it was queued "
                         "again")
