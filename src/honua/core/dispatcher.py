"""The dispatcher: queued jobs to the executor, recovery after a restart, clean-up.

Queued jobs live only in the job store, so a restart loses nothing:
``recover`` re-queues or fails what was running, and the dispatch loop hands
the oldest queued jobs to the executor as it has room (a job over a layer
reference runs chunk by chunk, ``core.chunked``). A second loop removes
expired jobs and runs the clean-up hooks (expired layers, uploads...).

With several front processes on one store (``core.fronts``) every front runs
this dispatcher: claims are compare-and-set in the store (each job to exactly one
front, and at most ``settings.workers`` running in the whole server), a third loop
beats the front's heartbeat, re-queues the jobs of fronts that died, and stops
the local run of a job another front cancelled or dismissed.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from honua.core import chunked
from honua.core.context import MessageLevel
from honua.core.execution import ExecutionListener, WorkItem, run_limits
from honua.core.fronts import HEARTBEAT_SECONDS, Front, live_fronts, this_front
from honua.core.invoke import select_outputs
from honua.core.jobs import Job, JobEvent, JobStatus
from honua.core.listeners import AsyncListener
from honua.core.queues import queues_from_settings
from honua.core.recorder import CHUNKED_TIER, JobRecorder, inputs_key
from honua.core.sizes import vertex_limit
from honua.errors import HonuaError, InvalidTransition, NotFound

if TYPE_CHECKING:
    from honua.core.description import ProcessDefinition, ProcessDescription
    from honua.core.references import LayerService
    from honua.core.registry import Registry
    from honua.core.workflows import WorkflowEngine
    from honua.settings import Settings
    from honua.types import Broker, BrokerStore, Executor

__all__ = ["Dispatcher", "work_item"]

log = logging.getLogger(__name__)


class Dispatcher:
    """Runs the dispatch and clean-up loops of one server (see the module docstring)."""

    def __init__(self, registry: Registry, recorder: JobRecorder, executor: Executor,
                 settings: Settings, layers: LayerService | None = None) -> None:
        self.registry = registry
        self.recorder = recorder
        self.executor = executor
        self.settings = settings
        self.layers = layers
        self.tier_executors: dict[str, Executor] = {}
        """Executors of the tiers besides tier 1 (``JobManager.add_tier``), by tier name."""
        self.workflows: WorkflowEngine | None = None
        """Runs the workflow jobs found queued again after a restart."""
        self.cleanup_hooks: list[Callable[[dt.datetime], int]] = []
        """Also run by the periodic clean-up, with the time (expired layers, uploads...)."""
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.front: Front = this_front(recorder.clock())
        self.queues = queues_from_settings(settings.workers, settings.queues)
        self._concurrency = {q.name: q.concurrency for q in self.queues.values()}
        self._handed: set[str] = set()
        self._handed_lock = threading.Lock()
        self.broker: Broker | None = None
        """Celery mode (``executors.celery_app``): queued jobs are published, not run here."""

    @property
    def _limit(self) -> int | None:
        """The server-wide count of running jobs, when other fronts claim too."""
        return self.settings.workers if self.settings.front_processes > 1 else None

    # -- life cycle ---------------------------------------------------------------------------
    def start(self, *, dispatch: bool = True) -> None:
        """Start the loops; ``dispatch=False`` (a Celery worker): only the heartbeat, the
        reclaim of dead fronts' and workers' jobs and the following of cancels."""
        self.recorder.store.heartbeat(self.front, self.recorder.clock())
        loops = [(self._lease_loop, "honua-fronts")]
        if dispatch:
            loops += [(self._dispatch_loop, "honua-dispatcher"),
                      (self._cleanup_loop, "honua-cleanup")]
        for target, name in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def wake(self) -> None:
        """Something was queued or a slot freed: dispatch now rather than at the next tick."""
        self._wake.set()

    # -- recovery -----------------------------------------------------------------------------
    def recover(self) -> None:
        """After a (re)start: nothing held by a dead front stays running; queued jobs go
        back to the queue. Jobs other live fronts are running are left to them."""
        store = self.recorder.store
        store.heartbeat(self.front, self.recorder.clock())
        live = self.reclaim()
        if live != {self.front.id}:
            return  # accepted/waiting jobs may be another live front's, mid-way
        jobs, _ = store.list(statuses=(JobStatus.ACCEPTED, JobStatus.WAITING), limit=1_000_000)
        self._recover_all(jobs)

    def reclaim(self) -> set[str]:
        """Re-queue (or fail) the jobs of fronts that died; returns the live fronts' ids."""
        store = self.recorder.store
        everyone = store.fronts()
        live = live_fronts(everyone, self.recorder.clock()) | {self.front.id}
        store.forget_fronts(f.id for f in everyone if f.id not in live)
        self._recover_all(store.orphans(live))
        return live

    def _recover_all(self, jobs: list[Job]) -> None:
        for job in jobs:
            try:
                self._recover_one(job)
            except (HonuaError, InvalidTransition) as exc:
                log.warning("could not recover job %s: %s", job.id, exc)

    def _recover_one(self, job: Job) -> None:
        recorder = self.recorder
        if job.status in (JobStatus.RUNNING, JobStatus.CANCELLING):
            current = recorder.store.get(job.id)  # another front or worker may have
            if (current.status, current.attempts) != (job.status, job.attempts):  # been first
                return
        if job.status is JobStatus.CANCELLING:
            recorder.finish(job.id, JobEvent.STOPPED,
                            "Job cancelled (the server restarted meanwhile)")
        elif job.status is JobStatus.RUNNING:
            attempts = self.settings.max_attempts
            if self.settings.rerun_interrupted and job.attempts < attempts:
                recorder.requeue(job.id, f"The server was interrupted while this job was running; "
                                 f"it was queued again (attempt {job.attempts + 1} of {attempts})")
            else:
                recorder.finish(job.id, JobEvent.FAIL,
                                "The server was interrupted while this job was running",
                                level=MessageLevel.ERROR)
        elif recorder.artifacts.exists(inputs_key(job.id)):
            recorder.apply(job.id, JobEvent.SUBMIT)
        else:
            recorder.finish(job.id, JobEvent.FAIL, "The job's inputs were lost before it started",
                            level=MessageLevel.ERROR)

    # -- dispatch -----------------------------------------------------------------------------
    def dispatch_once(self) -> int:
        """Hand queued jobs to the executor while it has room; returns how many."""
        if self.broker is not None:
            return self.publish_once()
        handed = 0
        while self.executor.free_slots() > 0:
            job = self.recorder.store.claim_next(self.recorder.clock(), front=self.front.id,
                                                 limit=self._limit, queues=self._concurrency)
            if job is None:
                break
            self.follow(job.id)
            self.recorder.claimed(job)  # its waiters wake, the metrics count it
            self._hand(job)
            handed += 1
        return handed

    def _hand(self, job: Job) -> None:
        loaded = self.load(job)
        if loaded is None:
            return
        definition, inputs_json = loaded
        if definition.workflow is not None and self.workflows is not None:
            self.workflows.resume(job)  # steps that had succeeded come from the cache
            return
        if job.tier == CHUNKED_TIER and self.layers is not None:  # over a layer, chunk by chunk
            description = definition.description
            run = chunked.ChunkedRun(self.recorder, self.executor, self.layers,
                                     Path(self.settings.data_dir) / "tmp", job, definition,
                                     inputs_json, select_outputs(description,
                                                                 list(job.options.outputs)),
                                     run_limits(description.limits, self.settings))
            chunked.start(run, self.wake)
            return
        self.run(job, definition, inputs_json, AsyncListener(self.recorder, self.wake))

    def load(self, job: Job) -> tuple[ProcessDefinition, bytes] | None:
        """A claimed job's process and stored inputs; None (and the job failed, saying why)
        when either is gone."""
        try:
            return self.registry.get(job.process_id), self.recorder.artifacts.get(
                inputs_key(job.id))
        except (NotFound, HonuaError) as exc:
            self.recorder.finish(job.id, JobEvent.FAIL, f"The job cannot run: {exc}",
                                 level=MessageLevel.ERROR)
            return None

    def run(self, job: Job, definition: ProcessDefinition, inputs_json: bytes,
            listener: ExecutionListener) -> None:
        """Run a claimed job's process on its tier's executor (tier 1: the worker pool):
        how a front runs a queued job, and how a Celery worker runs the job of a message."""
        item = work_item(job, definition.description, inputs_json, self.settings,
                         with_job=job.tier in self.tier_executors)
        executor = self.tier_executors.get(job.tier, self.executor)  # its own queue
        executor.submit(item, listener)

    def stays_here(self, job: Job) -> bool:
        """Whether a queued job runs on a front even in Celery mode: workflow parents (they
        only submit and follow their steps) and chunked runs (they read the layer here)."""
        if job.tier == CHUNKED_TIER:
            return True
        try:
            return self.registry.get(job.process_id).workflow is not None
        except NotFound:
            return True  # claimed here, and failed by ``load`` saying why

    def publish_once(self) -> int:
        """Celery mode: publish the queued jobs not yet published (new ones, and those
        re-queued since), each then marked as held by the broker; claim and run here the
        ones that stay on the fronts. A front that dies between a publish and its mark
        only leaves a duplicate message, which the worker's claim turns into a no-op.
        Returns how many were published or claimed."""
        assert self.broker is not None
        store = cast("BrokerStore", self.recorder.store)
        done = 0
        for job in store.unpublished(limit=100):
            if self.stays_here(job):
                if self.executor.free_slots() <= 0 and job.tier == CHUNKED_TIER:
                    continue
                claimed = store.claim(job.id, self.recorder.clock(), front=self.front.id)
                if claimed is not None:
                    self.follow(claimed.id)
                    self.recorder.claimed(claimed)
                    self._hand(claimed)
                    done += 1
                continue
            description = self.registry.get(job.process_id).description
            self.broker.publish(job.id, description.resource_class.value,
                                run_limits(description.limits, self.settings))
            store.mark_published(job.id)
            done += 1
        return done

    def follow(self, job_id: str) -> None:
        """Stop the local run of ``job_id`` when the store says it is no longer running
        (cancelled or dismissed through any front): checked every heartbeat."""
        with self._handed_lock:
            self._handed.add(job_id)

    def _dispatch_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(timeout=0.5)
            self._wake.clear()
            try:
                self.dispatch_once()
            except Exception:  # keep dispatching whatever one bad job did
                log.exception("dispatcher error")

    # -- other fronts ------------------------------------------------------------------------
    def follow_others(self) -> None:
        """Stop local runs of jobs cancelled or dismissed through another front."""
        with self._handed_lock:
            handed = set(self._handed)
        if not handed:
            return
        current, _ = self.recorder.store.list(
            statuses=(JobStatus.RUNNING, JobStatus.CANCELLING), limit=1_000_000)
        status = {job.id: job.status for job in current}
        for job_id in handed:
            if status.get(job_id) is JobStatus.RUNNING:
                continue
            if job_id not in status:  # ended (here or there) or dismissed: done with it
                with self._handed_lock:
                    self._handed.discard(job_id)
            self.executor.cancel(job_id)  # a no-op for a run that has ended

    def _lease_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.recorder.store.heartbeat(self.front, self.recorder.clock())
                if self.reclaim() != {self.front.id} or self._handed:
                    self.follow_others()
            except Exception:
                log.exception("front heartbeat error")
            self._stopping.wait(HEARTBEAT_SECONDS)

    # -- clean-up -----------------------------------------------------------------------------
    def cleanup(self) -> int:
        """Remove finished jobs past their expiry, with their stored inputs and outputs."""
        now = self.recorder.clock()
        expired = self.recorder.store.expired(now)
        for job_id in expired:
            self.recorder.forget(job_id)
        for hook in self.cleanup_hooks:
            try:
                hook(now)
            except Exception:
                log.exception("clean-up hook %r failed", hook)
        return len(expired)

    def _cleanup_loop(self) -> None:
        while not self._stopping.wait(self.settings.cleanup_interval_seconds):
            try:
                self.cleanup()
            except Exception:
                log.exception("clean-up error")


def work_item(job: Job, description: ProcessDescription, inputs_json: bytes,
              settings: Settings, *, with_job: bool = False) -> WorkItem:
    """The work item of a claimed queued job (front and Celery worker alike); ``with_job``:
    the item carries the job itself (tiers that need its options)."""
    outputs = select_outputs(description, list(job.options.outputs))
    own = description.limits.max_vertices
    return WorkItem(job.id, job.process_id, run_limits(description.limits, settings),
                    inputs_json=inputs_json, outputs=outputs, return_json=True, tier=job.tier,
                    pinned_tier=job.options.tier,
                    max_vertices=vertex_limit(own, settings.max_vertices),
                    job=job if with_job else None)
