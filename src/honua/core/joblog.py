"""One log line per job transition: what an operator greps for when a job went wrong.

A recorder observer (``JobRecorder.observers``): every persisted change of a job's
status -- submitted, running, succeeded, failed (with its message), cancelled,
timed out, dismissed -- is logged on ``honua.jobs`` with the job id, process
(``process_id``: logging's own ``process`` is the OS pid), owner, tenant, tier and,
once it ended, how long it ran, as ``extra`` fields
(``web.logs`` writes them as JSON keys or ``key=value``). Failures are warnings,
so a server logging at WARNING still shows every failed job.
"""

from __future__ import annotations

import logging
from typing import Any

from honua.core.jobs import Job, JobStatus

__all__ = ["log_transition"]

log = logging.getLogger("honua.jobs")
_WARNING = frozenset({JobStatus.FAILED, JobStatus.TIMED_OUT})


def log_transition(job: Job) -> None:
    """Log ``job`` having just entered its status."""
    fields: dict[str, Any] = {"job_id": job.id, "process_id": job.process_id,
                              "status": job.status.value, "owner": job.owner,
                              "tenant": job.tenant}
    if job.tier:
        fields["tier"] = job.tier
    if job.status.finished and job.started is not None and job.finished is not None:
        fields["duration_s"] = round((job.finished - job.started).total_seconds(), 3)
    if job.error_kind:
        fields["error_kind"] = job.error_kind
    text = f"job {job.id} {job.status.value} ({job.process_id})"
    if job.status.finished and job.message:
        fields["job_message"] = job.message
        text += f": {job.message}"
    log.log(logging.WARNING if job.status in _WARNING else logging.INFO, "%s", text,
            extra=fields)
