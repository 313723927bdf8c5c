"""The workflow engine: a workflow (``core.workflow_document``) run as one job.

A workflow is a process like any other to the adapters; the job manager hands
its runs here instead of to an executor. One job stands for the whole workflow;
each step runs as a job of its own on the worker pool (its ``parent`` is the
workflow's job, so the provenance ledger links them), as soon as the steps it
needs have succeeded, so independent steps run in parallel. The workflow's job
says what happens, step by step, in its messages and progress (each message
names its step). A step that fails fails the workflow with the step's name and
error, and the steps still running are cancelled; cancelling the workflow
cancels its steps.

Step outputs travel as the neutral JSON every stored job keeps, into the next
step's inputs, which are validated as any request's are. Before a step runs,
the partial-result cache is asked (``reuse``): a succeeded run of the same
process and version, by the same tenant, with the same input hashes and whose
outputs are still kept, is reused instead of run (the step's job says so and the
ledger records ``reusedFrom``).

Which processes a caller may use is checked for every step when the run starts
(``may_use``: the caller's view of the access rules), so a workflow cannot reach
a process its caller could not run directly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

import orjson

from honua.core import codec, provenance, stored_outputs
from honua.core.cache_keys import CacheKeyMemo, raw_hash
from honua.core.context import MessageLevel
from honua.core.description import ProcessDefinition
from honua.core.execution import Outcome, OutcomeStatus
from honua.core.jobs import Job, JobStatus, new_job_id
from honua.core.json_text import JSONText, as_fragment, members
from honua.core.planning import Plan, RunResult, plan_run
from honua.core.recorder import inputs_key, outputs_key
from honua.core.requests import ExecutionOptions, Mode
from honua.core.tenancy import current_viewer
from honua.core.workflow_document import InputRef, StepRef, Workflow, WorkflowStep
from honua.errors import HonuaError, JobFailed, NoSuchProcess

if TYPE_CHECKING:
    from honua.core.manager import JobManager

__all__ = ["StepFailed", "WorkflowEngine", "WORKFLOW_TIER"]

log = logging.getLogger(__name__)
WORKFLOW_TIER = "workflow"
POLL_SECONDS = 0.1


class StepFailed(HonuaError):
    """A step of a workflow did not succeed; the message names the step."""

    def __init__(self, step: str, process: str, text: str, kind: str = "") -> None:
        super().__init__(f"step {step!r} ({process}) failed: {text}")
        self.step = step
        self.kind = kind or "internal"


class _Children(dict[str, str]):
    """The job id of each step started, and whether the workflow has stopped: a step whose
    job starts just after the others were cancelled must cancel its own (a lock orders the
    two, so none is missed)."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.stopped = False

    def started(self, step: str, job_id: str) -> bool:
        """Record ``step``'s job; False when the workflow has stopped meanwhile."""
        with self.lock:
            self[step] = job_id
            return not self.stopped

    def stop(self) -> list[tuple[str, str]]:
        """Mark the workflow stopped; the steps started so far."""
        with self.lock:
            self.stopped = True
            return list(self.items())


class WorkflowEngine:
    """Runs workflows for the job manager (see the module docstring)."""

    def __init__(self, manager: JobManager, *, reuse: bool = True,
                 no_reuse: tuple[str, ...] = (), max_parallel: int = 8) -> None:
        self.manager = manager
        self.reuse = reuse
        """The server's default for the partial-result cache (a request may say otherwise)."""
        self.no_reuse = frozenset(no_reuse)
        """Processes whose results are never reused (e.g. ones that read the clock)."""
        self.max_parallel = max_parallel
        self._keys = CacheKeyMemo()
        self._threads = ThreadPoolExecutor(max_workers=64, thread_name_prefix="honua-workflow")

    def stop(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    # -- starting ---------------------------------------------------------------------------------
    def check_access(self, workflow: Workflow, may_use: Callable[[str], bool] | None) -> None:
        """Every step's process must be one the caller may run (an unknown id otherwise,
        as the process itself would answer)."""
        if may_use is None:
            viewer = current_viewer()
            may_use = viewer.may_use if viewer is not None else None
        for step in workflow.steps.values():
            if may_use is not None and not may_use(step.process):
                raise NoSuchProcess(f"step {step.name!r}: there is no process "
                                    f"{step.process!r}; GET the process list for the ones "
                                    "available")
            inner = self.manager.registry.get(step.process).workflow
            if inner is not None:
                self.check_access(inner, may_use)

    def run(self, definition: ProcessDefinition, bound: Mapping[str, Any],
            options: ExecutionOptions, *, owner: str, tenant: str,
            origins: Mapping[str, Any] | None = None) -> Future[RunResult]:
        """Start the workflow as a job (already validated by the manager); answered as
        ``core.planning`` says, a synchronous request as a stored job waited for."""
        workflow: Workflow = definition.workflow
        self.check_access(workflow, None)
        plan = plan_run(definition.description, options)
        now = self.manager.clock()
        job = Job(id=new_job_id(), process_id=definition.id, owner=owner, tenant=tenant,
                  options=options, created=now, updated=now, tier=WORKFLOW_TIER)
        parts = codec.encode_parts(definition.description.inputs, bound)
        job = self.manager.recorder.start_direct(job, parts, origins,
                                                 holder=self.manager.dispatcher.front.id)
        self._threads.submit(self._execute, job, workflow, _step_inputs(parts))
        future: Future[RunResult] = Future()
        if plan is Plan.ASYNC:
            future.set_result(RunResult(Plan.ASYNC, job))
            return future

        def answer() -> None:
            try:
                done = self.manager.wait(job.id, self.manager.settings.sync_timeout_seconds)
                values = None
                if done.status is JobStatus.SUCCEEDED:
                    values = stored_outputs.StoredOutputs(
                        lambda: self.manager.results(job.id),
                        tuple(p.name for p in definition.description.outputs))
                future.set_result(RunResult(Plan.STORED, done, values,
                                            tuple(self.manager.store.messages(job.id))))
            except Exception as exc:
                future.set_exception(exc)

        self._threads.submit(answer)
        return future

    def resume(self, job: Job) -> None:
        """Run a workflow job again from its stored inputs (after a restart); the steps that
        had succeeded are reused from the cache."""
        definition = self.manager.registry.get(job.process_id)
        parts = members(self.manager.artifacts.get(inputs_key(job.id)), "a workflow's inputs")
        self._threads.submit(self._execute, job, definition.workflow, _step_inputs(parts))

    # -- running ----------------------------------------------------------------------------------
    def _execute(self, job: Job, workflow: Workflow, inputs: Mapping[str, Any]) -> None:
        recorder = self.manager.recorder
        began = time.monotonic()
        results: dict[str, dict[str, Any]] = {}
        children = _Children()
        running: dict[Future[dict[str, Any]], str] = {}
        total = len(workflow.steps)
        outcome: Outcome | None = None
        steps = ThreadPoolExecutor(max_workers=min(self.max_parallel, total),
                                   thread_name_prefix="honua-step")
        reuse = self.reuse if job.options.reuse is None else job.options.reuse
        try:
            recorder.message(job.id, MessageLevel.INFO,
                             f"Workflow {workflow.id!r} started: {total} steps")
            pending = list(workflow.order)
            while pending or running:
                for name in [n for n in pending
                             if workflow.steps[n].needs <= results.keys()]:
                    pending.remove(name)
                    running[steps.submit(self._step, job, workflow.steps[name], inputs,
                                         results, children, reuse)] = name
                done, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                for finished in done:
                    name = running.pop(finished)
                    results[name] = finished.result()  # a StepFailed ends the loop
                    recorder.progress(job.id, 100.0 * len(results) / total,
                                      f"step {name!r}: done ({len(results)} of {total})")
                status = recorder.status(job.id)
                if status is not JobStatus.RUNNING:
                    self._cancel(children, results)
                    outcome = Outcome(OutcomeStatus.CANCELLED, error="Job cancelled",
                                      duration=time.monotonic() - began)
                    break
            if outcome is None:
                values = {name: results[ref.step][ref.output]  # an optional output a
                          for name, ref in workflow.outputs.items()  # step left out: none
                          if ref.output in results[ref.step]}
                outcome = Outcome(OutcomeStatus.SUCCEEDED,
                                  outputs_json=orjson.dumps(
                                      values, default=as_fragment,
                                      option=orjson.OPT_PASSTHROUGH_DATACLASS),
                                  duration=time.monotonic() - began,
                                  worker=provenance.worker_here(os.getpid(), WORKFLOW_TIER))
        except StepFailed as failed:
            recorder.message(job.id, MessageLevel.ERROR, str(failed))
            self._cancel(children, results)
            outcome = Outcome(OutcomeStatus.FAILED, error=str(failed), error_kind=failed.kind,
                              duration=time.monotonic() - began)
        except Exception as exc:
            log.exception("workflow job %s failed", job.id)
            self._cancel(children, results)
            outcome = Outcome(OutcomeStatus.FAILED, duration=time.monotonic() - began,
                              error=f"the workflow could not run: {type(exc).__name__}: {exc}")
        finally:
            steps.shutdown(wait=False, cancel_futures=True)
        recorder.complete(job.id, outcome)

    def _cancel(self, children: _Children, results: Mapping[str, Any]) -> None:
        for name, child in children.stop():
            if name in results:
                continue
            try:
                self.manager.cancel(child)
                self.manager.recorder.message(child, MessageLevel.WARNING,
                                              "Cancelled: another step of its workflow failed "
                                              "or the workflow was cancelled")
            except HonuaError:
                pass

    def _step(self, job: Job, step: WorkflowStep, inputs: Mapping[str, Any],
              results: Mapping[str, Mapping[str, Any]], children: _Children,
              reuse: bool) -> dict[str, Any]:
        manager, recorder = self.manager, self.manager.recorder
        raw = {name: _substitute(value, inputs, results) for name, value in step.inputs.items()}
        options = ExecutionOptions(mode=Mode.ASYNC, keep=True, parent=job.id)
        reuse = reuse and step.process not in self.no_reuse
        remembered = raw_hash(raw) if reuse else None
        if remembered is not None:  # a hit found again without binding the inputs
            reused = self._reuse_remembered(job, step, options, remembered, children)
            if reused is not None:
                return reused
        try:
            definition, bound, _ = manager.prepare(step.process, raw, options, owner=job.owner,
                                                   tenant=job.tenant)
        except HonuaError as exc:
            raise StepFailed(step.name, step.process, exc.message, exc.kind) from None
        if reuse and definition.workflow is None:
            parts = codec.encode_parts(definition.description.inputs, bound)
            key = _cache_key(definition, parts)
            if remembered is not None:
                self._keys.remember(definition, remembered, key)
            hit = self._reusable(key, job.tenant)
            if hit is not None:
                return self._reuse(job, step, definition, options, hit, children, parts)
        if definition.workflow is not None:
            child = manager.run(step.process, raw, options, owner=job.owner,
                                tenant=job.tenant).result().job
        else:
            child = manager.submit_bound(definition, bound, options, job.owner, job.tenant,
                                         provenance.origins_of(raw))
        if not children.started(step.name, child.id):  # the others were cancelled meanwhile
            with contextlib.suppress(HonuaError):
                manager.cancel(child.id)
            raise StepFailed(step.name, step.process, "the workflow stopped", "cancelled")
        recorder.message(job.id, MessageLevel.INFO,
                         f"step {step.name!r}: started {step.process} as job {child.id}")
        timeout = manager.settings.job_timeout_seconds
        done = manager.wait(child.id, timeout)
        while not done.status.finished and recorder.status(job.id) is JobStatus.RUNNING:
            done = manager.wait(child.id, timeout)
        if done.status is not JobStatus.SUCCEEDED:
            raise StepFailed(step.name, step.process, done.message or done.status.value,
                             done.error_kind)
        recorder.message(job.id, MessageLevel.INFO,
                         f"step {step.name!r}: succeeded ({step.process}, job {child.id})")
        try:
            return self._outputs_of(child.id)
        except (HonuaError, JobFailed) as exc:
            raise StepFailed(step.name, step.process, exc.message) from None

    def _reuse_remembered(self, job: Job, step: WorkflowStep, options: ExecutionOptions,
                          remembered: str, children: _Children) -> dict[str, Any] | None:
        """The step answered from the cache by the key remembered for its raw inputs; None
        when there is none (or it is gone): the caller binds the inputs and looks again."""
        try:
            definition = self.manager.definition_to_run(step.process)
        except HonuaError:
            return None  # binding reports it, as for any step
        key = self._keys.get(definition, remembered) if definition.workflow is None else None
        hit = self._reusable(key, job.tenant, inputs_kept=True) if key is not None else None
        if hit is None:
            return None
        return self._reuse(job, step, definition, options, hit, children, None)

    def _reuse(self, job: Job, step: WorkflowStep, definition: ProcessDefinition,
               options: ExecutionOptions, hit: provenance.ProvenanceRecord,
               children: _Children, parts: Mapping[str, bytes] | None) -> dict[str, Any]:
        recorder = self.manager.recorder
        child = recorder.record_reuse(definition, options, hit, owner=job.owner,
                                      tenant=job.tenant, parts=parts)
        children.started(step.name, child.id)  # already succeeded: nothing to stop
        recorder.message(job.id, MessageLevel.INFO,
                         f"step {step.name!r}: reused the outputs of job {hit.job_id} "
                         f"({step.process}), as job {child.id}")
        return self._outputs_of(child.id)

    def _outputs_of(self, job_id: str) -> dict[str, Any]:
        """A step's outputs as the later steps get them: each one's stored JSON, not
        decoded (``JSONText``). A later step's job decodes it in its worker, its cache key
        hashes the text as it is, and the workflow's outputs are written out as they are:
        the front never builds a step's features as Python objects."""
        values = self.manager.result_values(job_id)
        if any(value is None for value in values.values()):  # a file: only as a value
            return dict(orjson.loads(self.manager.results_json(job_id)))
        return {name: JSONText(b"".join(value.chunks()))
                for name, value in values.items() if value is not None}

    def _reusable(self, key: str, tenant: str, *, inputs_kept: bool = False
                  ) -> provenance.ProvenanceRecord | None:
        """A succeeded run with cache key ``key`` whose outputs (and, if asked, inputs) are
        still kept."""
        artifacts = self.manager.artifacts
        for record in self.manager.store.reusable(tenant, key):
            if artifacts.exists(outputs_key(record.job_id)) and (
                    not inputs_kept or artifacts.exists(inputs_key(record.job_id))):
                return record
        return None


def _cache_key(definition: ProcessDefinition, parts: Mapping[str, bytes]) -> str:
    """The partial-result cache key of a run of ``definition`` on these encoded inputs."""
    entries, _ = provenance.input_entries(parts, inline_limit=0)
    return provenance.cache_key(definition.id, definition.description.version, entries)


TEXT_BYTES = 64 * 1024
"""A workflow input bigger than this reaches its steps as the text it was kept as."""


def _step_inputs(parts: Mapping[str, bytes]) -> dict[str, Any]:
    """The workflow's inputs as its steps get them, from their kept neutral JSON (already
    checked when the workflow was accepted): big ones as ``JSONText``, decoded only in the
    steps' workers, hashed as they are for the cache; small ones as values."""
    return {name: JSONText(part) if len(part) > TEXT_BYTES else orjson.loads(part)
            for name, part in parts.items()}


def _substitute(value: Any, inputs: Mapping[str, Any],
                results: Mapping[str, Mapping[str, Any]]) -> Any:
    if isinstance(value, InputRef):
        return inputs.get(value.name)
    if isinstance(value, StepRef):
        return results[value.step][value.output]
    if isinstance(value, list):
        return [_substitute(item, inputs, results) for item in value]
    return value

