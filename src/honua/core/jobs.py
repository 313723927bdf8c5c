"""Jobs: their states, the one function that changes a state, and the job record.

Adapters map ``JobStatus`` to their own words (esriJob*, OGC status codes,
WPS Process* elements); nothing else about a job's life lives outside the core.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from honua.core.context import MessageLevel
from honua.core.requests import ExecutionOptions
from honua.errors import InvalidTransition, JobFailed, NoSuchJob


class JobStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    WAITING = "waiting"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed-out"
    DISMISSED = "dismissed"

    @property
    def finished(self) -> bool:
        return self in FINISHED

    @property
    def queued(self) -> bool:
        return self in (JobStatus.ACCEPTED, JobStatus.SUBMITTED, JobStatus.WAITING)


FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED,
                      JobStatus.TIMED_OUT, JobStatus.DISMISSED})


class JobEvent(enum.StrEnum):
    SUBMIT = "submit"        # queued for a worker
    WAIT = "wait"            # waiting for capacity or other jobs
    START = "start"          # a worker took it
    SUCCEED = "succeed"
    FAIL = "fail"
    CANCEL = "cancel"        # a client asked to cancel
    STOPPED = "stopped"      # the worker confirmed the stop
    TIME_OUT = "time-out"
    REQUEUE = "requeue"      # re-run after the server was interrupted
    DISMISS = "dismiss"      # remove (cancelling first if needed)


S, E = JobStatus, JobEvent
_QUEUED_MOVES = {E.SUBMIT: S.SUBMITTED, E.WAIT: S.WAITING, E.START: S.RUNNING, E.FAIL: S.FAILED,
                 E.CANCEL: S.CANCELLED, E.DISMISS: S.DISMISSED, E.REQUEUE: S.SUBMITTED}
_FINISHED_MOVES = {E.DISMISS: S.DISMISSED}
TRANSITIONS: Mapping[JobStatus, Mapping[JobEvent, JobStatus]] = {
    S.ACCEPTED: _QUEUED_MOVES,
    S.SUBMITTED: _QUEUED_MOVES,
    S.WAITING: _QUEUED_MOVES,
    S.RUNNING: {E.SUCCEED: S.SUCCEEDED, E.FAIL: S.FAILED, E.CANCEL: S.CANCELLING,
                E.STOPPED: S.CANCELLED, E.TIME_OUT: S.TIMED_OUT, E.REQUEUE: S.SUBMITTED,
                E.DISMISS: S.DISMISSED},
    # A job being cancelled ends cancelled whatever its worker reports last.
    S.CANCELLING: {E.STOPPED: S.CANCELLED, E.SUCCEED: S.CANCELLED, E.FAIL: S.CANCELLED,
                   E.TIME_OUT: S.CANCELLED, E.REQUEUE: S.CANCELLED, E.CANCEL: S.CANCELLING,
                   E.DISMISS: S.DISMISSED},
    S.SUCCEEDED: _FINISHED_MOVES,
    S.FAILED: _FINISHED_MOVES,
    S.CANCELLED: {**_FINISHED_MOVES, E.CANCEL: S.CANCELLED, E.STOPPED: S.CANCELLED},
    S.TIMED_OUT: _FINISHED_MOVES,
    S.DISMISSED: {},
}


def transition(status: JobStatus, event: JobEvent) -> JobStatus:
    """The status after ``event``; raises InvalidTransition when the event makes no sense."""
    try:
        return TRANSITIONS[status][event]
    except KeyError:
        raise InvalidTransition(f"a job that is {status.value} cannot {event.value}") from None


def new_job_id() -> str:
    """Unguessable: 128 random bits, URL-safe, no padding, and never starting with ``-`` or
    ``_``: an id (or its prefix) given to a command line would otherwise read as an option."""
    while True:
        job_id = secrets.token_urlsafe(16)
        if job_id[0].isalnum():
            return job_id


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Message:
    time: dt.datetime
    level: MessageLevel
    text: str


@dataclass(frozen=True)
class Job:
    id: str
    process_id: str
    status: JobStatus = JobStatus.ACCEPTED
    owner: str = ""
    tenant: str = ""
    options: ExecutionOptions = field(default_factory=ExecutionOptions)
    created: dt.datetime = field(default_factory=utcnow)
    updated: dt.datetime | None = None
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    expires: dt.datetime | None = None
    progress: int = 0
    message: str = ""
    error_kind: str = ""
    tier: str = ""
    attempts: int = 0
    has_outputs: bool = False

    def evolve(self, **changes: Any) -> Job:
        return dataclasses.replace(self, **changes)

    def apply(self, event: JobEvent, now: dt.datetime | None = None, **changes: Any) -> Job:
        """This job after ``event``, with timestamps kept as OGC recommends."""
        now = now or utcnow()
        status = transition(self.status, event)
        stamped: dict[str, Any] = {"status": status, "updated": now}
        if status is JobStatus.RUNNING and self.status is not JobStatus.RUNNING:
            stamped.update(started=now, attempts=self.attempts + 1, progress=0)
        if status in FINISHED and status is not JobStatus.DISMISSED and self.finished is None:
            stamped["finished"] = now
        if status is JobStatus.SUCCEEDED:
            stamped["progress"] = 100
        if status is JobStatus.SUBMITTED and event is JobEvent.REQUEUE:
            stamped.update(started=None, progress=0)
        stamped.update(changes)
        return self.evolve(**stamped)

    def failure(self) -> JobFailed:
        """The error for results asked of this job when it ended without succeeding; a
        refused input keeps its kind, so it stays the client's error."""
        error = JobFailed(f"job {self.id} {self.status.value}: {self.message}".rstrip(": "),
                          status=self.status.value)
        error.kind = self.error_kind or error.kind
        return error


def no_such_job(job_id: str) -> NoSuchJob:
    """The one error for an unknown job id (also for a job the caller may not see)."""
    return NoSuchJob(f"there is no job {job_id!r}: check the id, or the job may have been "
                     "dismissed or expired (finished jobs are kept only for a limited time)")
