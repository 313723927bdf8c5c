"""Runs work items on threads of the server process itself.

No isolation at all: meant for unit tests of the job manager and for trusted,
small built-in operations. Cancellation is cooperative only (``ctx.cancelled``);
a timeout is reported when the run ends late, not enforced.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from typing import Any

from honua.core import codec
from honua.core.context import Context
from honua.core.execution import ExecutionListener, Outcome, OutcomeStatus, WorkItem
from honua.core.invoke import call_process
from honua.core.provenance import output_hashes, worker_here
from honua.core.registry import Registry
from honua.errors import HonuaError
from honua.executors.threads import ThreadQueue
from honua.geo import precision


class InlineExecutor:
    def __init__(self, registry: Registry, threads: int = 2) -> None:
        self.registry = registry
        self.threads = threads
        self._queue: ThreadQueue[threading.Event] = ThreadQueue(
            "honua-inline", threads, self._serve, threading.Event)

    def start(self) -> None:
        self._queue.start()

    def stop(self) -> None:
        self._queue.stop(Outcome(OutcomeStatus.CANCELLED, error="the server is shutting down"))

    def free_slots(self) -> int:
        return self._queue.free_slots()

    def submit(self, item: WorkItem, listener: ExecutionListener, *, priority: bool = False) -> None:
        self._queue.submit(item, listener, priority=priority)

    def cancel(self, job_id: str) -> bool:
        return self._queue.cancel(job_id, threading.Event.set)

    def _serve(self, item: WorkItem, listener: ExecutionListener, cancel: threading.Event
               ) -> None:
        listener.on_finish(item.job_id, self._run(item, listener, cancel))

    def _run(self, item: WorkItem, listener: ExecutionListener, cancel: threading.Event
             ) -> Outcome:
        started = time.monotonic()
        if cancel.is_set():
            return Outcome(OutcomeStatus.CANCELLED, error="Job cancelled")
        listener.on_start(item.job_id)
        definition = self.registry.get(item.process_id)
        context = Context(
            job_id=item.job_id,
            on_progress=lambda p, m: listener.on_progress(item.job_id, p, m),
            on_message=lambda t, level: listener.on_message(item.job_id, level, t),
            cancel_event=cancel,
        )
        try:
            inputs: Any = item.inputs
            if inputs is None:
                inputs = codec.decode(definition.description.inputs, item.inputs_json or b"{}")
            outputs = call_process(definition, context, inputs)
            outputs = {k: v for k, v in outputs.items() if not item.outputs or k in item.outputs}
        except HonuaError as error:
            return Outcome(OutcomeStatus.FAILED, error=error.message, error_kind=error.kind,
                           duration=time.monotonic() - started)
        except Exception as error:  # the process's own bug: report it, don't crash the server
            traceback.print_exc()
            return Outcome(OutcomeStatus.FAILED, error=f"{type(error).__name__}: {error}",
                           duration=time.monotonic() - started)
        duration = time.monotonic() - started
        if cancel.is_set():
            return Outcome(OutcomeStatus.CANCELLED, error="Job cancelled", duration=duration)
        if duration > item.limits.timeout_seconds:
            return Outcome(OutcomeStatus.TIMED_OUT, duration=duration,
                           error=f"the job exceeded its time limit of {item.limits.timeout_seconds:g} s")
        worker = worker_here(os.getpid(), "inline")
        if item.return_json:
            parts = codec.encode_parts(definition.description.outputs, outputs,
                                       precision.DEFAULT)
            return Outcome(OutcomeStatus.SUCCEEDED, duration=duration, worker=worker,
                           outputs_json=codec.join_parts(parts),
                           output_hashes=output_hashes(parts))
        return Outcome(OutcomeStatus.SUCCEEDED, outputs=outputs, duration=duration, worker=worker)
