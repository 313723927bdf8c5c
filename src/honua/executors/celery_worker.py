"""``honua worker``: a Celery worker that runs the jobs of the queues it serves.

It is a front without HTTP: the same job manager (store, artifacts, registry, recorder,
change notifications, built by ``app.build_worker``), a row in the fronts table with a
heartbeat (``core.fronts``), so a killed worker's jobs are orphans that any front or
worker re-queues, or fails after ``max_attempts`` (``Dispatcher.reclaim``), and a local
worker pool of ``--concurrency`` slots: every job still runs in an isolated child under
the same OS limits as on a front; the Celery process only supervises.

The task (``run_job``), per message (the job id):

- the job is gone, finished or cancelled: drop the message;
- running under a live holder (a duplicate message): drop it; under a dead holder (its
  worker was killed, RabbitMQ redelivered): reclaim first, as the fronts do, then go on;
- claim it by compare-and-set (submitted -> running, held by this worker); losing the
  claim means someone else runs it: drop;
- run it on the pool with a listener that records progress and the end, and return only
  once the end is stored, so that the late acknowledgement means "recorded".

While it runs, the heartbeat loop follows the store: a job whose status becomes
``cancelling`` (cancel from any face, any front) is stopped here. Celery's own time limits
are set from the process limits but not enforced on the threads pool; the pool enforces
the wall clock, memory, CPU time and the rest in the child.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from honua.core.context import MessageLevel
from honua.core.execution import ExecutionListener, Outcome, run_limits
from honua.core.jobs import JobStatus
from honua.core.listeners import AsyncListener
from honua.errors import NoSuchJob
from honua.executors.celery_app import RESOURCE_CLASSES, TASK, celery_app, queue_name

if TYPE_CHECKING:
    from celery import Celery

    from honua.core.manager import JobManager
    from honua.types import BrokerStore

__all__ = ["CONSUMER_TIMEOUT_SECONDS", "consumer_timeout_warning", "run_job", "serve"]

log = logging.getLogger(__name__)

CONSUMER_TIMEOUT_SECONDS = 1800.0
"""RabbitMQ's default ``consumer_timeout`` (30 min): a delivery unacknowledged for longer
closes the channel and is redelivered, a healthy long job included."""


class _Here(ExecutionListener):
    """Records the run as ``AsyncListener`` does, naming this worker process as where it
    ran (the job status's ``worker``); the isolated child's pid is kept as ``child``."""

    def __init__(self, listener: AsyncListener, worker_id: str) -> None:
        self.listener = listener
        self.worker_id = worker_id

    def on_start(self, job_id: str) -> None:
        self.listener.on_start(job_id)

    def on_progress(self, job_id: str, percent: float, message: str | None) -> None:
        self.listener.on_progress(job_id, percent, message)

    def on_message(self, job_id: str, level: MessageLevel, text: str) -> None:
        self.listener.on_message(job_id, level, text)

    def on_finish(self, job_id: str, outcome: Outcome) -> None:
        worker = {**outcome.worker, "host": socket.gethostname(), "pid": os.getpid(),
                  "kind": "celery", "worker": self.worker_id}
        if "pid" in outcome.worker:
            worker["child"] = outcome.worker["pid"]
        self.listener.on_finish(job_id, dataclasses.replace(outcome, worker=worker))


def run_job(manager: JobManager, job_id: str) -> str:
    """Run job ``job_id`` here if it is this worker's to run (see the module docstring);
    returns what happened, in a few words (Celery logs it)."""
    dispatcher, recorder = manager.dispatcher, manager.recorder
    store = cast("BrokerStore", recorder.store)
    try:
        job = store.get(job_id)
        if job.status in (JobStatus.RUNNING, JobStatus.CANCELLING):
            holder = store.holder(job_id)
            if holder in dispatcher.reclaim():  # re-queues or fails a dead holder's jobs
                return f"dropped: a duplicate, {holder} runs it"
            job = store.get(job_id)
    except NoSuchJob:
        return "dropped: the job no longer exists"
    if job.status is not JobStatus.SUBMITTED:
        return f"dropped: the job is {job.status.value}"
    if dispatcher.stays_here(job):
        return "dropped: the job runs on a front"
    claimed = store.claim(job_id, recorder.clock(), front=dispatcher.front.id)
    if claimed is None:
        return "dropped: claimed by another worker or front"
    dispatcher.follow(job_id)
    recorder.claimed(claimed)
    loaded = dispatcher.load(claimed)
    if loaded is None:
        return "failed: the job cannot run"
    done = threading.Event()
    dispatcher.run(claimed, *loaded, _Here(AsyncListener(recorder, done.set),
                                           dispatcher.front.id))
    done.wait()  # on_finish comes exactly once, also at the pool's shutdown
    status = recorder.status(job_id)
    return f"ran: {status.value if status else 'dismissed'}"


def consumer_timeout_warning(manager: JobManager) -> str:
    """A warning when a job may run longer than RabbitMQ's default consumer timeout (the
    broker's setting cannot be read without the management API), else ''."""
    settings = manager.settings
    longest = max([settings.job_timeout_seconds] + [
        run_limits(d.description.limits, settings).timeout_seconds for d in manager.registry])
    if longest <= CONSUMER_TIMEOUT_SECONDS:
        return ""
    return (f"jobs may run {longest:g} s, longer than RabbitMQ's default consumer_timeout "
            f"({CONSUMER_TIMEOUT_SECONDS:g} s): unless the broker sets consumer_timeout above "
            f"it (in ms, rabbitmq.conf; see docs/deploy/README.md, 'RabbitMQ consumer "
            f"timeout'), RabbitMQ closes the channel of a long job and redelivers it")


def app_for(manager: JobManager) -> Celery:
    """The Celery app with the task bound to ``manager``."""
    app = celery_app(manager.settings)

    @app.task(name=TASK, ignore_result=True)  # type: ignore[untyped-decorator]
    def task(job_id: str) -> str:
        return run_job(manager, str(job_id))

    return app


def serve(manager: JobManager, queues: Sequence[str], concurrency: int) -> None:
    """Run the Celery worker (threads pool, ``concurrency`` threads) on ``queues`` (resource
    classes) until it is stopped (SIGTERM/SIGINT: warm shutdown, running jobs finish)."""
    unknown = sorted(set(queues) - set(RESOURCE_CLASSES))
    if unknown:
        raise ValueError(f"unknown queue {unknown[0]!r}; use {', '.join(RESOURCE_CLASSES)}")
    warning = consumer_timeout_warning(manager)
    if warning:
        log.warning("%s", warning)
    app = app_for(manager)
    names = ",".join(queue_name(manager.settings, q) for q in queues)
    app.worker_main(["worker", "--pool=threads", f"--concurrency={concurrency}",
                     f"--queues={names}", f"--hostname={manager.dispatcher.front.id}@%h",
                     "--without-gossip", "--without-mingle", "--loglevel=WARNING",
                     "--prefetch-multiplier=1"])
