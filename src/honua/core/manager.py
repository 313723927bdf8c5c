"""The job manager: what adapters call to run, follow, cancel and read jobs.

It is thin on purpose. Validation is ``bind_inputs`` (and the layer service
for references), the choice of how to run is ``core.planning``, every write
to a job's record is the ``JobRecorder``'s, and queued jobs reach the executor
through the ``Dispatcher`` (which also recovers after a restart and cleans up).
Synchronous runs skip the queue (they go to the executor first, small runs of
built-ins to the in-process fast path) and are recorded in one write when they
end.
"""

from __future__ import annotations

import builtins
import contextvars
import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from honua.core import codec, stored_outputs
from honua.core.access import AccessPolicy, check_may_run
from honua.core.changes import FALLBACK_SECONDS, Notifier
from honua.core.chunked import chunked_input
from honua.core.context import MessageLevel
from honua.core.deployed import DeployedWorkflows
from honua.core.description import ProcessDefinition, ProcessDescription
from honua.core.dispatcher import Dispatcher
from honua.core.execution import (
    Execution,
    ExecutionListener,
    Outcome,
    OutcomeStatus,
    WorkItem,
    run_limits,
)
from honua.core.governor import check_backlog, check_owner, expected_wait
from honua.core.invoke import bind_inputs, select_outputs
from honua.core.jobs import Job, JobEvent, JobStatus, Message, new_job_id, no_such_job, utcnow
from honua.core.json_text import JSONText, has_text
from honua.core.listeners import SyncListener
from honua.core.planning import Plan, RunResult, plan_run
from honua.core.provenance import ProvenanceRecord, origins_of
from honua.core.quotas import check_job_quota, check_stored_quota
from honua.core.recorder import CHUNKED_TIER, JobRecorder, inputs_key, outputs_key
from honua.core.references import LayerService, layer_references
from honua.core.registry import Registry
from honua.core.requests import ExecutionOptions, Mode
from honua.core.sizes import check_vertices, vertex_count, vertex_limit
from honua.core.tenancy import may_see, tenant_filter
from honua.core.tiers import SHAPELY, TierBackend, TierChoice, choose_tier, fallback_warning
from honua.core.values import File
from honua.core.workflow_document import parse_workflow
from honua.core.workflows import WorkflowEngine
from honua.errors import HonuaError, NotFound, ResultNotReady
from honua.geo.features import FeatureCollection
from honua.settings import Settings
from honua.types import ArtifactStore, Executor, JobStore, UsageLedger

__all__ = ["JobManager", "inputs_key", "outputs_key"]

log = logging.getLogger(__name__)

BUILTINS = "honua.processes."
_TIER_ONE = TierChoice(SHAPELY)


class _TierOne(ExecutionListener):
    """Passes a fallen-back run on to the job's listener, saying that tier 1 ran it."""

    def __init__(self, listener: ExecutionListener) -> None:
        self.listener = listener

    def on_start(self, job_id: str) -> None:
        pass  # the tier that fell back has started the job already

    def on_progress(self, job_id: str, percent: float, message: str | None) -> None:
        self.listener.on_progress(job_id, percent, message)

    def on_message(self, job_id: str, level: MessageLevel, text: str) -> None:
        self.listener.on_message(job_id, level, text)

    def on_finish(self, job_id: str, outcome: Outcome) -> None:
        self.listener.on_finish(job_id, dataclasses.replace(outcome, tier=SHAPELY))

ADHOC_KEPT = 1000


class JobManager:
    def __init__(self, registry: Registry, store: JobStore, artifacts: ArtifactStore,
                 executor: Executor, settings: Settings,
                 clock: Callable[[], dt.datetime] = utcnow, *,
                 fast_executor: Executor | None = None,
                 layers: LayerService | None = None,
                 notifier: Notifier | None = None, usage: UsageLedger | None = None) -> None:
        self.registry = registry
        self.executor = executor
        self.fast_executor = fast_executor
        self.settings = settings
        self.layers = layers
        """Layer/upload references, outputs kept as layers, chunked runs."""
        self.access = AccessPolicy.from_tables(settings.access)
        """``[[honua.access]]``, checked again for every run (``core.access.check_may_run``)."""
        self.recorder = JobRecorder(store, artifacts, registry,
                                    retention=dt.timedelta(hours=settings.retention_hours),
                                    clock=clock, layers=layers, notifier=notifier,
                                    usage=usage)
        self.recorder.externalise_bytes = settings.signed_url_threshold_bytes
        self.dispatcher = Dispatcher(registry, self.recorder, executor, settings, layers)
        self.tiers: dict[str, TierBackend] = {}
        """Tiers besides tier 1, by name (``add_tier``); each is also their executor."""
        self._background = ThreadPoolExecutor(max_workers=8, thread_name_prefix="honua-submit")
        """Where asynchronous submissions are written, off the callers' event loops."""
        self.workflows = WorkflowEngine(self, reuse=settings.workflow_reuse,
                                        no_reuse=settings.workflow_no_reuse,
                                        max_parallel=settings.workflow_max_parallel)
        self.dispatcher.workflows = self.workflows
        self.deployed = DeployedWorkflows(registry, artifacts, self.recorder.notifier,
                                          max_steps=settings.workflow_max_steps,
                                          resync_seconds=settings.deployed_resync_seconds)
        """Workflows deployed as processes, kept in step across the fronts."""
        self._adhoc: dict[str, ProcessDefinition] = {}
        if registry.fallback is None:
            registry.fallback = self._adhoc_workflow

    # -- shared parts, for the app and tests --------------------------------------------------
    @property
    def store(self) -> JobStore:
        return self.recorder.store

    @property
    def artifacts(self) -> ArtifactStore:
        return self.recorder.artifacts

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        return self.recorder.clock

    @clock.setter
    def clock(self, clock: Callable[[], dt.datetime]) -> None:
        self.recorder.clock = clock

    @property
    def cleanup_hooks(self) -> list[Callable[[dt.datetime], int]]:
        return self.dispatcher.cleanup_hooks

    def add_tier(self, tier: Any) -> None:
        """Plug in a tier (a ``TierBackend`` that is also an ``Executor``, such as
        ``executors.postgis.PostGISTier``); its runs fall back to tier 1 through here."""
        self.tiers[tier.name] = tier
        self.dispatcher.tier_executors[tier.name] = tier
        tier.fallback = self._fall_back

    # -- life cycle -------------------------------------------------------------------------
    def start(self, *, dispatch: bool = True) -> None:
        self.dispatcher.recover()
        for tier in self.tiers.values():
            tier.start()  # type: ignore[attr-defined]
        self.executor.start()
        if self.fast_executor is not None:
            self.fast_executor.start()
        if dispatch:
            self.dispatcher.start()
        self.deployed.start()

    def stop(self) -> None:
        self.deployed.stop()
        self.workflows.stop()
        self.dispatcher.stop()
        if self.dispatcher.broker is not None:
            self.dispatcher.broker.close()
        for tier in self.tiers.values():
            tier.stop()  # type: ignore[attr-defined]
        self.recorder.notifier.close()
        self.executor.stop()
        if self.fast_executor is not None:
            self.fast_executor.stop()

    def recover(self) -> None:
        self.dispatcher.recover()

    def dispatch_once(self) -> int:
        return self.dispatcher.dispatch_once()

    def cleanup(self) -> int:
        return self.dispatcher.cleanup()

    def wake(self) -> None:
        self.dispatcher.wake()

    # -- running ----------------------------------------------------------------------------
    def prepare(self, process_id: str, raw_inputs: Mapping[str, Any], options: ExecutionOptions,
                *, owner: str = "", tenant: str = ""
                ) -> tuple[ProcessDefinition, dict[str, Any], tuple[str, ...]]:
        """Validate a request: the process, its inputs (references read and checked for this
        caller, registrations checked), the outputs asked for."""
        definition = self.definition_to_run(process_id)
        description = definition.description
        outputs = select_outputs(description, list(options.outputs))
        if self.layers is not None:
            bound = self.layers.bind(description, raw_inputs, options, owner=owner, tenant=tenant)
        else:
            bound = bind_inputs(description, raw_inputs)
        check_vertices(bound, self.max_vertices(definition))
        return definition, bound, outputs

    def definition_to_run(self, process_id: str) -> ProcessDefinition:
        """Process ``process_id``, if the current caller may run it (not-found otherwise)."""
        check_may_run(self.access, process_id)
        return self.registry.get(process_id)

    def max_vertices(self, definition: ProcessDefinition) -> int:
        """The vertex cap of one request to ``definition``: the process's own, within the
        server's ``max_vertices``."""
        return vertex_limit(definition.description.limits.max_vertices,
                            self.settings.max_vertices)

    def run(self, process_id: str, raw_inputs: Mapping[str, Any], options: ExecutionOptions,
            *, owner: str = "", tenant: str = "") -> Future[RunResult]:
        """Run a request as ``core.planning`` decides. Validation errors (and a mode the
        process does not allow) are raised here; the future gives the ``RunResult``, or
        raises ``JobFailed`` when a synchronous run fails."""
        check_may_run(self.access, process_id)
        description = self.registry.get(process_id).description
        plan = plan_run(description, options)
        choice, kept = self._choose_tier(description, raw_inputs, options, owner, tenant)
        if kept is not None:  # tier 2: the references stay references, read where they live
            definition = self.registry.get(process_id)
            bound, outputs = kept, select_outputs(description, list(options.outputs))
        else:
            definition, bound, outputs = self.prepare(process_id, raw_inputs, options,
                                                      owner=owner, tenant=tenant)
            if definition.workflow is not None:  # run by the workflow engine, as one job
                bound = _decoded(definition, bound, self.max_vertices(definition))
                check_job_quota(self.recorder.store, self.settings, tenant, queued=True)
                return self.workflows.run(
                    definition, bound, options, owner=owner, tenant=tenant,
                    origins=origins_of(raw_inputs, options.origins))
            if plan is Plan.SYNC and chunked_input(bound) is not None:
                plan = Plan.STORED  # over a layer reference: chunk by chunk, as a stored job
        check_job_quota(self.recorder.store, self.settings, tenant, queued=plan is not Plan.SYNC)
        if plan is not Plan.SYNC:
            store, now = self.recorder.store, self.clock()
            queue = self.dispatcher.queues[description.resource_class.value]
            check_backlog(store, queue, now)
            check_owner(store, queue, owner, self.settings.owner_max_jobs, now)
            if (plan is Plan.STORED and description.allows_async
                    and expected_wait(store, queue, now) > self.settings.sync_timeout_seconds):
                plan = Plan.ASYNC  # it would outlive the synchronous wait: a job at once
            check_stored_quota(self.recorder.usage, self.settings, tenant)  # kept inputs/results
        origins = origins_of(raw_inputs, options.origins)
        if plan is Plan.SYNC:
            return self._run_now(definition, bound, outputs, options, owner, tenant, choice,
                                 origins)
        if plan is Plan.ASYNC:  # the write happens off the caller's thread (an event loop),
            # in the caller's context (its log lines keep the request's id)
            return self._background.submit(contextvars.copy_context().run, lambda: RunResult(
                Plan.ASYNC, self._submit_bound(definition, bound, options, owner, tenant,
                                               choice, origins)))
        future: Future[RunResult] = Future()
        threading.Thread(target=self._run_stored, name="honua-stored-run", daemon=True,
                         args=(definition, bound, outputs, options, owner, tenant, future,
                               choice, origins)).start()
        return future

    def execute(self, process_id: str, raw_inputs: Mapping[str, Any],
                options: ExecutionOptions | None = None, *, owner: str = "",
                tenant: str = "") -> Future[Execution]:
        """Run for the outputs: the future resolves with them, or raises JobFailed (or
        ResultNotReady when a stored run outlives the synchronous limit)."""
        options = options or ExecutionOptions(mode=Mode.SYNC, strict=True)
        result = self.run(process_id, raw_inputs, options, owner=owner, tenant=tenant)
        future: Future[Execution] = Future()

        def done(finished: Future[RunResult]) -> None:
            try:
                run = finished.result()
                future.set_result(Execution(run.job, run.require_outputs(), run.messages))
            except Exception as exc:
                future.set_exception(exc)

        result.add_done_callback(done)
        return future

    def submit(self, process_id: str, raw_inputs: Mapping[str, Any],
               options: ExecutionOptions | None = None, *, owner: str = "",
               tenant: str = "") -> Job:
        """Queue an asynchronous job; returns once it is stored as submitted."""
        options = dataclasses.replace(options or ExecutionOptions(), mode=Mode.ASYNC, strict=True)
        return self.run(process_id, raw_inputs, options, owner=owner, tenant=tenant).result().job

    def _choose_tier(self, description: ProcessDescription, raw_inputs: Mapping[str, Any],
                     options: ExecutionOptions, owner: str, tenant: str
                     ) -> tuple[TierChoice, dict[str, Any] | None]:
        """The tier of this request (``core.tiers``) and, for a tier other than tier 1, the
        bound inputs with its layer references kept (checked, not read)."""
        backends = {n: b for n, b in self.tiers.items() if n in description.tiers}
        pinned = options.tier
        kept: dict[str, Any] | None = None
        inputs: Mapping[str, Any] = raw_inputs
        names = {n for b in backends.values() for n in b.input_names(description)}
        if (names and self.layers is not None and pinned != SHAPELY
                and all(layer_references(raw_inputs.get(n)) is not None for n in names)):
            kept = self.layers.bind(description, raw_inputs, options, owner=owner,
                                    tenant=tenant, keep=tuple(names))
            check_vertices(kept, self.max_vertices(self.registry.get(description.id)))
            inputs = kept
        choice = choose_tier(description, inputs, pinned, backends)
        return choice, kept if choice.tier != SHAPELY else None

    def _fall_back(self, item: WorkItem, listener: ExecutionListener, reason: str) -> None:
        """A tier could not run ``item`` after all: run it on tier 1, saying so."""
        listener.on_message(item.job_id, MessageLevel.WARNING, fallback_warning(
            item.tier or "postgis", reason))
        tier_one = _TierOne(listener)
        try:
            definition = self.registry.get(item.process_id)
            description = definition.description
            inputs = item.inputs if item.inputs is not None else codec.decode(
                description.inputs, item.inputs_json or b"{}")
            if self.layers is not None:
                inputs = self.layers.resolve_inputs(description, inputs)
            check_vertices(inputs, self.max_vertices(definition))
        except HonuaError as exc:
            tier_one.on_finish(item.job_id, Outcome(OutcomeStatus.FAILED, error=exc.message,
                                                    error_kind=exc.kind))
            return
        moved = dataclasses.replace(item, inputs=inputs, inputs_json=None, tier=SHAPELY)
        self.executor.submit(moved, tier_one, priority=True)

    def _run_now(self, definition: ProcessDefinition, bound: Mapping[str, Any],
                 outputs: tuple[str, ...], options: ExecutionOptions, owner: str,
                 tenant: str, choice: TierChoice = _TIER_ONE,
                 origins: Mapping[str, Any] | None = None) -> Future[RunResult]:
        now = self.clock()
        job = Job(id=new_job_id(), process_id=definition.id, owner=owner, tenant=tenant,
                  options=options, created=now, updated=now, tier=choice.tier)
        finished: Future[Execution] = Future()
        item = WorkItem(job.id, definition.id,
                        run_limits(definition.description.limits, self.settings, sync=True),
                        inputs=bound, outputs=outputs, pinned_tier=options.tier,
                        tier=choice.tier, job=job if choice.tier in self.tiers else None)
        as_text = has_text(bound)
        if as_text:  # decoded, bound and checked in the worker; outputs back as JSON text
            item = dataclasses.replace(
                item, inputs=None, return_json=True, max_vertices=self.max_vertices(definition),
                inputs_json=codec.encode(definition.description.inputs, bound),
                esri=options.esri)
        if choice.tier in self.tiers:
            executor: Executor | None = self.tiers[choice.tier]  # type: ignore[assignment]
        else:
            fast = not as_text and self._fast(definition, bound)
            executor = self.fast_executor if fast else self.executor
        assert executor is not None
        future: Future[RunResult] = Future()

        def done(execution: Future[Execution]) -> None:
            error = execution.exception()
            if error is not None:
                future.set_exception(error)
            else:
                run = execution.result()
                future.set_result(RunResult(Plan.SYNC, run.job, run.outputs, run.messages))

        finished.add_done_callback(done)
        listener = SyncListener(self.recorder, job, finished, inputs=bound,
                                origins=origins)
        if choice.warning:
            listener.on_message(job.id, MessageLevel.WARNING, choice.warning)
        executor.submit(item, listener, priority=True)
        return future

    def _fast(self, definition: ProcessDefinition, bound: Mapping[str, Any]) -> bool:
        """Small runs of trusted built-ins skip the worker round trip (DESIGN: fast path)."""
        limit = self.settings.fast_path_max_features
        if self.fast_executor is None or limit <= 0 or not definition.module.startswith(BUILTINS):
            return False
        if vertex_count(bound) > self.settings.fast_path_max_vertices:
            return False  # one feature can be a million vertices: cost is bounded by vertices
        size = 0
        for value in bound.values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, File):
                    return False
                size += len(item) if isinstance(item, FeatureCollection) else 0
        return size <= limit

    def submit_bound(self, definition: ProcessDefinition, bound: Mapping[str, Any],
                     options: ExecutionOptions, owner: str, tenant: str,
                     origins: Mapping[str, Any] | None = None) -> Job:
        """Queue a job whose inputs are already bound (a workflow's step)."""
        return self._submit_bound(definition, bound, options, owner, tenant, origins=origins)

    def _submit_bound(self, definition: ProcessDefinition, bound: Mapping[str, Any],
                      options: ExecutionOptions, owner: str, tenant: str,
                      choice: TierChoice = _TIER_ONE,
                      origins: Mapping[str, Any] | None = None) -> Job:
        now = self.clock()
        tier = choice.tier
        if tier == SHAPELY and chunked_input(bound) is not None:
            tier = CHUNKED_TIER
        job = Job(id=new_job_id(), process_id=definition.id, owner=owner, tenant=tenant,
                  options=options, created=now, updated=now, tier=tier)
        queue = self.dispatcher.queues[definition.description.resource_class.value]
        parts = codec.encode_parts(definition.description.inputs, bound)
        job = self.recorder.submit(job, codec.join_parts(parts), origins, parts,
                                   queue=queue.name, priority=queue.priority)
        if choice.warning:
            self.recorder.message(job.id, MessageLevel.WARNING, choice.warning)
        self.dispatcher.wake()
        return job

    def _run_stored(self, definition: ProcessDefinition, bound: Mapping[str, Any],
                    outputs: tuple[str, ...], options: ExecutionOptions, owner: str,
                    tenant: str, future: Future[RunResult],
                    choice: TierChoice = _TIER_ONE,
                    origins: Mapping[str, Any] | None = None) -> None:
        """A stored run: queue it, wait up to the synchronous limit, then answer with the job
        (and its outputs, read from the store on first use, when it succeeded)."""
        try:
            job = self._submit_bound(definition, bound, options, owner, tenant, choice, origins)
            done = self.wait(job.id, self.settings.sync_timeout_seconds)
            values = None
            if done.status is JobStatus.SUCCEEDED:
                values = stored_outputs.StoredOutputs(lambda: self.results(job.id), outputs)
            future.set_result(RunResult(Plan.STORED, done, values,
                                        tuple(self.recorder.store.messages(job.id))))
        except Exception as exc:  # the job was dismissed meanwhile, the store failed...
            future.set_exception(exc)

    # -- following --------------------------------------------------------------------------
    def get(self, job_id: str) -> Job:
        return self._job(job_id)

    def wait(self, job_id: str, timeout: float) -> Job:
        """The job once finished, or as it is when ``timeout`` seconds have passed."""
        return self._wait_until(job_id, timeout, lambda job: job.status.finished)

    def wait_for_change(self, job_id: str, since: Job | None, timeout: float) -> Job:
        """The job as soon as its record differs from ``since`` (status, progress, message,
        or any update), or as it is after ``timeout`` seconds; at once when ``since`` is
        None or the job has ended. Woken by the store's change notification in whichever
        front process the change happened (``core.changes``), not by polling: the way for
        sync waits, job-status long-polls and event streams to follow a job."""
        def moved(job: Job) -> bool:
            return since is None or job.status.finished or (
                job.status, job.progress, job.message, job.updated) != (
                since.status, since.progress, since.message, since.updated)
        return self._wait_until(job_id, timeout, moved)

    def _wait_until(self, job_id: str, timeout: float, done: Callable[[Job], bool]) -> Job:
        notifier = self.recorder.notifier
        deadline = time.monotonic() + timeout
        while True:
            seen = notifier.count(job_id)  # before reading: a change after it wakes us
            job = self._job(job_id)
            left = deadline - time.monotonic()
            if done(job) or left <= 0:
                return job
            notifier.wait(job_id, seen, min(left, FALLBACK_SECONDS))

    async def changed(self, job_id: str, timeout: float) -> bool:
        """Until job ``job_id`` may have changed (True) or ``timeout`` seconds pass (False);
        the one place live followers wait, so a cross-process notice can replace it."""
        return await self.recorder.changes.wait(job_id, timeout)

    def messages(self, job_id: str) -> list[Message]:
        self._job(job_id)
        return self.recorder.store.messages(job_id)

    def _job(self, job_id: str) -> Job:
        """The job, if the current viewer may see it; else the unknown-id error, word for word."""
        job = self.recorder.get(job_id)
        if not may_see(job.tenant, job.owner):
            raise no_such_job(job_id)
        return job

    def list(self, *, min_duration: float | None = None, max_duration: float | None = None,
             limit: int = 100, offset: int = 0, **filters: Any) -> tuple[list[Job], int]:
        """Jobs newest first and their total; durations in seconds (finished - started, or
        now - started while running; jobs not started have none and never match them)."""
        store = self.recorder.store
        tenant = tenant_filter()
        if tenant is not None:
            filters["tenant"] = tenant
        if min_duration is None and max_duration is None:
            return store.list(limit=limit, offset=offset, **filters)
        everything, _ = store.list(limit=10**9, **filters)
        now = self.clock()
        matching = [job for job in everything
                    if (seconds := _duration(job, now)) is not None
                    and (min_duration is None or seconds >= min_duration)
                    and (max_duration is None or seconds <= max_duration)]
        return matching[offset:offset + limit], len(matching)

    def inputs(self, job_id: str) -> dict[str, Any]:
        """The validated inputs a queued job was submitted with."""
        job = self._job(job_id)
        definition = self.registry.get(job.process_id)
        try:
            data = self.artifacts.get(inputs_key(job_id))
        except NotFound:
            raise NotFound(f"the inputs of job {job_id} are not kept (synchronous runs keep "
                           "none)") from None
        return codec.decode(definition.description.inputs, data)

    def results(self, job_id: str, skip: Collection[str] = ()) -> dict[str, Any]:
        """Output values of a succeeded job (but those in ``skip``, never read: big outputs
        handed out by signed URL); raises ResultNotReady or JobFailed."""
        job = self._with_results(job_id)
        definition = self.registry.get(job.process_id)
        return codec.decode(definition.description.outputs, self._stored(job_id, skip))

    def keep_results(self, job_id: str, outputs: Mapping[str, Any]) -> Job:
        """Keep a synchronous run's ``outputs`` with its job record, so that its results can
        be fetched like an asynchronous job's (an adapter whose answer cannot carry an output
        whole -- a GPServer feature set over ``maximumRecords`` -- links to them)."""
        job = self._job(job_id)
        definition = self.registry.get(job.process_id)
        return self.recorder.keep_outputs(job_id, codec.encode(definition.description.outputs,
                                                               outputs))

    def results_json(self, job_id: str, skip: Collection[str] = ()) -> bytes:
        """The stored neutral JSON of a succeeded job's outputs (but those in ``skip``)."""
        self._with_results(job_id)
        return self._stored(job_id, skip)

    def result_file(self, job_id: str, name: str) -> Path | None:
        """The file of output ``name`` when a chunked run stored it as one (GeoJSON), to be
        streamed as it is; None for outputs kept as values."""
        self._with_results(job_id)
        return stored_outputs.artifact_path(self.artifacts.get(outputs_key(job_id)), name,
                                            self.artifacts)

    def result_values(self, job_id: str) -> dict[str, stored_outputs.StoredValue | None]:
        """Each output of a succeeded job as its stored JSON in chunks, for adapters that
        send it as it is (never decoded, never whole in memory when it is big); None for
        a file kept as an artifact (``result_file``/``results`` serve those)."""
        self._with_results(job_id)
        return stored_outputs.stored_values(self.artifacts.get(outputs_key(job_id)),
                                            self.artifacts)

    def result_url(self, job_id: str, name: str) -> str | None:
        """A signed, expiring URL of output ``name`` when it is kept as an artifact bigger
        than ``signed_url_threshold_mb`` in a store that signs URLs (S3); None when the
        server serves the output itself (inline values, files on disk, small artifacts)."""
        self._with_results(job_id)
        artifact = stored_outputs.artifact_of(self.artifacts.get(outputs_key(job_id)), name)
        if artifact is None or self.artifacts.size(artifact.key) <= \
                self.settings.signed_url_threshold_bytes:
            return None
        return self.artifacts.signed_url(
            artifact.key, dt.timedelta(seconds=self.settings.signed_url_expiry_seconds))

    def _stored(self, job_id: str, skip: Collection[str] = ()) -> bytes:
        return stored_outputs.materialise(self.artifacts.get(outputs_key(job_id)), self.artifacts,
                                          skip)

    def _with_results(self, job_id: str) -> Job:
        job = self._job(job_id)
        if job.status is JobStatus.SUCCEEDED and job.has_outputs:
            return job
        if job.status is JobStatus.SUCCEEDED:
            raise NotFound(f"job {job.id} ran synchronously; its results were returned "
                           "then and are not kept (run it asynchronously to fetch them later)")
        if not job.status.finished:
            raise ResultNotReady(f"job {job.id} is {job.status.value}; its results are not "
                                 "ready yet (poll the job until it has succeeded)")
        raise job.failure()

    # -- workflows ----------------------------------------------------------------------------
    def workflow(self, document: Any, processes: Any = None) -> ProcessDefinition:
        """The process of an ad-hoc workflow document, checked (against ``processes``, the
        caller's view of the registry; InvalidParameter naming the step otherwise) and kept
        so that its job's results can be read later by any front process."""
        workflow = parse_workflow(document, processes or self.registry,
                                  max_steps=self.settings.workflow_max_steps)
        self.workflows.check_access(workflow, None)
        process_id = f"workflow-{workflow.digest[:32]}"
        definition = workflow.definition(process_id)
        if process_id not in self._adhoc:
            self.artifacts.put(f"workflows/{process_id}.json", orjson.dumps(workflow.document))
            self._remember(process_id, definition)
        return definition

    def _adhoc_workflow(self, process_id: str) -> ProcessDefinition | None:
        """An ad-hoc workflow run earlier (maybe by another front process), by its id."""
        if not process_id.startswith("workflow-") or len(process_id) != 41:
            return None
        found = self._adhoc.get(process_id)
        if found is not None:
            return found
        try:
            document = orjson.loads(self.artifacts.get(f"workflows/{process_id}.json"))
            definition = parse_workflow(document, self.registry).definition(process_id)
        except HonuaError:
            return None
        self._remember(process_id, definition)
        return definition

    def _remember(self, process_id: str, definition: ProcessDefinition) -> None:
        """Keep at most ``ADHOC_KEPT`` parsed ad-hoc workflows (the rest are re-read)."""
        while len(self._adhoc) >= ADHOC_KEPT:
            self._adhoc.pop(next(iter(self._adhoc)))
        self._adhoc[process_id] = definition

    # -- workflows deployed as processes ------------------------------------------------------
    def load_deployed(self) -> None:
        """Deploy the workflows of the ``workflows`` setting and those deployed earlier
        (kept in the artifact store); a bad one is logged and skipped."""
        self.deployed.load(self.settings.workflows)

    def deploy(self, document: Any) -> ProcessDefinition:
        """Make a workflow document a named process on every surface of every front (OGC
        API Part 2); Conflict if the id is taken by another process."""
        return self.deployed.deploy(document)

    def undeploy(self, process_id: str) -> None:
        """Remove a deployed workflow from every front; a built-in or plugin process, or a
        workflow of the config file, cannot be removed."""
        self.deployed.undeploy(process_id)

    # -- provenance ---------------------------------------------------------------------------
    def provenance(self, job_id: str
                   ) -> tuple[ProvenanceRecord, builtins.list[ProvenanceRecord]]:
        """A job's ledger entry and those of the runs that were part of it (a workflow's
        steps), if the current viewer may see the job."""
        job = self._job(job_id)
        record = self.recorder.store.provenance(job.id)
        if record is None:
            raise NotFound(f"job {job_id} has no provenance record")
        return record, self.recorder.store.provenance_children(job.id)

    def ran_on(self, job: Job) -> dict[str, Any] | None:
        """``{host, pid}`` of the process that ran the job (its provenance record: a Celery
        worker's own pid, or the local pool's worker) or, while it runs, of its holder (the
        front or worker that claimed it); None before it started."""
        if job.started is None:
            return None
        worker: Mapping[str, Any] = {}
        if job.status.finished:
            record = self.recorder.store.provenance(job.id)
            worker = record.worker if record is not None else {}
        if not worker:  # running, or just ended (the provenance record follows the end)
            holder = getattr(self.recorder.store, "holder", None)
            held = holder(job.id) if holder is not None else None
            front = next((f for f in self.recorder.store.fronts() if f.id == held), None)
            worker = {"host": front.host, "pid": front.pid} if front is not None else {}
        if "host" not in worker or "pid" not in worker:
            return None
        return {"host": str(worker["host"]), "pid": int(worker["pid"])}

    def layer_provenance(self, collection_id: str) -> ProvenanceRecord | None:
        """The ledger entry of the run that registered layer ``collection_id``, if any."""
        record = self.recorder.store.provenance_of_layer(collection_id)
        return record if record is not None and may_see(record.tenant) else None

    def reproduce(self, job_id: str, *, owner: str = "", tenant: str = "") -> dict[str, Any]:
        """Run the job again with its recorded inputs; see ``core.reproduce``."""
        from honua.core.reproduce import reproduce

        return reproduce(self, job_id, owner=owner, tenant=tenant)

    # -- stopping ---------------------------------------------------------------------------
    def cancel(self, job_id: str) -> Job:
        """Cancel a queued or running job; a finished job is returned unchanged."""
        job = self._job(job_id)
        if job.status.finished:
            return job
        if self.dispatcher.broker is not None:  # the store's flag below does the stopping
            self.dispatcher.broker.revoke(job_id)
        if job.status.queued:
            cancelled = self.recorder.finish(job_id, JobEvent.CANCEL,
                                             "Job cancelled before it started")
            return cancelled or self._job(job_id)
        job = self.recorder.apply(job_id, JobEvent.CANCEL, message="Cancellation requested")
        self._cancel_run(job_id)
        return job

    def _cancel_run(self, job_id: str) -> None:
        """Stop the run wherever it is (a tier's executor, or tier 1 after a fallback)."""
        for tier in self.tiers.values():
            tier.cancel(job_id)  # type: ignore[attr-defined]
        self.executor.cancel(job_id)

    def dismiss(self, job_id: str) -> Job:
        """Cancel if running, then forget the job and its stored inputs and outputs."""
        job = self._job(job_id)
        running = job.status in (JobStatus.RUNNING, JobStatus.CANCELLING)
        dismissed = self.recorder.apply(job_id, JobEvent.DISMISS, message="Job dismissed")
        if running:
            self._cancel_run(job_id)
        self.recorder.forget(job_id)
        return dismissed


def _decoded(definition: ProcessDefinition, bound: Mapping[str, Any],
             max_vertices: int) -> dict[str, Any]:
    """``bound`` with inputs left as ``JSONText`` decoded here (for runs that take values)."""
    if not has_text(bound):
        return dict(bound)
    parameters = {p.name: p for p in definition.description.inputs}
    texts = {n: v for n, v in bound.items() if isinstance(v, JSONText | list)}
    decoded = codec.decode([parameters[n] for n in texts],
                           codec.encode(parameters.values(), texts))
    values = {**bound, **decoded}
    check_vertices(values, max_vertices)
    return values


def _duration(job: Job, now: dt.datetime) -> float | None:
    if job.started is None:
        return None
    return ((job.finished or now) - job.started).total_seconds()
