"""Per-tenant quotas on jobs: over quota is refused at once, never accepted and left.

A tenant may have ``quota_running_jobs`` jobs running (a synchronous run is a
running job too) and ``quota_queued_jobs`` waiting; a request beyond either is
answered ``OverQuota`` (429 with ``Retry-After`` on every surface) before any
job is recorded. The counts come from the job store, so every front process
sees the same ones; two requests racing for the last slot may both pass, which
over-admits by at most the number of fronts and never loses a job.
"""

from __future__ import annotations

from honua.core.jobs import JobStatus
from honua.errors import OverQuota
from honua.settings import Settings
from honua.types import JobStore

__all__ = ["check_job_quota"]

RUNNING = (JobStatus.RUNNING, JobStatus.CANCELLING)
QUEUED = (JobStatus.ACCEPTED, JobStatus.SUBMITTED, JobStatus.WAITING)


def check_job_quota(store: JobStore, settings: Settings, tenant: str, *, queued: bool) -> None:
    """Refuse a new job of ``tenant`` that would pass its quota (``queued``: it will wait in
    the queue; else it starts at once, as a synchronous run does)."""
    limit, statuses, what = ((settings.quota_queued_jobs, QUEUED, "queued") if queued
                             else (settings.quota_running_jobs, RUNNING, "running"))
    if limit <= 0:
        return
    _, count = store.list(statuses=statuses, tenant=tenant, limit=1)
    if count >= limit:
        raise OverQuota(f"tenant {tenant or 'anonymous'!r} already has {count} {what} job(s), "
                        f"its quota is {limit}; wait for some to finish and retry",
                        retry_after=5)
