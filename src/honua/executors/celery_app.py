"""The Celery side of ``executor = "celery"``: the app, its queues, and the front's broker.

The job store (PostgreSQL) is the truth; a message only says *which* job to look at: its
body is the job id (the task's one argument, and the task id too), JSON-encoded. One
durable queue per resource class, ``<queue_prefix>.<class>`` (``cpu-burst``, ``db-heavy``,
``gpu``, ``long-tail``); a ``honua worker`` consumes the queues it is told to
(``executors.celery_worker``).

Delivery is at least once (late acknowledgement, reject on worker loss, one message
prefetched per slot); the worker's compare-and-set claim in the store makes a duplicate
message a no-op, so a job runs at most once at a time and ``max_attempts`` caps re-runs.

For other tools (benchmarks, tests) the whole interface is: ``celery_app(settings)``,
``queue_name(settings, resource_class)``, ``Broker(settings).publish(job_id,
resource_class, limits)`` / ``.revoke(job_id)``, and ``TASK`` (the task's name).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from celery import Celery
from kombu.entity import Exchange, Queue

from honua.core.description import ResourceClass

if TYPE_CHECKING:
    from honua.core.execution import RunLimits
    from honua.settings import Settings

__all__ = ["RESOURCE_CLASSES", "TASK", "Broker", "celery_app", "check_celery_settings",
           "queue_name"]

log = logging.getLogger(__name__)

TASK = "honua.run_job"
RESOURCE_CLASSES = tuple(c.value for c in ResourceClass)
HARD_LIMIT_MARGIN = 30.0
"""Seconds the Celery hard time limit allows past the job's own wall-clock limit (the pool
ends the job at its limit and needs a moment to record it)."""


def check_celery_settings(settings: Settings) -> None:
    """Refuse what cannot work; raises ValueError with a message for the operator."""
    if settings.executor not in ("local", "celery"):
        raise ValueError(f"executor must be 'local' or 'celery', not {settings.executor!r}")
    if settings.executor != "celery":
        return
    if not settings.database_url.startswith(("postgresql", "postgres:")):
        raise ValueError(
            "executor = 'celery' needs a PostgreSQL job store shared by the fronts and the "
            "workers: set database_url (HONUA_DATABASE_URL) to postgresql+psycopg://...; "
            f"it is {settings.database_url or 'empty (the embedded SQLite file)'}")
    if not settings.queue_prefix or any(c.isspace() for c in settings.queue_prefix):
        raise ValueError(f"queue_prefix must be a non-empty word, not {settings.queue_prefix!r}")


def queue_name(settings: Settings, resource_class: str) -> str:
    return f"{settings.queue_prefix}.{resource_class}"


def _queues(settings: Settings) -> list[Queue]:
    queues = []
    for name in (queue_name(settings, c) for c in RESOURCE_CLASSES):
        exchange = Exchange(name, type="direct", durable=True)  # type: ignore[no-untyped-call]
        queues.append(Queue(name, exchange, routing_key=name,  # type: ignore[no-untyped-call]
                            durable=True))
    return queues


def celery_app(settings: Settings) -> Celery:
    """The Celery app of this installation (same on fronts and workers)."""
    app = Celery("honua", broker=settings.broker_url, set_as_current=False)
    queues = _queues(settings)
    app.conf.update(
        task_serializer="json", accept_content=["json"], result_serializer="json",
        task_ignore_result=True, result_backend=None,
        task_acks_late=True,  # acknowledged once the job's end is stored
        task_reject_on_worker_lost=True,  # a worker killed mid-job: redelivered
        worker_prefetch_multiplier=1,  # a busy worker does not sit on queued jobs
        task_queues=queues, task_default_queue=queues[0].name,
        task_create_missing_queues=False,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False, worker_redirect_stdouts=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    return app


class Broker:
    """What a front does with the broker: publish a queued job, revoke a cancelled one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = celery_app(settings)
        self._queues = {q.name: q for q in self.app.conf.task_queues}

    def publish(self, job_id: str, resource_class: str, limits: RunLimits) -> None:
        """Send the job's message (declaring its durable queue, so it waits there until a
        worker for it starts); raises on a broker failure (the job stays unpublished and
        is tried again)."""
        queue = self._queues[queue_name(self.settings, resource_class)]
        self.app.send_task(TASK, args=[job_id], task_id=job_id, queue=queue,
                           soft_time_limit=limits.timeout_seconds,
                           time_limit=limits.timeout_seconds + HARD_LIMIT_MARGIN,
                           declare=[queue], retry=True,
                           retry_policy={"max_retries": 3, "interval_start": 0.2,
                                         "interval_step": 0.5})

    def revoke(self, job_id: str) -> None:
        """Tell the workers up now to drop job ``job_id``'s message.

        Not ``terminate=True``: the workers run tasks on Celery's threads pool, where a
        thread cannot be killed, and the task only supervises the job's isolated child
        anyway. What stops a run is the cancel flag in the job store (status
        ``cancelling``), which the worker follows every heartbeat and checks before it
        starts a job; a revoke is lost when no worker is up, the flag is not."""
        try:
            self.app.control.revoke(job_id)
        except Exception as exc:  # the flag still does the stopping
            log.warning("could not revoke job %s on the broker: %s", job_id, exc)

    def close(self) -> None:
        self.app.close()
