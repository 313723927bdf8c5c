"""The recorder: the one public way a job's record changes.

State, messages, progress and outputs are written here and nowhere else.
Every state change is a compare-and-set on the stored status, persisted
(with its message, in the same write) before anyone is told; waiters are
woken when a job ends. The job manager, the dispatcher, the executors'
listeners and chunked runs all go through a ``JobRecorder``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from honua.core import codec, provenance, stored_outputs
from honua.core.changes import JobChanges, LocalChanges, Notifier
from honua.core.context import MessageLevel
from honua.core.execution import Outcome, OutcomeStatus
from honua.core.jobs import Job, JobEvent, JobStatus, Message
from honua.core.provenance import ProvenanceRecord
from honua.errors import HonuaError, InvalidTransition, NoSuchJob
from honua.geo import precision

if TYPE_CHECKING:
    from honua.core.references import LayerService
    from honua.core.registry import Registry
    from honua.types import ArtifactStore, JobStore, UsageLedger

__all__ = ["CHUNKED_TIER", "JobRecorder", "inputs_key", "outputs_key"]

log = logging.getLogger(__name__)
PROGRESS_INTERVAL = 0.25
"""Seconds between two progress writes of one job (the last one, 100 %, always goes)."""
CHUNKED_TIER = "shapely-chunked"
"""The tier of a job run chunk by chunk over a layer reference (``core.chunked``)."""


def inputs_key(job_id: str) -> str:
    return f"jobs/{job_id}/inputs.json"


def outputs_key(job_id: str) -> str:
    return f"jobs/{job_id}/outputs.json"


def outputs_prefix(job_id: str) -> str:
    """``outputs.json`` and the ``outputs/`` artifacts beside it."""
    return f"jobs/{job_id}/outputs"


class JobRecorder:
    """Writes job records (see the module docstring)."""

    def __init__(self, store: JobStore, artifacts: ArtifactStore, registry: Registry, *,
                 retention: dt.timedelta, clock: Callable[[], dt.datetime],
                 layers: LayerService | None = None, notifier: Notifier | None = None,
                 usage: UsageLedger | None = None) -> None:
        self.store = store
        self.notifier: Notifier = notifier or LocalChanges()
        """Told of every change, so that waiters in every front wake (``core.changes``)."""
        self.artifacts = artifacts
        self.usage = usage
        """Each tenant's stored bytes: every artifact kept here is counted there."""
        self.externalise_bytes: int | None = None
        """Outputs bigger than this go to artifacts of their own (``stored_outputs.
        externalise``), for signed URLs; None keeps every output in ``outputs.json``."""
        self.registry = registry
        self.retention = retention
        self.clock = clock
        self.layers = layers
        self._last_progress: dict[str, float] = {}
        self.changes = JobChanges()
        """Told after every write here, so live followers (SSE) wake instead of polling."""
        self.listeners: list[Callable[[str, Job], None]] = []
        """Told ``("started" | "finished", job)`` (the callback sender); must not block."""
        self.observers: list[Callable[[Job], None]] = []
        """Called with the job after each persisted change of its status (the job log, the
        metrics); an observer that raises is logged, never the writer's problem."""

    def _observe(self, job: Job) -> None:
        for observer in self.observers:
            try:
                observer(job)
            except Exception:
                log.exception("a job observer failed on job %s", job.id)

    # -- reading --------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job:
        return self.store.get(job_id)

    def status(self, job_id: str) -> JobStatus | None:
        """The stored status, or None once the job is gone (dismissed, expired)."""
        try:
            return self.store.get(job_id).status
        except NoSuchJob:
            return None

    def changed(self, job_id: str) -> None:
        """Tell every front that ``job_id``'s record changed (a notifier never raises), and
        this front's live followers (SSE streams, ``changes``) at once."""
        self.changes.notify(job_id)
        try:
            self.notifier.notify(job_id)
        except Exception:
            log.exception("could not announce a change of job %s", job_id)

    # -- creating -------------------------------------------------------------------------------
    def expiry(self, now: dt.datetime) -> dt.datetime:
        return now + self.retention

    def keep(self, key: str, data: bytes, tenant: str) -> None:
        """Store an artifact of a job of ``tenant``, counted against its stored bytes."""
        self.artifacts.put(key, data)
        self.counted(key, tenant, len(data))

    def keep_outputs_json(self, job_id: str, outputs_json: bytes, tenant: str | None) -> None:
        """Store a job's outputs: big values as artifacts of their own first, then the
        document naming them (so a reader never meets a key that is not there yet).
        Counted against ``tenant``'s stored bytes unless it is None (a synchronous run's
        outputs kept after all, as before)."""
        parts: dict[str, bytes] = {}
        if self.externalise_bytes is not None:
            outputs_json, parts = stored_outputs.externalise(outputs_json, job_id,
                                                             self.externalise_bytes)
        for key, data in [*parts.items(), (outputs_key(job_id), outputs_json)]:
            if tenant is None:
                self.artifacts.put(key, data)
            else:
                self.keep(key, data, tenant)

    def _copy_outputs(self, source: str, target: str, tenant: str) -> None:
        """Job ``target``'s outputs as a copy of ``source``'s, big ones included: each
        artifact is copied (streamed through a temporary file), never shared, so the copy
        outlives ``source``'s expiry."""
        data = self.artifacts.get(outputs_key(source))
        document = orjson.loads(data) if stored_outputs.ARTIFACT.encode() in data else {}
        copied = False
        for value in document.values():
            key = value.get(stored_outputs.ARTIFACT) if isinstance(value, dict) else None
            if not isinstance(key, str) or not key.startswith(f"jobs/{source}/"):
                continue
            new_key = f"jobs/{target}/" + key[len(f"jobs/{source}/"):]
            with tempfile.NamedTemporaryFile(prefix="honua-copy-", delete=False) as staged:
                for chunk in self.artifacts.iter_bytes(key):
                    staged.write(chunk)
            try:
                self.counted(new_key, tenant, os.path.getsize(staged.name))
                self.artifacts.put_file(new_key, Path(staged.name))
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(staged.name)
            value[stored_outputs.ARTIFACT] = new_key
            copied = True
        self.keep(outputs_key(target), orjson.dumps(document) if copied else data, tenant)

    def counted(self, key: str, tenant: str, size: int) -> None:
        """Count an artifact already stored (a chunked run moves its files in itself)."""
        if self.usage is not None:
            self.usage.add(key, tenant, size)

    def _uncount(self, prefix: str) -> None:
        if self.usage is not None:
            self.usage.remove_prefix(prefix)

    def submit(self, job: Job, inputs_json: bytes,
               origins: Mapping[str, Any] | None = None,
               parts: Mapping[str, bytes] | None = None, *, queue: str = "",
               priority: int = 0) -> Job:
        """Store a new queued job in ``queue``; its inputs are written first, so a queued
        job always has them. Its provenance record starts here, with the inputs and their
        origins."""
        self.keep(inputs_key(job.id), inputs_json, job.tenant)
        job = job.apply(JobEvent.SUBMIT, self.clock())
        self.store.create(job, queue=queue, priority=priority)
        self.changed(job.id)
        try:
            entries, spilled = provenance.input_entries(
                parts if parts is not None else provenance.parts_of(inputs_json), origins)
            self.store.put_provenance(self._record(
                job, entries, inputs_artifact=inputs_key(job.id) if spilled else ""))
        except Exception:
            log.exception("could not start the provenance record of job %s", job.id)
        self._observe(job)
        return job

    def start_direct(self, job: Job, parts: Mapping[str, bytes],
                     origins: Mapping[str, Any] | None = None, *, holder: str) -> Job:
        """Store a new job already running in this process (a workflow, run by the engine
        rather than handed to an executor): its inputs, its record, its provenance. ``holder``
        is this front process, which runs it (a running job without one is an orphan)."""
        self.keep(inputs_key(job.id), codec.join_parts(parts), job.tenant)
        now = self.clock()
        job = job.apply(JobEvent.SUBMIT, now).apply(JobEvent.START, now)
        self.store.create(job, holder=holder)
        entries, spilled = provenance.input_entries(parts, origins)
        self.store.put_provenance(self._record(
            job, entries, inputs_artifact=inputs_key(job.id) if spilled else ""))
        return job

    def record_reuse(self, definition: Any, options: Any, hit: ProvenanceRecord, *,
                     owner: str, tenant: str, parts: Mapping[str, bytes] | None) -> Job:
        """A run answered from the partial-result cache: a succeeded job whose outputs are
        a copy of ``hit``'s, its ledger entry saying which job it reused. Its inputs are
        ``parts`` (the codec's bytes) or, when the hit was found without decoding them
        (``None``), ``hit``'s own, equal by hash: its kept copy and its ledger entries."""
        from honua.core.jobs import new_job_id

        now = self.clock()
        job = Job(id=new_job_id(), process_id=definition.id, owner=owner, tenant=tenant,
                  options=options, created=now, updated=now, tier="cache")
        text = f"Reused the outputs of job {hit.job_id} (same process, version and inputs)"
        job = (job.apply(JobEvent.SUBMIT, now).apply(JobEvent.START, now)
               .apply(JobEvent.SUCCEED, now, message=text, expires=self.expiry(now),
                      has_outputs=True))
        if parts is not None:
            self.keep(inputs_key(job.id), codec.join_parts(parts), job.tenant)
            entries, spilled = provenance.input_entries(parts)
        else:
            self.keep(inputs_key(job.id), self.artifacts.get(inputs_key(hit.job_id)), job.tenant)
            entries = {name: {k: v for k, v in entry.items() if k != "origin"}
                       for name, entry in hit.inputs.items()}
            spilled = bool(hit.inputs_artifact)
        self._copy_outputs(hit.job_id, job.id, job.tenant)
        self.store.create(job, [Message(now, MessageLevel.INFO, text)])
        self.store.put_provenance(self._record(
            job, entries, outputs=dict(hit.outputs), reused_from=hit.job_id,
            worker=provenance.worker_here(os.getpid(), "cache"),
            inputs_artifact=inputs_key(job.id) if spilled else ""))
        return job

    # -- provenance -----------------------------------------------------------------------------
    def _record(self, job: Job, inputs: Mapping[str, Any], **changes: Any) -> ProvenanceRecord:
        try:
            version = self.registry.get(job.process_id).description.version
        except HonuaError:
            version = ""
        succeeded = job.status is JobStatus.SUCCEEDED
        layers = tuple(r.collection_id for r in job.options.registrations.values()) \
            if succeeded else ()
        fields: dict[str, Any] = {
            "job_id": job.id, "process_id": job.process_id, "process_version": version,
            "owner": job.owner, "tenant": job.tenant, "parent": job.options.parent,
            "status": job.status.value, "tier": job.tier, "created": job.created,
            "started": job.started, "finished": job.finished, "inputs": dict(inputs),
            "outputs_asked": tuple(sorted(job.options.outputs)),
            "software": provenance.software_versions(), "layers": layers}
        fields.update(changes)
        return ProvenanceRecord(**fields)

    def record_sync_provenance(self, job: Job, inputs: Mapping[str, Any],
                               origins: Mapping[str, Any] | None, outcome: Outcome) -> None:
        """The ledger entry of a synchronous run, from its bound inputs and output values."""
        try:
            description = self.registry.get(job.process_id).description
            parts = codec.encode_parts(description.inputs, inputs)
            entries, spilled = provenance.input_entries(parts, origins)
            artifact = ""
            if spilled:
                artifact = provenance.inputs_artifact_key(job.id)
                self.keep(artifact, codec.join_parts(parts), job.tenant)
            outputs: dict[str, Any] = {}
            if job.status is JobStatus.SUCCEEDED:
                outputs = dict(outcome.output_hashes) or provenance.output_hashes(
                    codec.encode_parts(description.outputs, outcome.outputs, precision.DEFAULT))
            self.store.put_provenance(self._record(job, entries, outputs=outputs,
                                                   worker=dict(outcome.worker),
                                                   inputs_artifact=artifact))
        except Exception:
            log.exception("could not record the provenance of job %s", job.id)

    def record_end_provenance(self, job_id: str, outcome: Outcome, *,
                              reused_from: str = "") -> None:
        """Complete a queued job's ledger entry with how it ended and what it made."""
        try:
            job = self.store.get(job_id)
            pending = self.store.provenance(job_id)
            outputs: dict[str, Any] = {}
            if job.status is JobStatus.SUCCEEDED:
                outputs = dict(outcome.output_hashes) or provenance.output_hashes(  # the values,
                    provenance.parts_of(outcome.outputs_json  # not big ones' artifact keys
                                        or self.artifacts.get(outputs_key(job_id))))
            worker = dict(outcome.worker) or provenance.worker_here(os.getpid(), job.tier)
            record = self._record(job, pending.inputs if pending else {}, outputs=outputs,
                                  worker=worker, reused_from=reused_from,
                                  inputs_artifact=pending.inputs_artifact if pending else "")
            self.store.put_provenance(record)
        except NoSuchJob:
            return
        except Exception:
            log.exception("could not record the provenance of job %s", job_id)

    def record_run(self, job: Job, messages: Sequence[Message]) -> None:
        """A synchronous run that has ended, recorded in one write."""
        try:
            self.store.create(job, messages)
        except Exception:
            log.exception("could not record synchronous job %s", job.id)
            return
        self.changed(job.id)
        self.tell("finished", job)
        self._observe(job)

    def keep_outputs(self, job_id: str, outputs_json: bytes) -> Job:
        """Keep the outputs of a succeeded synchronous run after all, so they can be fetched
        from the job's results (an answer that could not carry them whole links there)."""
        self.keep_outputs_json(job_id, outputs_json, None)
        for _ in range(100):  # a run's record may still be on its way to the store
            try:
                job = self.store.get(job_id)
            except NoSuchJob:
                time.sleep(0.01)
                continue
            if job.has_outputs:
                return job
            kept = job.evolve(has_outputs=True)
            if self.store.update(kept, expected=JobStatus.SUCCEEDED):
                self.changed(job_id)
                return kept
            break
        self.artifacts.delete_prefix(outputs_prefix(job_id))
        raise NoSuchJob(f"job {job_id} is not a succeeded run whose outputs can be kept")

    def tell(self, event: str, job: Job | str) -> None:
        """Tell the listeners of a job's start or end (a listener's failure is logged)."""
        if not self.listeners:
            return
        try:
            record = self.store.get(job) if isinstance(job, str) else job
        except NoSuchJob:
            return
        for listener in self.listeners:
            try:
                listener(event, record)
            except Exception:
                log.exception("job listener failed for job %s", record.id)

    def claimed(self, job: Job) -> None:
        """A queued job this front claimed (now running): tell the observers (metrics)."""
        self.changed(job.id)
        self._observe(job)

    # -- changing -------------------------------------------------------------------------------
    def apply(self, job_id: str, event: JobEvent, *, note: Message | None = None,
              **changes: Any) -> Job:
        """Apply ``event`` with compare-and-set, retrying if another writer got there first;
        ``note`` is recorded in the same write, so a reader sees both or neither."""
        for _ in range(20):
            job = self.store.get(job_id)
            updated = job.apply(event, self.clock(), **changes)
            if self.store.update(updated, expected=job.status, messages=(note,) if note else ()):
                self.changed(job_id)
                if updated.status is not job.status:
                    self._observe(updated)
                return updated
        raise InvalidTransition(f"job {job_id} changed too often to {event.value}")

    def finish(self, job_id: str, event: JobEvent, message: str, *,
               level: MessageLevel = MessageLevel.INFO, **changes: Any) -> Job | None:
        """End a job with ``message``; None when it was dismissed or ended meanwhile."""
        now = self.clock()
        try:
            job = self.apply(job_id, event, message=message, expires=self.expiry(now),
                             note=Message(now, level, message), **changes)
        except (NoSuchJob, InvalidTransition):
            return None
        self._last_progress.pop(job_id, None)
        self.tell("finished", job)
        return job

    def requeue(self, job_id: str, text: str) -> Job:
        """Back to the queue (the run was interrupted, not the job's fault), saying why."""
        return self.apply(job_id, JobEvent.REQUEUE, message=text,
                          note=Message(self.clock(), MessageLevel.WARNING, text))

    def message(self, job_id: str, level: MessageLevel, text: str) -> None:
        self.store.add_messages(job_id, [Message(self.clock(), level, text)])
        self.changed(job_id)

    def progress(self, job_id: str, percent: float, message: str | None) -> None:
        """Record progress, at most every ``PROGRESS_INTERVAL`` seconds per job."""
        now = time.monotonic()
        if percent < 100 and now - self._last_progress.get(job_id, 0.0) < PROGRESS_INTERVAL:
            return
        self._last_progress[job_id] = now
        self.store.set_progress(job_id, int(percent), message, self.clock())
        self.changed(job_id)

    def forget(self, job_id: str) -> None:
        """Remove the job and everything stored for it."""
        self.artifacts.delete_prefix(f"jobs/{job_id}/")
        self._uncount(f"jobs/{job_id}/")
        self.store.delete(job_id)
        self.changed(job_id)

    # -- ending -------------------------------------------------------------------------------
    def register_outputs(self, job: Job, outcome: Outcome) -> Outcome:
        """Keep the outputs asked for (registered as layers); a refusal fails the job."""
        if (self.layers is None or not job.options.registrations
                or outcome.status is not OutcomeStatus.SUCCEEDED
                or job.tier == CHUNKED_TIER):  # a chunked run registers as it goes
            return outcome
        description = self.registry.get(job.process_id).description
        try:
            outputs: Mapping[str, Any] = outcome.outputs or codec.decode(
                description.outputs, outcome.outputs_json or b"{}")
            self.layers.register_outputs(description, job.options, outputs, owner=job.owner,
                                         tenant=job.tenant, now=self.clock(), job_id=job.id)
        except HonuaError as exc:
            return Outcome(OutcomeStatus.FAILED, error_kind=exc.kind, duration=outcome.duration,
                           error=f"the result could not be kept as a layer: {exc.message}")
        except Exception:  # a listener must never raise
            log.exception("could not register the outputs of job %s", job.id)
            return Outcome(OutcomeStatus.FAILED, duration=outcome.duration,
                           error="the result could not be kept as a layer (see the server log)")
        return outcome

    def complete(self, job_id: str, outcome: Outcome) -> None:
        """A queued job's run ended: store its outputs, then its final state, then its
        provenance."""
        try:
            outcome = self.register_outputs(self.store.get(job_id), outcome)
        except NoSuchJob:
            return  # dismissed while it ran
        self._complete(job_id, outcome)
        self.record_end_provenance(job_id, outcome)

    def _complete(self, job_id: str, outcome: Outcome) -> None:
        if outcome.status is OutcomeStatus.SUCCEEDED:
            self._succeed(job_id, outcome)
            return
        if outcome.status is OutcomeStatus.CANCELLED and outcome.error_kind == "unavailable":
            self._requeue_after_shutdown(job_id)
            return
        event = {OutcomeStatus.FAILED: JobEvent.FAIL, OutcomeStatus.TIMED_OUT: JobEvent.TIME_OUT,
                 OutcomeStatus.CANCELLED: JobEvent.STOPPED}[outcome.status]
        level = MessageLevel.INFO if event is JobEvent.STOPPED else MessageLevel.ERROR
        text = outcome.error or ("Job cancelled" if event is JobEvent.STOPPED else "Job failed")
        current = self.status(job_id)
        if current is None:
            return
        if current is JobStatus.CANCELLING:
            event, text, level = JobEvent.STOPPED, "Job cancelled", MessageLevel.INFO
        tier: dict[str, Any] = {"tier": outcome.tier} if outcome.tier else {}
        self.finish(job_id, event, text, level=level, error_kind=outcome.error_kind, **tier)

    def _succeed(self, job_id: str, outcome: Outcome) -> None:
        try:
            job = self.store.get(job_id)
        except NoSuchJob:
            return  # dismissed while it ran
        if job.status is JobStatus.RUNNING:
            self.keep_outputs_json(job_id, outcome.outputs_json or b"{}", job.tenant)
        tier: dict[str, Any] = {"tier": outcome.tier} if outcome.tier else {}
        done = self.finish(job_id, JobEvent.SUCCEED, f"Succeeded in {outcome.duration:.2f} s",
                           has_outputs=True, **tier)
        if done is not None and done.status is not JobStatus.SUCCEEDED:  # cancelled meanwhile
            self.artifacts.delete_prefix(outputs_prefix(job_id))
            self._uncount(outputs_prefix(job_id))
            self.store.update(done.evolve(has_outputs=False, message="Job cancelled"),
                              expected=done.status)
            self.changed(job_id)

    def _requeue_after_shutdown(self, job_id: str) -> None:
        """The executor stopped under a running job (server shutdown): not the job's fault,
        so it goes back to the queue and runs again when the server is back."""
        status = self.status(job_id)
        if status is JobStatus.CANCELLING:
            self.finish(job_id, JobEvent.STOPPED, "Job cancelled")
        elif status is JobStatus.RUNNING:
            self.requeue(job_id, "The server stopped while this job was running; it was queued "
                         "again")
