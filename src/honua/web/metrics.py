"""Prometheus metrics: ``/metrics`` in the text exposition format.

What is counted, and where it is heard:

- ``honua_http_requests_total{surface,method,status}`` and
  ``honua_http_request_duration_seconds{surface}``: by ``web.request_log`` for every request;
  the surface is the protocol whose path was asked (``ogcapi``, ``gpserver``, ``wps``,
  ``ops`` for probes and metrics, ``other``).
- ``honua_jobs_total{process,status,tier}``: every persisted change of a job's status (the
  recorder's observers), so a job that succeeds counts once under ``submitted``, once
  under ``running`` and once under ``succeeded``; a synchronous run is recorded in one
  write and counts only under its end state. ``tier`` is where the job runs or ran
  (``shapely`` in a worker, ``postgis``, ``workflow``, ``cache``, a plugin's own; ``none``
  before one is chosen), so a fallback from PostGIS shows as a count moving tiers.
- ``honua_job_duration_seconds{process,outcome,tier}``: running time of each job that ended
  after it started (histogram).
- ``honua_worker_restarts_total``: worker processes replaced (after ``worker_max_jobs``,
  a crash, a limit), from the local pool.
- ``honua_queue_depth`` and ``honua_jobs_running``: read from the job store at scrape
  time, so any front process gives the same, right answer.

Several front processes: counters live in each process, so with uvicorn/gunicorn
``--workers N`` set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before the server
starts (prometheus-client's multiprocess mode). Every process then writes its values
there and a scrape of any process sums them (``MultiProcessCollector``); the folder must
be emptied when the server restarts. Without it a scrape sees only the process that
answered it.

Who may read it: metrics name processes and tenants' activity, so ``/metrics`` answers
loopback callers (a Prometheus on the same host, or a sidecar) and admins; with
``metrics_public = true`` anyone. Behind a reverse proxy on the same host every caller
looks like loopback: keep the proxy from forwarding ``/metrics``, or leave the path to
the admin role by binding to a non-loopback address.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from honua.core.jobs import Job, JobStatus
from honua.settings import Settings
from honua.types import JobStore
from honua.web.identity import principal_of

__all__ = ["MULTIPROCESS_ENV", "Metrics", "metrics_routes"]

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
               1800.0, 3600.0)
QUEUED = (JobStatus.ACCEPTED, JobStatus.SUBMITTED, JobStatus.WAITING)


class _StoreGauges(Collector):
    """Gauges read from the job store when scraped (the same in every front process)."""

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def collect(self) -> Iterable[Metric]:
        _, queued = self.store.list(statuses=QUEUED, limit=1)
        _, running = self.store.list(statuses=(JobStatus.RUNNING, JobStatus.CANCELLING),
                                     limit=1)
        yield GaugeMetricFamily("honua_queue_depth", "Jobs waiting for a worker", value=queued)
        yield GaugeMetricFamily("honua_jobs_running", "Jobs running now", value=running)


NO_TIER = "none"
"""The ``tier`` label of a job no tier was chosen for yet (a label value cannot be empty in
every Prometheus client library's eyes, and an explicit word reads better in a query)."""


class Metrics:
    """The server's metrics: one registry per application (tests build many)."""

    def __init__(self, store: JobStore) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_ENV))
        # In multiprocess mode the values go to files whatever the registry; a scrape
        # reads them all back through a fresh registry (see ``exposition``).
        self.registry = CollectorRegistry(auto_describe=True)
        owned = None if self.multiprocess else self.registry
        self.requests = Counter("honua_http_requests", "HTTP requests answered",
                                ("surface", "method", "status"), registry=owned)
        self.request_seconds = Histogram("honua_http_request_duration_seconds",
                                         "Time to answer an HTTP request (to its first byte "
                                         "for a streamed body)", ("surface",), registry=owned)
        self.jobs = Counter("honua_jobs", "Job status changes, by the status entered",
                            ("process", "status", "tier"), registry=owned)
        self.job_seconds = Histogram("honua_job_duration_seconds",
                                     "Running time of finished jobs",
                                     ("process", "outcome", "tier"),
                                     buckets=JOB_BUCKETS, registry=owned)
        self.worker_restarts = Counter("honua_worker_restarts",
                                       "Worker processes replaced", registry=owned)
        self.worker_restarts.inc(0)
        self._store_gauges = _StoreGauges(store)
        if not self.multiprocess:
            self.registry.register(self._store_gauges)

    # -- observers ------------------------------------------------------------------------
    def observe_request(self, surface: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(surface, method, str(status)).inc()
        self.request_seconds.labels(surface).observe(seconds)

    def observe_job(self, job: Job) -> None:
        """A recorder observer: count the status entered, time the run that ended."""
        tier = job.tier or NO_TIER
        self.jobs.labels(job.process_id, job.status.value, tier).inc()
        if job.status.finished and job.started is not None and job.finished is not None:
            seconds = max(0.0, (job.finished - job.started).total_seconds())
            self.job_seconds.labels(job.process_id, job.status.value, tier).observe(seconds)

    def worker_restarted(self) -> None:
        self.worker_restarts.inc()

    # -- exposition -------------------------------------------------------------------------
    def exposition(self) -> bytes:
        """The text format of every metric (blocking: it reads the job store)."""
        if not self.multiprocess:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(self._store_gauges)
        return generate_latest(registry)


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_routes(metrics: Metrics, settings: Settings) -> list[BaseRoute]:
    async def scrape(request: Request) -> Response:
        if not (settings.metrics_public or _loopback(request)
                or principal_of(request).is_admin(settings)):
            return JSONResponse(
                {"status": 403, "title": "forbidden",
                 "detail": "/metrics answers loopback callers and admins only (set "
                           "metrics_public = true to open it)"}, status_code=403)
        body = await run_in_threadpool(metrics.exposition)
        return Response(body, media_type=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})

    return [Route("/metrics", scrape, methods=["GET"])]
