"""The provenance ledger: what every run used, made, where and with what software.

One ``ProvenanceRecord`` per job, sync or async, on every surface, written by the
job recorder (``core.recorder``) when the run ends (an asynchronous job's inputs
are noted when it is queued). It holds enough to answer "what produced this
layer?" and to run the job again (``core.reproduce``):

- the process id and version, owner, tenant and the job it was part of (a
  workflow's steps name the workflow's job);
- every input's SHA-256 over its canonical neutral JSON (``canonical``), and the
  value itself when it is small (``inline_limit``), else stored beside the job as
  an artifact; where a reference came from (layer + filter, upload);
- every output's SHA-256 over the same canonical form, so a re-run compares
  byte for byte whichever way the outputs were carried (values or stored JSON);
- the tier, queue and run times, the worker (host, pid) and the software
  (Honua, shapely, GEOS, pyproj, PROJ);
- for a workflow step served from the partial-result cache, the job it reused.

``prov_document`` renders a record as W3C PROV-JSON; it knows nothing of HTTP.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from honua.core import codec
from honua.core.parameters import Parameter

__all__ = ["ProvenanceRecord", "canonical", "cache_key", "inputs_artifact_key",
           "input_entries", "output_hashes", "prov_document", "software_versions",
           "worker_here"]

INLINE_LIMIT = 256 * 1024
"""Inputs whose canonical JSON is larger are kept as an artifact, only their hash inline."""


def inputs_artifact_key(job_id: str) -> str:
    return f"jobs/{job_id}/provenance-inputs.json"


def canonical(value: Any) -> bytes:
    """The canonical JSON of a neutral value: keys sorted, floats in orjson's shortest
    round-trip form, so equal values hash equal whichever way they travelled."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def neutral_values(parameters: Iterable[Parameter], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as plain neutral JSON (what ``codec.decode`` and the converters accept)."""
    return dict(orjson.loads(codec.encode(parameters, values)))


def input_entries(parts: Mapping[str, bytes], origins: Mapping[str, Any] | None = None, *,
                  inline_limit: int = INLINE_LIMIT) -> tuple[dict[str, Any], bool]:
    """Per input ``{"sha256", "bytes", "value"?, "origin"?}`` from the codec's bytes of each
    value (``codec.encode_parts``); and whether any value was too big to keep inline (the
    caller then stores the whole neutral JSON aside). Only small values are parsed."""
    entries: dict[str, Any] = {}
    spilled = False
    for name in sorted(parts):
        data = parts[name]
        entry: dict[str, Any] = {"sha256": sha256(data), "bytes": len(data)}
        if len(data) <= inline_limit:
            entry["value"] = orjson.loads(data)
        else:
            spilled = True
        if origins and name in origins:
            entry["origin"] = origins[name]
        entries[name] = entry
    return entries, spilled


def output_hashes(parts: Mapping[str, bytes]) -> dict[str, Any]:
    """Per output ``{"sha256", "bytes"}`` of the codec's bytes of its value."""
    return {name: {"sha256": sha256(parts[name]), "bytes": len(parts[name])}
            for name in sorted(parts)}


def parts_of(document: bytes) -> dict[str, bytes]:
    """Each member's JSON bytes of a stored outputs document (a fallback that parses: the
    codec writes values in orjson's own form, so a round trip gives the same bytes)."""
    return {name: orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
            for name, value in orjson.loads(document).items()}


def cache_key(process_id: str, version: str, inputs: Mapping[str, Any],
              outputs: Iterable[str] = ()) -> str:
    """What a partial-result cache hit must match: process, version, every input's hash and
    the outputs asked for."""
    parts = {"process": process_id, "version": version,
             "inputs": {name: entry["sha256"] for name, entry in sorted(inputs.items())},
             "outputs": sorted(outputs)}
    return sha256(canonical(parts))


@functools.cache
def software_versions() -> dict[str, str]:
    """Honua and the geometry libraries whose versions can change a result."""
    import pyproj
    import shapely

    import honua

    return {"honua": honua.__version__, "shapely": shapely.__version__,
            "geos": shapely.geos_version_string, "pyproj": pyproj.__version__,
            "proj": pyproj.proj_version_str}


@functools.cache
def _host() -> str:
    return socket.gethostname()


def worker_here(pid: int, kind: str) -> dict[str, Any]:
    return {"host": _host(), "pid": pid, "kind": kind}


def _time(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


@dataclass(frozen=True)
class ProvenanceRecord:
    """One job's entry in the ledger (see the module docstring)."""

    job_id: str
    process_id: str
    process_version: str = ""
    owner: str = ""
    tenant: str = ""
    parent: str = ""
    status: str = ""
    tier: str = ""
    created: dt.datetime | None = None
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    outputs_asked: tuple[str, ...] = ()
    worker: Mapping[str, Any] = field(default_factory=dict)
    software: Mapping[str, str] = field(default_factory=dict)
    layers: tuple[str, ...] = ()
    """Collections registered from this run's outputs."""
    reused_from: str = ""
    """The job whose stored outputs this run reused (the partial-result cache)."""
    inputs_artifact: str = ""
    """The artifact holding all the neutral inputs, when some were too big to keep inline."""

    @property
    def cache_key(self) -> str:
        return cache_key(self.process_id, self.process_version, self.inputs, self.outputs_asked)

    @property
    def queued_seconds(self) -> float | None:
        if self.created is None or self.started is None:
            return None
        return max(0.0, (self.started - self.created).total_seconds())

    @property
    def run_seconds(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return max(0.0, (self.finished - self.started).total_seconds())

    def recorded_inputs(self) -> dict[str, Any] | None:
        """The neutral input values kept inline; None when some are kept only as an artifact."""
        if self.inputs_artifact:
            return None
        return {name: entry["value"] for name, entry in self.inputs.items()}

    def to_json(self) -> dict[str, Any]:
        return {"jobId": self.job_id, "processId": self.process_id,
                "processVersion": self.process_version, "owner": self.owner,
                "tenant": self.tenant, "parent": self.parent, "status": self.status,
                "tier": self.tier, "created": _time(self.created), "started": _time(self.started),
                "finished": _time(self.finished), "queuedSeconds": self.queued_seconds,
                "runSeconds": self.run_seconds, "inputs": dict(self.inputs),
                "outputs": dict(self.outputs), "outputsAsked": list(self.outputs_asked),
                "worker": dict(self.worker), "software": dict(self.software),
                "layers": list(self.layers), "reusedFrom": self.reused_from,
                "inputsArtifact": self.inputs_artifact}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProvenanceRecord:
        def when(key: str) -> dt.datetime | None:
            value = data.get(key)
            return None if not value else dt.datetime.fromisoformat(value)

        return cls(job_id=data["jobId"], process_id=data["processId"],
                   process_version=data.get("processVersion", ""), owner=data.get("owner", ""),
                   tenant=data.get("tenant", ""), parent=data.get("parent", ""),
                   status=data.get("status", ""), tier=data.get("tier", ""),
                   created=when("created"), started=when("started"), finished=when("finished"),
                   inputs=data.get("inputs") or {}, outputs=data.get("outputs") or {},
                   outputs_asked=tuple(data.get("outputsAsked") or ()),
                   worker=data.get("worker") or {}, software=data.get("software") or {},
                   layers=tuple(data.get("layers") or ()),
                   reused_from=data.get("reusedFrom", ""),
                   inputs_artifact=str(data.get("inputsArtifact") or ""))


def prov_document(record: ProvenanceRecord, *, children: Iterable[ProvenanceRecord] = (),
                  namespace: str = "urn:honua:") -> dict[str, Any]:
    """The record (and a workflow's steps, ``children``) as W3C PROV-JSON
    (https://www.w3.org/submissions/prov-json/): each run an activity, its inputs and
    outputs entities (identified by content hash), its owner and worker agents."""
    doc: dict[str, Any] = {
        "prefix": {"honua": namespace, "sha256": "urn:sha256:"},
        "entity": {}, "activity": {}, "agent": {}, "used": {}, "wasGeneratedBy": {},
        "wasDerivedFrom": {}, "wasAssociatedWith": {}, "wasAttributedTo": {},
        "wasInformedBy": {},
    }
    for run in (record, *children):
        _add_run(doc, run)
        if run is not record:
            doc["wasInformedBy"][f"_:inf-{run.job_id}"] = {
                "prov:informed": f"honua:job/{record.job_id}",
                "prov:informant": f"honua:job/{run.job_id}"}
    return {key: value for key, value in doc.items() if value or key == "prefix"}


def _add_run(doc: dict[str, Any], run: ProvenanceRecord) -> None:
    activity = f"honua:job/{run.job_id}"
    doc["activity"][activity] = {
        "prov:type": "honua:ProcessExecution", "prov:label": run.process_id,
        "prov:startTime": _time(run.started or run.created), "prov:endTime": _time(run.finished),
        "honua:process": run.process_id, "honua:processVersion": run.process_version,
        "honua:status": run.status, "honua:tier": run.tier, "honua:parent": run.parent,
        "honua:queuedSeconds": run.queued_seconds, "honua:runSeconds": run.run_seconds,
        "honua:software": dict(run.software), "honua:reusedFrom": run.reused_from,
    }
    user = f"honua:user/{run.tenant}/{run.owner or 'anonymous'}"
    doc["agent"][user] = {"prov:type": "prov:Person", "honua:owner": run.owner,
                          "honua:tenant": run.tenant}
    worker = run.worker
    agents = [user]
    if worker:
        machine = f"honua:worker/{worker.get('host', '')}/{worker.get('pid', '')}"
        doc["agent"][machine] = {"prov:type": "prov:SoftwareAgent", **{
            f"honua:{k}": v for k, v in worker.items()}}
        agents.append(machine)
    for agent in agents:
        doc["wasAssociatedWith"][f"_:assoc-{run.job_id}-{len(doc['wasAssociatedWith'])}"] = {
            "prov:activity": activity, "prov:agent": agent}
    used = []
    for name, entry in run.inputs.items():
        entity = f"sha256:{entry['sha256']}"
        used.append(entity)
        attributes: dict[str, Any] = {"prov:label": name, "honua:bytes": entry.get("bytes")}
        if "origin" in entry:
            attributes["honua:origin"] = entry["origin"]
        doc["entity"].setdefault(entity, attributes)
        doc["used"][f"_:use-{run.job_id}-{name}"] = {"prov:activity": activity,
                                                    "prov:entity": entity, "prov:role": name}
    for name, entry in run.outputs.items():
        entity = f"sha256:{entry['sha256']}"
        doc["entity"].setdefault(entity, {"prov:label": name, "honua:bytes": entry.get("bytes")})
        doc["wasGeneratedBy"][f"_:gen-{run.job_id}-{name}"] = {
            "prov:entity": entity, "prov:activity": activity, "prov:role": name,
            "prov:time": _time(run.finished)}
        doc["wasAttributedTo"][f"_:attr-{run.job_id}-{name}"] = {"prov:entity": entity,
                                                                 "prov:agent": user}
        for source in used:
            doc["wasDerivedFrom"][f"_:der-{run.job_id}-{name}-{source[7:19]}"] = {
                "prov:generatedEntity": entity, "prov:usedEntity": source,
                "prov:activity": activity}
    for layer in run.layers:
        entity = f"honua:collection/{layer}"
        doc["entity"][entity] = {"prov:type": "honua:Collection", "prov:label": layer}
        doc["wasGeneratedBy"][f"_:gen-{run.job_id}-layer-{layer}"] = {
            "prov:entity": entity, "prov:activity": activity}


def origins_of(raw: Mapping[str, Any], given: Mapping[str, Any] | None = None
               ) -> dict[str, Any]:
    """Where each referenced input came from (a layer with its filter, an upload), from the
    request's raw inputs before the references were read, joined with what the adapter
    ``given`` saw of inputs it read by URL (the URL and its bytes' hash)."""
    from honua.core.references import LayerReference, UploadReference

    def one(value: Any) -> dict[str, Any] | None:
        if isinstance(value, LayerReference):
            return {"layer": value.collection_id, **value.to_json()}
        if isinstance(value, UploadReference):
            return {"upload": value.upload_id}
        return None

    out: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, list):
            origins = [one(v) for v in value]
            if any(origins):
                out[name] = origins
        elif (origin := one(value)) is not None:
            out[name] = origin
    for name, seen in (given or {}).items():
        found = out.get(name)
        if isinstance(found, dict) and isinstance(seen, Mapping):
            out[name] = {**found, **seen}  # a layer read by its URL: both
        elif found is None:
            out[name] = seen
    return out
