"""Running one work item inside a worker, and turning how it ended into a ``Done`` frame.

Everything the job does -- decoding its inputs, the process itself, encoding
its outputs -- happens under the job's OS limits, so running out of memory
while encoding a huge result fails the job like running out while computing
it. Errors are reported for the person who sent the request: a Honua error
keeps its message and kind, anything else becomes ``Type: message``, and the
traceback goes to the server's log only.
"""

from __future__ import annotations

import errno
import os
import traceback
from collections.abc import Mapping
from typing import Any

from honua.core import codec, esri_outputs
from honua.core.context import Context
from honua.core.description import ProcessDefinition
from honua.core.execution import OutcomeStatus, WorkItem
from honua.core.invoke import call_process
from honua.core.provenance import output_hashes
from honua.core.registry import Registry
from honua.core.sizes import check_vertices
from honua.errors import HonuaError
from honua.executors import limits as oslimits
from honua.executors.protocol import Done, dumps, inline_files, loads
from honua.geo import precision


def run(registry: Registry, item: WorkItem, inputs: bytes | None, context: Context,
        worker_pid: int) -> Done:
    """Run ``item`` and describe the end; a forked child of the job never returns."""
    try:
        definition = registry.get(item.process_id)
    except HonuaError as exc:
        return Done(item.job_id, OutcomeStatus.FAILED, error=exc.message, error_kind=exc.kind)
    restore = oslimits.apply(item.limits)
    try:
        try:
            done = _succeed(definition, item, inputs, context)
        finally:
            if os.getpid() != worker_pid:
                os._exit(0)  # a fork of the job came back here: it must not act as the worker
            restore()
    except BaseException as exc:  # the job's failure, whatever it is, is reported not raised
        return failure(item, exc)
    return done


def _succeed(definition: ProcessDefinition, item: WorkItem, inputs: bytes | None,
             context: Context) -> Done:
    description = definition.description
    if item.inputs_json is not None:
        values = codec.decode(description.inputs, item.inputs_json)
        check_vertices(values, item.max_vertices)
    else:
        values = loads(inputs) if inputs is not None else {}
    outputs = _wanted(call_process(definition, context, values), item.outputs)
    if item.return_json:
        parts = codec.encode_parts(description.outputs, outputs, precision.DEFAULT)
        hashes = output_hashes(parts)  # of the neutral values, as a stored run's are
        if item.esri is not None:  # the answer as the client asked it (core.esri_outputs)
            del parts
            parts = esri_outputs.encode_parts(description.outputs, outputs, item.esri)
        return Done(item.job_id, OutcomeStatus.SUCCEEDED, outputs_json=codec.join_parts(parts),
                    output_hashes=hashes)
    return Done(item.job_id, OutcomeStatus.SUCCEEDED, outputs=dumps(inline_files(outputs)))


def _wanted(outputs: Mapping[str, Any], wanted: tuple[str, ...]) -> dict[str, Any]:
    if not wanted:
        return dict(outputs)
    return {name: value for name, value in outputs.items() if name in wanted}


def failure(item: WorkItem, exc: BaseException) -> Done:
    """The ``Done`` frame for a job that raised ``exc``."""
    failed = OutcomeStatus.FAILED
    if isinstance(exc, HonuaError):
        return Done(item.job_id, failed, error=exc.message, error_kind=exc.kind)
    if isinstance(exc, MemoryError):
        return Done(item.job_id, failed, recycle=True,
                    error=f"The process ran out of memory (limit {item.limits.memory_mb} MB)")
    details = "".join(traceback.format_exception(exc))
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return Done(item.job_id, failed, recycle=True, details=details,
                    error=f"The process tried to write a file larger than its limit of "
                          f"{item.limits.max_file_mb} MB")
    recycle = isinstance(exc, OSError) and exc.errno in (errno.EAGAIN, errno.ENOMEM)
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return Done(item.job_id, failed, error=message, recycle=recycle, details=details)
