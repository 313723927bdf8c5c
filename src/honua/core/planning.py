"""Run planning: how a request is run, decided once for every protocol.

A client asks for the results now (``sync``), for a job to follow (``async``),
or leaves it to the process (``auto``); a protocol says whether a mode the
process does not allow is an error (WPS 2.0 ``mode``, GPServer ``execute`` /
``submitJob``) or only a preference (OGC API ``Prefer: respond-async``, WPS
1.0.0); and results that must be kept (an output by reference, a stored WPS
response, a run chunk by chunk over a layer) can only come from a stored job.
``plan_run`` turns that into one of three plans:

* ``SYNC``: run now (on the fast path or a worker), answer with the outputs;
  the run is recorded in one write when it ends;
* ``ASYNC``: queue a job, answer at once with it;
* ``STORED``: queue a job, wait for it up to the synchronous limit and answer
  with the stored job; if it is still running then, the client is handed the
  job to follow, as if it had asked for ``async``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from honua.core.requests import ExecutionOptions, Mode
from honua.errors import ModeNotAllowed, ResultNotReady

if TYPE_CHECKING:

    from honua.core.description import ProcessDescription
    from honua.core.jobs import Job, Message

__all__ = ["Plan", "RunResult", "plan_run"]


class Plan(enum.StrEnum):
    SYNC = "sync"
    ASYNC = "async"
    STORED = "stored"


def plan_run(description: ProcessDescription, options: ExecutionOptions, *,
             chunked: bool = False) -> Plan:
    """The plan for ``options`` within what ``description`` allows; raises ModeNotAllowed
    when the request insists on a mode the process does not run in."""
    mode = options.mode
    if mode is Mode.AUTO:
        mode = Mode.SYNC if description.allows_sync else Mode.ASYNC
    if mode is Mode.ASYNC and not description.allows_async:
        if options.strict:
            raise ModeNotAllowed(f"process {description.id!r} runs synchronously only",
                                 mode="async")
        mode = Mode.SYNC
    if mode is Mode.ASYNC:
        return Plan.ASYNC
    keep = options.keeps_results or chunked
    if not description.allows_sync:
        if options.strict:
            raise ModeNotAllowed(f"process {description.id!r} runs asynchronously only (as a "
                                 "job)", mode="sync")
        return Plan.STORED
    if keep and not description.allows_async:
        raise ModeNotAllowed(f"process {description.id!r} runs synchronously only, so its "
                             "results cannot be kept for later (by reference or stored)",
                             mode="async")
    return Plan.STORED if keep else Plan.SYNC


@dataclass(frozen=True)
class RunResult:
    """What a run gives back to the adapter that asked for it.

    ``outputs`` holds the output values of a ``SYNC`` run (read lazily from the store for
    a ``STORED`` one that succeeded); it is None when the answer is the job itself: an
    ``ASYNC`` job just queued, or a ``STORED`` one that is still running or did not
    succeed (its status and messages say how it ended).
    """

    plan: Plan
    job: Job
    outputs: Mapping[str, Any] | None = None
    messages: tuple[Message, ...] = ()

    @property
    def stored(self) -> bool:
        """Whether the outputs are kept with the job (to be fetched from its results)."""
        return self.plan is not Plan.SYNC

    @property
    def handed_over(self) -> bool:
        """A run that is (still) a job to follow: queued, or outlived the synchronous limit."""
        return not self.job.status.finished

    def require_outputs(self) -> Mapping[str, Any]:
        """The outputs, for an answer that must carry them: ``ResultNotReady`` when the job
        is still running, ``JobFailed`` when it ended otherwise."""
        if self.outputs is not None:
            return self.outputs
        if self.handed_over:
            raise ResultNotReady(f"job {self.job.id} is still running after the synchronous "
                                 "limit; follow it at its status URL and fetch its results "
                                 "when it has succeeded")
        raise self.job.failure()
