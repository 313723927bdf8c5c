"""The job manager: the one place where jobs are created, run, cancelled and cleaned.

Every adapter goes through it. Each state change is persisted (compare-and-set
on the stored status) before anyone is told about it. Queued jobs live only in
the store, so a restart loses nothing: ``recover`` re-queues or fails what was
running, and the dispatcher thread hands queued jobs to the executor as it has
room. Synchronous requests skip the queue (they go to the executor first) and
are recorded in one write when they end.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from honua.core import chunked, codec
from honua.core.context import MessageLevel
from honua.core.description import Limits, ProcessDefinition
from honua.core.execution import Execution, Outcome, OutcomeStatus, RunLimits, WorkItem
from honua.core.invoke import bind_inputs, select_outputs
from honua.core.jobs import (
    ExecutionOptions,
    Job,
    JobEvent,
    JobStatus,
    Message,
    new_job_id,
    utcnow,
)
from honua.core.listeners import AsyncListener, SyncListener
from honua.core.references import LayerService
from honua.core.registry import Registry
from honua.core.values import File
from honua.errors import (
    HonuaError,
    InvalidTransition,
    JobFailed,
    NoSuchJob,
    NotFound,
    NotSupported,
    ResultNotReady,
)
from honua.geo.features import FeatureCollection
from honua.settings import Settings
from honua.types import ArtifactStore, Executor, JobStore

log = logging.getLogger(__name__)
PROGRESS_INTERVAL = 0.25
BUILTINS = "honua.processes."


def inputs_key(job_id: str) -> str:
    return f"jobs/{job_id}/inputs.json"


def outputs_key(job_id: str) -> str:
    return f"jobs/{job_id}/outputs.json"


class JobManager:
    def __init__(self, registry: Registry, store: JobStore, artifacts: ArtifactStore,
                 executor: Executor, settings: Settings,
                 clock: Callable[[], dt.datetime] = utcnow, *,
                 fast_executor: Executor | None = None) -> None:
        self.registry = registry
        self.fast_executor = fast_executor
        self.store = store
        self.artifacts = artifacts
        self.executor = executor
        self.settings = settings
        self.clock = clock
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_progress: dict[str, float] = {}
        self._changed = threading.Condition()
        self.layers: LayerService | None = None
        """Layer/upload references, outputs kept as layers, chunked runs (set by the app)."""
        self.cleanup_hooks: list[Callable[[dt.datetime], int]] = []
        """Also run by the periodic clean-up, with the time (expired layers, uploads...)."""

    # -- life cycle -------------------------------------------------------------------------
    def start(self, *, dispatch: bool = True) -> None:
        self.recover()
        self.executor.start()
        if self.fast_executor is not None:
            self.fast_executor.start()
        if dispatch:
            for target, name in ((self._dispatch_loop, "honua-dispatcher"),
                                 (self._cleanup_loop, "honua-cleanup")):
                thread = threading.Thread(target=target, name=name, daemon=True)
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.executor.stop()
        if self.fast_executor is not None:
            self.fast_executor.stop()

    # -- requests ---------------------------------------------------------------------------
    def prepare(self, process_id: str, raw_inputs: Mapping[str, Any], options: ExecutionOptions,
                *, owner: str = "", tenant: str = ""
                ) -> tuple[ProcessDefinition, dict[str, Any], tuple[str, ...]]:
        """Validate a request: the process, its inputs, the outputs asked for."""
        definition = self.registry.get(process_id)
        description = definition.description
        if options.mode == "async" and not description.allows_async:
            raise NotSupported(f"process {process_id!r} runs synchronously only")
        if options.mode == "sync" and not description.allows_sync:
            raise NotSupported(f"process {process_id!r} runs asynchronously only")
        if self.layers is not None:  # references read (checked for this caller), registrations checked
            bound = self.layers.bind(description, raw_inputs, options, owner=owner, tenant=tenant)
        else:
            bound = bind_inputs(description, raw_inputs)
        return definition, bound, select_outputs(description, list(options.outputs))

    def execute(self, process_id: str, raw_inputs: Mapping[str, Any],
                options: ExecutionOptions | None = None, *, owner: str = "",
                tenant: str = "") -> Future[Execution]:
        """Run synchronously: the future resolves with the outputs or raises JobFailed."""
        options = options or ExecutionOptions(mode="sync")
        definition, bound, outputs = self.prepare(process_id, raw_inputs, options, owner=owner,
                                                  tenant=tenant)
        if chunked.chunked_input(bound) is not None:
            return self._execute_chunked(process_id, bound, options, owner, tenant)
        now = self.clock()
        job = Job(id=new_job_id(), process_id=process_id, owner=owner, tenant=tenant,
                  options=options, created=now, updated=now, tier="python")
        future: Future[Execution] = Future()
        listener = SyncListener(self, job, future)
        item = WorkItem(job.id, process_id, self._limits(definition.description.limits, sync=True),
                        inputs=bound, outputs=outputs)
        executor = self.fast_executor if self._fast(definition, bound) else self.executor
        executor.submit(item, listener, priority=True)
        return future

    def _fast(self, definition: ProcessDefinition, bound: Mapping[str, Any]) -> bool:
        """Small runs of trusted built-ins skip the worker round trip (DESIGN: fast path)."""
        limit = self.settings.fast_path_max_features
        if self.fast_executor is None or limit <= 0 or not definition.module.startswith(BUILTINS):
            return False
        size = 0
        for value in bound.values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, File):
                    return False
                size += len(item) if isinstance(item, FeatureCollection) else 0
        return size <= limit

    def submit(self, process_id: str, raw_inputs: Mapping[str, Any],
               options: ExecutionOptions | None = None, *, owner: str = "",
               tenant: str = "") -> Job:
        """Queue an asynchronous job; returns once it is stored as submitted."""
        options = options or ExecutionOptions(mode="async")
        definition, bound, _ = self.prepare(process_id, raw_inputs, options, owner=owner,
                                            tenant=tenant)
        return self._submit_bound(definition, bound, options, owner, tenant)

    def _submit_bound(self, definition: ProcessDefinition, bound: Mapping[str, Any],
                      options: ExecutionOptions, owner: str, tenant: str) -> Job:
        now = self.clock()
        tier = chunked.CHUNKED_TIER if chunked.chunked_input(bound) is not None else "python"
        job = Job(id=new_job_id(), process_id=definition.id, owner=owner, tenant=tenant,
                  options=options, created=now, updated=now, tier=tier)
        self.artifacts.put(inputs_key(job.id),
                           codec.encode(definition.description.inputs, bound))
        job = job.apply(JobEvent.SUBMIT, now)
        self.store.create(job)
        self._wake.set()
        return job

    def get(self, job_id: str) -> Job:
        return self.store.get(job_id)

    def wait(self, job_id: str, timeout: float) -> Job:
        """The job once finished, or as it is when ``timeout`` seconds have passed."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.store.get(job_id)
            left = deadline - time.monotonic()
            if job.status.finished or left <= 0:
                return job
            with self._changed:
                # notified when a job of this process ends; the store is re-read
                # anyway since another front process may have finished it
                self._changed.wait(min(left, 0.2))

    def messages(self, job_id: str) -> list[Message]:
        return self.store.messages(job_id)

    def inputs(self, job_id: str) -> dict[str, Any]:
        """The validated inputs an asynchronous job was submitted with."""
        job = self.store.get(job_id)
        definition = self.registry.get(job.process_id)
        try:
            data = self.artifacts.get(inputs_key(job_id))
        except NotFound:
            raise NotFound(f"the inputs of job {job_id} are not kept (synchronous runs keep "
                           "none)") from None
        return codec.decode(definition.description.inputs, data)

    def list(self, *, min_duration: float | None = None, max_duration: float | None = None,
             limit: int = 100, offset: int = 0, **filters: Any) -> tuple[list[Job], int]:
        """Jobs newest first and their total; durations in seconds (finished - started, or
        now - started while running; jobs not started have none and never match them)."""
        if min_duration is None and max_duration is None:
            return self.store.list(limit=limit, offset=offset, **filters)
        everything, _ = self.store.list(limit=10**9, **filters)
        now = self.clock()
        matching = [job for job in everything
                    if (seconds := _duration(job, now)) is not None
                    and (min_duration is None or seconds >= min_duration)
                    and (max_duration is None or seconds <= max_duration)]
        return matching[offset:offset + limit], len(matching)

    def results(self, job_id: str) -> dict[str, Any]:
        """Output values of a succeeded job; raises ResultNotReady or JobFailed."""
        job = self.store.get(job_id)
        self._check_results_available(job)
        definition = self.registry.get(job.process_id)
        stored = chunked.materialise(self.artifacts.get(outputs_key(job_id)), self.artifacts)
        return codec.decode(definition.description.outputs, stored)

    def results_json(self, job_id: str) -> bytes:
        """The stored neutral JSON of a succeeded job's outputs."""
        job = self.store.get(job_id)
        self._check_results_available(job)
        return chunked.materialise(self.artifacts.get(outputs_key(job_id)), self.artifacts)

    def result_file(self, job_id: str, name: str) -> Path | None:
        """The file of output ``name`` when a chunked run stored it as one (GeoJSON), to be
        streamed as it is; None for outputs kept as values."""
        job = self.store.get(job_id)
        self._check_results_available(job)
        return chunked.artifact_path(self.artifacts.get(outputs_key(job_id)), name, self.artifacts)

    def _execute_chunked(self, process_id: str, bound: Mapping[str, Any],
                         options: ExecutionOptions, owner: str, tenant: str) -> Future[Execution]:
        """A synchronous request over a layer reference: queued as a chunked job, waited for;
        its outputs are read from the stored artifacts only when someone looks at them."""
        definition = self.registry.get(process_id)
        job = self._submit_bound(definition, bound, options, owner, tenant)
        future: Future[Execution] = Future()
        outputs = select_outputs(definition.description, list(options.outputs))

        def wait() -> None:
            done = self.wait(job.id, self.settings.sync_timeout_seconds)
            if done.status is JobStatus.SUCCEEDED:
                lazy = chunked.StoredOutputs(lambda: self.results(job.id), outputs)
                future.set_result(Execution(done, lazy, tuple(self.store.messages(job.id))))
            elif not done.status.finished:
                future.set_exception(ResultNotReady(
                    f"job {job.id} is still running after {self.settings.sync_timeout_seconds:g} s; "
                    "follow it at its status URL and fetch its results when it has succeeded"))
            else:
                error = JobFailed(done.message or f"job {job.id} {done.status.value}",
                                  status=done.status.value)
                error.kind = done.error_kind or error.kind
                future.set_exception(error)

        threading.Thread(target=wait, name=f"honua-wait-{job.id[:8]}", daemon=True).start()
        return future

    def _check_results_available(self, job: Job) -> None:
        if job.status is JobStatus.SUCCEEDED and job.has_outputs:
            return
        if job.status is JobStatus.SUCCEEDED:
            raise NotFound(f"job {job.id} ran synchronously; its results were returned "
                           "then and are not kept (run it asynchronously to fetch them later)")
        if not job.status.finished:
            raise ResultNotReady(f"job {job.id} is {job.status.value}; its results are not "
                                 "ready yet (poll the job until it has succeeded)")
        error = JobFailed(f"job {job.id} {job.status.value}: {job.message}".rstrip(": "),
                          status=job.status.value)
        error.kind = job.error_kind or error.kind  # a refused input stays the client's error
        raise error

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued or running job; a finished job is returned unchanged."""
        job = self.store.get(job_id)
        if job.status.finished:
            return job
        if job.status.queued:
            cancelled = self._finish(job_id, JobEvent.CANCEL, "Job cancelled before it started")
            return cancelled or self.store.get(job_id)
        job = self._apply(job_id, JobEvent.CANCEL, message="Cancellation requested")
        self.executor.cancel(job_id)
        return job

    def dismiss(self, job_id: str) -> Job:
        """Cancel if running, then forget the job and its stored inputs and outputs."""
        job = self.store.get(job_id)
        running = job.status in (JobStatus.RUNNING, JobStatus.CANCELLING)
        dismissed = self._apply(job_id, JobEvent.DISMISS, message="Job dismissed")
        if running:
            self.executor.cancel(job_id)
        self._forget(job_id)
        return dismissed

    # -- recovery, dispatch, clean-up ----------------------------------------------------------
    def recover(self) -> None:
        """After a restart: nothing stays running; queued jobs go back to the queue."""
        jobs, _ = self.store.list(statuses=(JobStatus.RUNNING, JobStatus.CANCELLING,
                                            JobStatus.ACCEPTED, JobStatus.WAITING),
                                  limit=1_000_000)
        for job in jobs:
            try:
                self._recover_one(job)
            except (HonuaError, InvalidTransition) as exc:
                log.warning("could not recover job %s: %s", job.id, exc)

    def _recover_one(self, job: Job) -> None:
        if job.status is JobStatus.CANCELLING:
            self._finish(job.id, JobEvent.STOPPED, "Job cancelled (the server restarted meanwhile)")
        elif job.status is JobStatus.RUNNING:
            if self.settings.rerun_interrupted and job.attempts < self.settings.max_attempts:
                text = (f"The server was interrupted while this job was running; it was queued "
                        f"again (attempt {job.attempts + 1} of {self.settings.max_attempts})")
                self._apply(job.id, JobEvent.REQUEUE, message=text,
                            note=Message(self.clock(), MessageLevel.WARNING, text))
            else:
                self._finish(job.id, JobEvent.FAIL,
                             "The server was interrupted while this job was running",
                             level=MessageLevel.ERROR)
        elif self.artifacts.exists(inputs_key(job.id)):
            self._apply(job.id, JobEvent.SUBMIT)
        else:
            self._finish(job.id, JobEvent.FAIL, "The job's inputs were lost before it started",
                         level=MessageLevel.ERROR)

    def dispatch_once(self) -> int:
        """Hand queued jobs to the executor while it has room; returns how many."""
        handed = 0
        while self.executor.free_slots() > 0:
            job = self.store.claim_next(self.clock())
            if job is None:
                break
            try:
                definition = self.registry.get(job.process_id)
                inputs_json = self.artifacts.get(inputs_key(job.id))
            except (NotFound, HonuaError) as exc:
                self._finish(job.id, JobEvent.FAIL, f"The job cannot run: {exc}",
                             level=MessageLevel.ERROR)
                continue
            outputs = select_outputs(definition.description, list(job.options.outputs))
            if job.tier == chunked.CHUNKED_TIER:  # over a layer reference, chunk by chunk
                chunked.start(self, job, definition, inputs_json, outputs,
                              self._limits(definition.description.limits))
                handed += 1
                continue
            item = WorkItem(job.id, job.process_id, self._limits(definition.description.limits),
                            inputs_json=inputs_json, outputs=outputs, return_json=True)
            self.executor.submit(item, AsyncListener(self))
            handed += 1
        return handed

    def wake(self) -> None:
        self._wake.set()

    def _dispatch_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(timeout=0.5)
            self._wake.clear()
            try:
                self.dispatch_once()
            except Exception:  # keep dispatching whatever one bad job did
                log.exception("dispatcher error")

    def cleanup(self) -> int:
        """Remove finished jobs past their expiry, with their stored inputs and outputs."""
        expired = self.store.expired(self.clock())
        for job_id in expired:
            self._forget(job_id)
        for hook in self.cleanup_hooks:
            try:
                hook(self.clock())
            except Exception:
                log.exception("clean-up hook %r failed", hook)
        return len(expired)

    def _cleanup_loop(self) -> None:
        while not self._stopping.wait(self.settings.cleanup_interval_seconds):
            try:
                self.cleanup()
            except Exception:
                log.exception("clean-up error")

    # -- internals ----------------------------------------------------------------------------
    def _limits(self, limits: Limits, *, sync: bool = False) -> RunLimits:
        s = self.settings
        timeout = limits.max_run_time or s.job_timeout_seconds
        if sync:
            timeout = min(timeout, s.sync_timeout_seconds)
        return RunLimits(
            timeout_seconds=timeout,
            memory_mb=limits.memory_mb or s.job_memory_mb,
            cpu_seconds=limits.cpu_seconds or s.job_cpu_seconds,
            max_processes=s.job_max_processes,
            max_file_mb=s.job_max_file_mb,
        )

    def _expiry(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(hours=self.settings.retention_hours)

    def _apply(self, job_id: str, event: JobEvent, *, note: Message | None = None,
               **changes: Any) -> Job:
        """Apply ``event`` with compare-and-set, retrying if another writer got there first;
        ``note`` is recorded in the same write, so a reader sees both or neither."""
        for _ in range(20):
            job = self.store.get(job_id)
            updated = job.apply(event, self.clock(), **changes)
            if self.store.update(updated, expected=job.status, messages=(note,) if note else ()):
                return updated
        raise InvalidTransition(f"job {job_id} changed too often to {event.value}")

    def _finish(self, job_id: str, event: JobEvent, message: str, *,
                level: MessageLevel = MessageLevel.INFO, **changes: Any) -> Job | None:
        now = self.clock()
        try:
            job = self._apply(job_id, event, message=message, expires=self._expiry(now),
                              note=Message(now, level, message), **changes)
        except (NoSuchJob, InvalidTransition):
            return None  # dismissed or already finished meanwhile
        self._last_progress.pop(job_id, None)
        with self._changed:
            self._changed.notify_all()
        return job

    def _add_message(self, job_id: str, level: MessageLevel, text: str) -> None:
        self.store.add_messages(job_id, [Message(self.clock(), level, text)])

    def _forget(self, job_id: str) -> None:
        self.artifacts.delete_prefix(f"jobs/{job_id}/")
        self.store.delete(job_id)

    def _record_progress(self, job_id: str, percent: float, message: str | None) -> None:
        now = time.monotonic()
        if percent < 100 and now - self._last_progress.get(job_id, 0.0) < PROGRESS_INTERVAL:
            return
        self._last_progress[job_id] = now
        self.store.set_progress(job_id, int(percent), message, self.clock())

    def _register_outputs(self, job: Job, outcome: Outcome) -> Outcome:
        """Keep the outputs asked for (``registerAs``) as layers; a refusal fails the job."""
        wanted = any(isinstance(spec, Mapping) and spec.get("registerAs") is not None
                     for spec in job.options.outputs.values())
        if (self.layers is None or not wanted or outcome.status is not OutcomeStatus.SUCCEEDED
                or job.tier == chunked.CHUNKED_TIER):  # a chunked run registers as it goes
            return outcome
        description = self.registry.get(job.process_id).description
        try:
            outputs = outcome.outputs or codec.decode(description.outputs,
                                                      outcome.outputs_json or b"{}")
            self.layers.register_outputs(description, job.options, outputs, owner=job.owner,
                                         tenant=job.tenant, now=self.clock())
        except HonuaError as exc:
            return Outcome(OutcomeStatus.FAILED, error_kind=exc.kind, duration=outcome.duration,
                           error=f"the result could not be kept as a layer: {exc.message}")
        except Exception:  # a listener must never raise
            log.exception("could not register the outputs of job %s", job.id)
            return Outcome(OutcomeStatus.FAILED, duration=outcome.duration,
                           error="the result could not be kept as a layer (see the server log)")
        return outcome

    def _complete(self, job_id: str, outcome: Outcome) -> None:
        """An asynchronous job ended in its worker: store outputs, then its final state."""
        try:
            outcome = self._register_outputs(self.store.get(job_id), outcome)
        except NoSuchJob:
            return  # dismissed while it ran
        if outcome.status is OutcomeStatus.SUCCEEDED:
            try:
                status = self.store.get(job_id).status
            except NoSuchJob:
                return  # dismissed while it ran
            if status is JobStatus.RUNNING:
                self.artifacts.put(outputs_key(job_id), outcome.outputs_json or b"{}")
            done = self._finish(job_id, JobEvent.SUCCEED,
                                f"Succeeded in {outcome.duration:.2f} s", has_outputs=True)
            if done is not None and done.status is not JobStatus.SUCCEEDED:
                self.artifacts.delete_prefix(outputs_key(job_id))
                self.store.update(done.evolve(has_outputs=False, message="Job cancelled"),
                                  expected=done.status)
            return
        if outcome.status is OutcomeStatus.CANCELLED and outcome.error_kind == "unavailable":
            self._requeue_after_shutdown(job_id)
            return
        event = {OutcomeStatus.FAILED: JobEvent.FAIL, OutcomeStatus.TIMED_OUT: JobEvent.TIME_OUT,
                 OutcomeStatus.CANCELLED: JobEvent.STOPPED}[outcome.status]
        level = MessageLevel.INFO if event is JobEvent.STOPPED else MessageLevel.ERROR
        text = outcome.error or ("Job cancelled" if event is JobEvent.STOPPED else "Job failed")
        try:
            current = self.store.get(job_id).status
        except NoSuchJob:
            return
        if current is JobStatus.CANCELLING:
            event, text, level = JobEvent.STOPPED, "Job cancelled", MessageLevel.INFO
        self._finish(job_id, event, text, level=level, error_kind=outcome.error_kind)

    def _requeue_after_shutdown(self, job_id: str) -> None:
        """The executor stopped under a running job (server shutdown): not the job's fault,
        so it goes back to the queue and runs again when the server is back."""
        try:
            job = self.store.get(job_id)
        except NoSuchJob:
            return
        if job.status is JobStatus.CANCELLING:
            self._finish(job_id, JobEvent.STOPPED, "Job cancelled")
        elif job.status is JobStatus.RUNNING:
            text = "The server stopped while this job was running; it was queued again"
            self._apply(job_id, JobEvent.REQUEUE, message=text,
                        note=Message(self.clock(), MessageLevel.WARNING, text))


def _duration(job: Job, now: dt.datetime) -> float | None:
    if job.started is None:
        return None
    return ((job.finished or now) - job.started).total_seconds()
