"""How the job manager hears from executors: one listener per kind of run.

An asynchronous run is recorded in the store as it goes (progress, messages,
the end); a synchronous one is collected in memory and recorded in one write
when it ends, then handed to the waiting request through its future.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from honua.core.context import MessageLevel
from honua.core.execution import Execution, ExecutionListener, Outcome, OutcomeStatus
from honua.core.jobs import Job, JobEvent, JobStatus, Message
from honua.core.json_text import JSONText, members
from honua.core.recorder import JobRecorder
from honua.errors import JobFailed

log = logging.getLogger(__name__)


class AsyncListener(ExecutionListener):
    """Records a queued job's run in the store as it happens."""

    def __init__(self, recorder: JobRecorder, on_end: Callable[[], None]) -> None:
        self.recorder = recorder
        self.on_end = on_end
        """Called once the end is recorded (the dispatcher hands out the freed slot)."""

    def on_start(self, job_id: str) -> None:
        self.recorder.message(job_id, MessageLevel.INFO, "Job started")
        self.recorder.tell("started", job_id)

    def on_progress(self, job_id: str, percent: float, message: str | None) -> None:
        self.recorder.progress(job_id, percent, message)

    def on_message(self, job_id: str, level: MessageLevel, text: str) -> None:
        self.recorder.message(job_id, level, text)

    def on_finish(self, job_id: str, outcome: Outcome) -> None:
        try:
            self.recorder.complete(job_id, outcome)
        except Exception:
            log.exception("could not record the end of job %s", job_id)
        finally:
            self.on_end()


class SyncListener(ExecutionListener):
    """Collects a synchronous run in memory and records it in one write at the end."""

    def __init__(self, recorder: JobRecorder, job: Job, future: Future[Execution], *,
                 inputs: Mapping[str, Any] | None = None,
                 origins: Mapping[str, Any] | None = None) -> None:
        self.recorder = recorder
        self.job = job
        self.future = future
        self.messages: list[Message] = []
        self.inputs = inputs or {}
        """The bound inputs, for the provenance ledger."""
        self.origins = origins

    def on_start(self, job_id: str) -> None:
        self.job = self.job.apply(JobEvent.START, self.recorder.clock())

    def on_progress(self, job_id: str, percent: float, message: str | None) -> None:
        pass  # nobody can poll a synchronous run

    def on_message(self, job_id: str, level: MessageLevel, text: str) -> None:
        self.messages.append(Message(self.recorder.clock(), level, text))

    def on_finish(self, job_id: str, outcome: Outcome) -> None:
        recorder = self.recorder
        outcome = recorder.register_outputs(self.job, outcome)
        now = recorder.clock()
        if self.job.status is not JobStatus.RUNNING:
            self.job = self.job.apply(JobEvent.START, now)
        event = {OutcomeStatus.SUCCEEDED: JobEvent.SUCCEED, OutcomeStatus.FAILED: JobEvent.FAIL,
                 OutcomeStatus.TIMED_OUT: JobEvent.TIME_OUT,
                 OutcomeStatus.CANCELLED: JobEvent.STOPPED}[outcome.status]
        text = outcome.error or (f"Succeeded in {outcome.duration:.2f} s"
                                 if event is JobEvent.SUCCEED else f"Job {event.value}")
        level = MessageLevel.INFO if event is JobEvent.SUCCEED else MessageLevel.ERROR
        self.messages.append(Message(now, level, text))
        job = self.job.apply(event, now, message=text, expires=recorder.expiry(now),
                             error_kind=outcome.error_kind, tier=outcome.tier or self.job.tier)
        recorder.record_run(job, self.messages)
        recorder.record_sync_provenance(job, self.inputs, self.origins, outcome)
        if event is JobEvent.SUCCEED:
            outputs: Mapping[str, Any] = outcome.outputs
            if not outputs and outcome.outputs_json is not None:  # encoded where it ran: the
                # adapter answers with the text as it is (``core.json_text``)
                outputs = {name: JSONText(text)
                           for name, text in members(outcome.outputs_json, "outputs").items()}
            self.future.set_result(Execution(job, outputs, tuple(self.messages)))
        else:
            error = JobFailed(text, status=job.status.value)
            error.kind = outcome.error_kind or error.kind
            self.future.set_exception(error)

