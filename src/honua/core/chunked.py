"""Running a feature-wise process over a layer reference, chunk by chunk, in bounded memory.

When a process declared ``feature_wise`` gets a ``LayerReference`` for its
first feature input (and no ``whole_layer_when`` input asks it to combine
features), the dispatcher does not read the layer into one collection.
A ``ChunkedRun`` instead, in a thread of the front process:

1. streams the referenced features from the catalog in chunks of
   ``settings.chunk_features`` (filter pushed down into the store);
2. hands each chunk to the executor as an ordinary work item (so it runs in
   an isolated worker, under the job's limits; the worker needs no access to
   the data folder), at most ``IN_FLIGHT`` chunks at a time;
3. appends each chunk's feature outputs to a GeoJSON file artifact
   (``jobs/<id>/outputs/<name>.geojson``) and, when asked, to the registered
   layer; other outputs keep the last chunk's value;
4. reports progress as the share of features done, and stops at the next
   chunk when the job is cancelled or runs out of time.

The job's stored outputs then name the artifact (``{"$artifact": key}``),
which ``core.stored_outputs`` reads back.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from honua.core import codec
from honua.core.context import MessageLevel
from honua.core.execution import Outcome, OutcomeStatus, RunLimits, WorkItem
from honua.core.parameters import DataType
from honua.core.references import LayerReference
from honua.core.stored_outputs import ARTIFACT
from honua.errors import HonuaError
from honua.geo import precision
from honua.geo.features import FeatureCollection
from honua.geo.geojson import crs_member, feature_dicts

if TYPE_CHECKING:
    from honua.core.description import ProcessDefinition
    from honua.core.jobs import Job
    from honua.core.recorder import JobRecorder
    from honua.core.references import LayerService
    from honua.types import Executor

__all__ = ["ChunkedRun", "chunked_input", "start"]

IN_FLIGHT = 2
"""Chunks of one job computing at once (the next runs while one's outputs are written)."""
GEOJSON = "application/geo+json"
log = logging.getLogger(__name__)


def chunked_input(bound: Mapping[str, Any]) -> str | None:
    """The input that ``LayerService.bind`` kept as a reference for a chunked run."""
    return next((name for name, value in bound.items() if isinstance(value, LayerReference)), None)


class GeoJSONWriter:
    """Appends feature collections to one GeoJSON FeatureCollection file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._file = path.open("wb")
        self._started = False

    def append(self, features: FeatureCollection) -> None:
        if not self._started:
            header = b'{"type":"FeatureCollection",'
            member = crs_member(features.crs)
            if member is not None:
                header += b'"crs":' + orjson.dumps(member) + b","
            self._file.write(header + b'"features":[')
            self._started = True
        for feature in feature_dicts(features, precision.DEFAULT):
            if self.count:
                self._file.write(b",")
            self._file.write(orjson.dumps(feature, option=orjson.OPT_SERIALIZE_NUMPY))
            self.count += 1

    def close(self) -> None:
        if not self._started:
            self._file.write(b'{"type":"FeatureCollection","features":[')
        self._file.write(b"]}")
        self._file.close()


class _ItemListener:
    """Waits for one chunk's work item; forwards its messages to the job."""

    def __init__(self, on_message: Callable[[MessageLevel, str], None]) -> None:
        self.future: Future[Outcome] = Future()
        self._on_message = on_message

    def on_start(self, job_id: str) -> None:
        pass

    def on_progress(self, job_id: str, percent: float, message: str | None) -> None:
        pass

    def on_message(self, job_id: str, level: MessageLevel, text: str) -> None:
        self._on_message(level, text)

    def on_finish(self, job_id: str, outcome: Outcome) -> None:
        self.future.set_result(outcome)


class ChunkedRun:
    """One chunked job, run by ``run()`` in its own thread (see the module docstring)."""

    def __init__(self, recorder: JobRecorder, executor: Executor, layers: LayerService,
                 staging: Path, job: Job, definition: ProcessDefinition, inputs_json: bytes,
                 outputs: tuple[str, ...], limits: RunLimits) -> None:
        self.recorder = recorder
        self.executor = executor
        self.layers = layers
        self.staging = staging
        """A folder on the artifact store's file system for outputs being written."""
        self.job = job
        self.definition = definition
        self.inputs_json = inputs_json
        self.outputs = outputs
        self.limits = limits
        self.done = 0
        self.total = 0

    # -- the loop -----------------------------------------------------------------------------
    def _feature_outputs(self) -> list[str]:
        return [p.name for p in self.definition.description.outputs
                if p.data_type is DataType.FEATURES and p.name in self.outputs]

    def _chunk_outputs(self, inputs: dict[str, Any], name: str, reference: LayerReference,
                       last: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
        """Each chunk's outputs, in order. Up to ``IN_FLIGHT`` chunks run at once (the next
        one computes while this one's outputs are written), so memory holds at most that
        many chunks and their results."""
        layers = self.layers
        deadline = time.monotonic() + self.limits.timeout_seconds
        chunks = enumerate(layers.chunks(reference, layers.chunk_size, self.job.owner,
                                         self.job.tenant), 1)
        running: deque[tuple[int, int, Future[Outcome]]] = deque()

        def fill() -> None:
            while len(running) < IN_FLIGHT:
                found = next(chunks, None)
                if found is None:
                    return
                number, chunk = found
                if self._cancelled():
                    raise _Stop(Outcome(OutcomeStatus.CANCELLED, error="Job cancelled"))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _Stop(Outcome(OutcomeStatus.TIMED_OUT, error=(
                        f"the job exceeded its time limit of {self.limits.timeout_seconds:g} s")))
                running.append((number, len(chunk), self._submit_chunk({**inputs, name: chunk},
                                                                       left)))

        try:
            fill()
            while running:
                number, size, future = running.popleft()
                outcome = future.result()
                if outcome.status is not OutcomeStatus.SUCCEEDED:
                    where = f"chunk {number} (features {self.done + 1}-{self.done + size})"
                    raise _Stop(dataclasses.replace(outcome, error=f"{where}: {outcome.error}"))
                fill()
                last.update(outcome.outputs)
                self.done += size
                self.recorder.progress(self.job.id, 100.0 * self.done / max(self.total, 1),
                                       f"{self.done} of {self.total} features")
                yield outcome.outputs
        finally:
            if running:  # stopped early: the chunks still running are not wanted
                self.executor.cancel(self.job.id)

    def _submit_chunk(self, inputs: dict[str, Any], timeout: float) -> Future[Outcome]:
        listener = _ItemListener(lambda level, text: self.recorder.message(
            self.job.id, level, text))
        item = WorkItem(self.job.id, self.job.process_id,
                        dataclasses.replace(self.limits, timeout_seconds=timeout),
                        inputs=inputs, outputs=self.outputs)
        self.executor.submit(item, listener)
        return listener.future

    def _cancelled(self) -> bool:
        status = self.recorder.status(self.job.id)
        return status is None or status.value in ("cancelling", "dismissed", "cancelled")

    def run(self) -> Outcome:
        started = time.monotonic()
        try:
            outcome = self._run()
        except _Stop as stop:
            outcome = stop.outcome
        except HonuaError as exc:
            outcome = Outcome(OutcomeStatus.FAILED, error=exc.message, error_kind=exc.kind)
        except Exception as exc:  # a bug or an I/O failure: the job fails, the server goes on
            log.exception("chunked job %s failed", self.job.id)
            outcome = Outcome(OutcomeStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        return dataclasses.replace(outcome, duration=time.monotonic() - started)

    def _run(self) -> Outcome:
        layers = self.layers
        description = self.definition.description
        inputs = codec.decode(description.inputs, self.inputs_json)
        name = chunked_input(inputs)
        assert name is not None
        reference = inputs[name]
        self.total = layers.count(reference, self.job.owner, self.job.tenant)
        self.recorder.message(self.job.id, MessageLevel.INFO, (
            f"Processing {self.total} features of collection {reference.collection_id!r} in "
            f"chunks of {layers.chunk_size}"))
        features = self._feature_outputs()
        staged = {out: self._stage(out) for out in features}
        writers = {out: GeoJSONWriter(path) for out, path in staged.items()}
        last: dict[str, Any] = {}
        try:
            results = self._chunk_outputs(inputs, name, reference, last)
            registered = self._registered_output(features)
            if registered is not None:
                results = self._register(registered, results, writers)
            for outputs in results:
                for out, writer in writers.items():
                    writer.append(outputs[out])
        finally:
            for writer in writers.values():
                writer.close()
        stored: dict[str, Any] = {}
        for out, path in staged.items():
            key = f"jobs/{self.job.id}/outputs/{out}.geojson"
            self._publish(key, path)
            stored[out] = {ARTIFACT: key, "mediaType": GEOJSON, "count": writers[out].count}
        others = {k: v for k, v in last.items() if k not in stored}
        body = orjson.loads(codec.encode(description.outputs, others, precision.DEFAULT))
        return Outcome(OutcomeStatus.SUCCEEDED, outputs_json=orjson.dumps({**body, **stored}))

    # -- registration and artifacts ---------------------------------------------------------------
    def _registered_output(self, features: list[str]) -> str | None:
        registered = self.job.options.registrations
        return next((out for out in features if out in registered), None)

    def _register(self, out: str, results: Iterator[Mapping[str, Any]],
                  writers: dict[str, GeoJSONWriter]) -> Iterator[Mapping[str, Any]]:
        """Feed ``out``'s chunks to the catalog while the loop also writes the artifacts."""
        layers = self.layers

        def chunks() -> Iterator[FeatureCollection]:
            for outputs in results:
                for name, writer in writers.items():
                    writer.append(outputs[name])
                yield outputs[out]

        layers.register_outputs(self.definition.description, self.job.options, {out: chunks()},
                                owner=self.job.owner, tenant=self.job.tenant,
                                now=self.recorder.clock(), job_id=self.job.id)
        return iter(())

    def _stage(self, out: str) -> Path:
        self.staging.mkdir(parents=True, exist_ok=True)
        return self.staging / f"{self.job.id}-{out}-{secrets.token_hex(4)}.geojson"

    def _publish(self, key: str, path: Path) -> None:
        """Move the staged file into the artifact store without reading it into memory
        (renamed on a disk, a multipart upload to S3)."""
        self.recorder.counted(key, self.job.tenant, path.stat().st_size)
        self.recorder.artifacts.put_file(key, path)


class _Stop(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome


def start(run: ChunkedRun, on_end: Callable[[], None]) -> threading.Thread:
    """Run a chunked job in a new thread; its end is recorded like any asynchronous job's,
    then ``on_end`` is called."""

    def target() -> None:
        run.recorder.message(run.job.id, MessageLevel.INFO, "Job started")
        outcome = run.run()
        try:
            run.recorder.complete(run.job.id, outcome)
        finally:
            on_end()

    thread = threading.Thread(target=target, name=f"honua-chunked-{run.job.id[:8]}", daemon=True)
    thread.start()
    return thread


