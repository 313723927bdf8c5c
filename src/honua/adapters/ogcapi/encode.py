"""Core values and jobs -> OGC API - Processes JSON documents (pure functions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from honua.adapters.ogcapi.schemas import media_type, schema_for
from honua.core import codec
from honua.core.description import ProcessDescription
from honua.core.jobs import Job, JobStatus
from honua.core.json_text import JSONText
from honua.core.parameters import UNBOUNDED, DataType, Parameter
from honua.core.references import LayerReference
from honua.core.tiers import shown
from honua.core.values import File
from honua.geo.features import FeatureCollection
from honua.geo.geojson import write_features
from honua.geo.precision import DEFAULT, Precision

CONF = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/"
FEATURES_CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
FILTER_CONF = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
CQL2_CONF = "http://www.opengis.net/spec/cql2/1.0/conf/"
FEATURES_CONFORMANCE = (
    [FEATURES_CONF + c for c in ("core", "geojson")]
    + [FILTER_CONF + c for c in ("queryables", "queryables-query-parameters", "filter",
                                 "features-filter")]
    + [CQL2_CONF + c for c in ("cql2-text", "cql2-json", "basic-cql2",
                               "advanced-comparison-operators", "basic-spatial-functions",
                               "basic-spatial-functions-plus", "spatial-functions",
                               "property-property", "arithmetic")]
)
"""The catalog at ``/api/collections`` (OGC API - Features Part 1 and Part 3 with CQL2)."""
CONFORMANCE = [CONF + c for c in
               ("core", "ogc-process-description", "json", "oas30", "job-list", "dismiss")
               ] + FEATURES_CONFORMANCE + [
    "http://www.opengis.net/spec/ogcapi-processes-3/1.0/conf/" + c
    for c in ("nested-processes", "collection-input")]
REL = "http://www.opengis.net/def/rel/ogc/1.0/"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"

OGC_STATUS = {
    JobStatus.ACCEPTED: "accepted", JobStatus.SUBMITTED: "accepted",
    JobStatus.WAITING: "accepted", JobStatus.RUNNING: "running",
    JobStatus.CANCELLING: "running", JobStatus.SUCCEEDED: "successful",
    JobStatus.FAILED: "failed", JobStatus.TIMED_OUT: "failed",
    JobStatus.CANCELLED: "dismissed", JobStatus.DISMISSED: "dismissed",
}
CORE_STATUSES = {
    ogc: tuple(s for s, o in OGC_STATUS.items() if o == ogc) for ogc in set(OGC_STATUS.values())
}


def link(href: str, rel: str, title: str = "", type: str = JSON) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": type}
    if title:
        out["title"] = title
    return out


def landing(base: str) -> dict[str, Any]:
    return {
        "title": "Honua geoprocessing server",
        "description": "OGC API - Processes: run geoprocessing processes synchronously or as jobs.",
        "links": [
            link(f"{base}/api", "self", "This document"),
            link(f"{base}/api/openapi", "service-desc", "The API definition", OPENAPI),
            link(f"{base}/api/conformance", REL + "conformance", "Conformance classes"),
            link(f"{base}/api/processes", REL + "processes", "The processes offered"),
            link(f"{base}/api/jobs", REL + "job-list", "The jobs"),
            link(f"{base}/api/collections", "data", "The layers (OGC API - Features)"),
            link(f"{base}/api/collections", REL + "data", "The layers (OGC API - Features)"),
        ],
    }


def conformance() -> dict[str, Any]:
    return {"conformsTo": CONFORMANCE}


def _job_control(description: ProcessDescription) -> list[str]:
    return [f"{mode.value}-execute" for mode in description.job_control] + ["dismiss"]


def process_summary(description: ProcessDescription, base: str) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "id": description.id,
        "title": description.title,
        "description": description.description,
        "version": description.version,
        "jobControlOptions": _job_control(description),
        "outputTransmission": ["value", "reference"],
        "links": [link(f"{base}/api/processes/{description.id}", "self",
                       "Process description")],
    }
    if description.keywords:
        summary["keywords"] = list(description.keywords)
    return summary


def _input(parameter: Parameter) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "title": parameter.title,
        "description": parameter.description,
        "schema": schema_for(parameter, as_input=True),
        "minOccurs": parameter.min_occurs,
        "maxOccurs": "unbounded" if parameter.max_occurs == UNBOUNDED else parameter.max_occurs,
    }
    if parameter.keywords:
        entry["keywords"] = list(parameter.keywords)
    if parameter.unit:
        entry["metadata"] = [{"title": "unit", "role": "unit", "value": parameter.unit}]
    return entry


def _output(parameter: Parameter) -> dict[str, Any]:
    return {"title": parameter.title, "description": parameter.description,
            "schema": schema_for(parameter)}


def process_description(description: ProcessDescription, base: str) -> dict[str, Any]:
    document = process_summary(description, base)
    document["links"].append(link(f"{base}/api/processes/{description.id}/execution",
                                  REL + "execute", "Execute the process"))
    document["inputs"] = {p.name: _input(p) for p in description.inputs}
    document["outputs"] = {p.name: _output(p) for p in description.outputs}
    return document


def _stamp(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def status_info(job: Job, base: str, *, status: JobStatus | None = None) -> dict[str, Any]:
    status = status or job.status
    info: dict[str, Any] = {
        "jobID": job.id,
        "processID": job.process_id,
        "type": "process",
        "status": OGC_STATUS[status],
        "message": job.message,
        "created": _stamp(job.created),
        "progress": int(job.progress),
        "tier": shown(job.tier),
    }
    for name in ("started", "finished", "updated"):
        value = getattr(job, name)
        if value is not None:
            info[name] = _stamp(value)
    href = f"{base}/api/jobs/{job.id}"
    info["links"] = [link(href, "self", "Job status"), link(f"{base}/api/jobs", "up", "Job list")]
    if status is JobStatus.SUCCEEDED and job.has_outputs:
        info["links"].append(link(f"{href}/results", REL + "results", "Job results"))
        for name, registration in job.options.registrations.items():  # outputs kept as layers
            info["links"].append(link(f"{base}/api/collections/{registration.collection_id}",
                                      "related", f"Output {name} as a collection"))
    return info


def job_list(jobs: Iterable[Job], base: str, links: list[dict[str, str]]) -> dict[str, Any]:
    return {"jobs": [status_info(job, base) for job in jobs], "links": links}


def qualified(parameter: Parameter, value: Any,
              precision: Precision = DEFAULT) -> dict[str, Any]:
    """An output value as an OGC qualified value (the only shape results.yaml accepts
    unambiguously for objects, integers and base64-looking strings)."""
    if isinstance(value, JSONText) and (precision != DEFAULT or parameter.data_type not in (
            DataType.FEATURES, DataType.GEOMETRY)):
        value = parameter.convert(orjson.loads(value.data))  # small, or asked otherwise
    neutral = codec.to_neutral(parameter.data_type, value, precision)
    if isinstance(value, File):
        return {"value": neutral["data"], "mediaType": value.media_type, "encoding": "base64"}
    if isinstance(value, LayerReference):  # a result kept as a layer where it was computed
        return {"value": neutral, "mediaType": "application/json"}
    return {"value": neutral, "mediaType": media_type(parameter.data_type)}


def results_document(description: ProcessDescription, outputs: Mapping[str, Any],
                     precision: Precision = DEFAULT) -> bytes:
    return orjson.dumps({
        name: qualified(parameter, value, precision) for name, value in outputs.items()
        if (parameter := description.output(name)) is not None
    }, option=orjson.OPT_SERIALIZE_NUMPY)


def raw_value(parameter: Parameter, value: Any,
              precision: Precision = DEFAULT) -> tuple[bytes, str]:
    """One output as a raw HTTP body and its media type."""
    if isinstance(value, File):
        return value.read(), value.media_type
    if isinstance(value, JSONText):  # encoded by the worker, with the default precision
        if parameter.data_type in (DataType.FEATURES, DataType.GEOMETRY) and (
                precision == DEFAULT):
            return value.data, media_type(parameter.data_type)
        value = parameter.convert(orjson.loads(value.data))  # asked otherwise: re-encoded
    if isinstance(value, FeatureCollection):  # straight to bytes, no extra copy
        return write_features(value, precision), media_type(parameter.data_type)
    neutral = codec.to_neutral(parameter.data_type, value, precision)
    if parameter.data_type is DataType.STRING and isinstance(neutral, str):
        return neutral.encode(), "text/plain; charset=utf-8"
    return orjson.dumps(neutral, option=orjson.OPT_SERIALIZE_NUMPY), media_type(parameter.data_type)
