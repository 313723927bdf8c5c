"""Run a recorded job again and say whether it made the same outputs.

The inputs come from the provenance ledger (inline, or the artifact kept beside the
job when they were large), never from the client, so a re-run is the recorded run.
Each output's SHA-256 is taken over the same canonical neutral JSON as the
ledger's (``core.provenance.canonical``), so a deterministic process matches byte
for byte whichever way (value or stored JSON) either run carried its outputs.
Outputs registered as layers are not registered again: only the hashes matter.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson

from honua.core import provenance
from honua.core.jobs import JobStatus
from honua.core.references import LayerReference
from honua.core.requests import ExecutionOptions, Mode, OutputRequest
from honua.errors import Conflict, NotFound

if TYPE_CHECKING:
    from honua.core.manager import JobManager

__all__ = ["recorded_inputs", "reproduce"]


def recorded_inputs(manager: JobManager, record: provenance.ProvenanceRecord) -> dict[str, Any]:
    """The neutral inputs a job ran with, as the ledger kept them."""
    values = record.recorded_inputs()
    if values is None:
        try:
            values = orjson.loads(manager.artifacts.get(record.inputs_artifact))
        except NotFound:
            raise NotFound(f"the inputs of job {record.job_id} are no longer kept, so it "
                           "cannot be reproduced") from None
    return {name: ([_reference(v) for v in value] if isinstance(value, list) else
                   _reference(value)) for name, value in values.items()}


def _reference(value: Any) -> Any:
    """A recorded ``{"layerReference": ...}`` as the reference it was, else ``value``."""
    if isinstance(value, Mapping) and "layerReference" in value:
        return LayerReference.from_json(value["layerReference"])
    return value


def _recorded_outputs(manager: JobManager, job_id: str) -> dict[str, Any]:
    """The re-run's output hashes as its own ledger entry has them (written just after the
    job ends: waited for briefly), hashed exactly as the original's were."""
    deadline = time.monotonic() + 10.0
    while True:
        record = manager.store.provenance(job_id)
        if record is not None and record.status == JobStatus.SUCCEEDED.value:
            return dict(record.outputs)
        if time.monotonic() > deadline:
            return provenance.output_hashes(provenance.parts_of(manager.results_json(job_id)))
        time.sleep(0.02)


def reproduce(manager: JobManager, job_id: str, *, owner: str = "",
              tenant: str = "") -> dict[str, Any]:
    """``{"jobID", "outputs": {name: {"recorded", "reproduced", "match"}}, "match"}``."""
    job = manager.get(job_id)  # the job's own status: its ledger entry is completed after it
    if job.status is not JobStatus.SUCCEEDED:
        raise Conflict(f"job {job_id} is {job.status.value}; only a job that succeeded can be "
                       "reproduced")
    record, _ = manager.provenance(job_id)
    deadline = time.monotonic() + 10
    while record.status != JobStatus.SUCCEEDED.value and time.monotonic() < deadline:
        time.sleep(0.02)  # the end of the ledger entry is written just after the job's end
        record, _ = manager.provenance(job_id)
    if record.status != JobStatus.SUCCEEDED.value:
        raise Conflict(f"job {job_id}'s provenance record is not complete yet; retry shortly")
    inputs = recorded_inputs(manager, record)
    options = ExecutionOptions(mode=Mode.ASYNC, keep=True, strict=False, outputs={
        name: OutputRequest() for name in record.outputs_asked})
    job = manager.submit(record.process_id, inputs, options, owner=owner, tenant=tenant)
    done = manager.wait(job.id, manager.settings.job_timeout_seconds)
    if done.status is not JobStatus.SUCCEEDED:
        raise Conflict(f"the re-run (job {done.id}) ended {done.status.value}: {done.message}")
    hashes = _recorded_outputs(manager, done.id)
    outputs = {}
    for name in sorted(set(record.outputs) | set(hashes)):
        recorded = record.outputs.get(name, {}).get("sha256")
        reproduced = hashes.get(name, {}).get("sha256")
        outputs[name] = {"recorded": recorded, "reproduced": reproduced,
                         "match": recorded is not None and recorded == reproduced}
    return {"jobID": done.id, "outputs": outputs,
            "match": bool(outputs) and all(o["match"] for o in outputs.values())}
