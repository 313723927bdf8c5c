"""Per-tenant quotas on jobs: over quota is refused at once, never accepted and left.

A tenant may have ``quota_running_jobs`` jobs running (a synchronous run is a
running job too) and ``quota_queued_jobs`` waiting; a request beyond either is
answered ``OverQuota`` (429 with ``Retry-After`` on every surface) before any
job is recorded. The counts come from the job store, so every front process
sees the same ones; two requests racing for the last slot may both pass, which
over-admits by at most the number of fronts and never loses a job.

A tenant may also keep ``quota_stored_mb`` of uploads and job artifacts (inputs,
outputs) at once: once it holds that much, new uploads and new jobs that keep
what they make (queued or stored runs) are refused with ``OverQuota`` until some
are deleted or expire. The total is the usage ledger's (``types.UsageLedger``),
which the stores keep item by item.
"""

from __future__ import annotations

from honua.core.jobs import JobStatus
from honua.errors import OverQuota
from honua.settings import Settings
from honua.types import JobStore, UsageLedger

__all__ = ["check_job_quota", "check_stored_quota", "stored_quota_bytes"]

MB = 1 << 20

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


def stored_quota_bytes(settings: Settings) -> int:
    """``quota_stored_mb`` in bytes; 0 = no quota."""
    return int(settings.quota_stored_mb * MB) if settings.quota_stored_mb > 0 else 0


def check_stored_quota(usage: UsageLedger | None, settings: Settings, tenant: str) -> None:
    """Refuse new stored work of ``tenant`` once it keeps its quota of bytes or more."""
    limit = stored_quota_bytes(settings)
    if limit <= 0 or usage is None:
        return
    used = usage.total(tenant)
    if used >= limit:
        raise over_stored_quota(tenant, limit, used)


def over_stored_quota(tenant: str, limit: int, used: int) -> OverQuota:
    return OverQuota(f"tenant {tenant or 'anonymous'!r} keeps {used / MB:.3g} MB of uploads and "
                     f"job results, its stored quota is {limit / MB:g} MB; delete uploads or "
                     "jobs (or wait for them to expire) and retry", retry_after=60)
