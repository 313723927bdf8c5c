"""Core descriptions, values and jobs -> GPServer JSON documents (pure functions)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

from honua.adapters.gpserver import gptypes
from honua.adapters.gpserver.catalog import Catalog, Service, Task
from honua.adapters.gpserver.decode import Environment
from honua.core.context import MessageLevel
from honua.core.description import ProcessDescription
from honua.core.esri_outputs import EsriFeatures, write_features
from honua.core.jobs import Job, JobStatus, Message
from honua.core.parameters import DataType, Parameter
from honua.core.tiers import shown
from honua.core.values import ArealUnit, Envelope, File, Geometry, LinearUnit, SpatialReference
from honua.geo.esrijson import featureset, spatialref
from honua.geo.features import FeatureCollection
from honua.geo.reproject import transform_bounds

CURRENT_VERSION = 11.3
FULL_VERSION = "11.3.0"
INPUT, OUTPUT = "esriGPParameterDirectionInput", "esriGPParameterDirectionOutput"
REQUIRED, OPTIONAL = "esriGPParameterTypeRequired", "esriGPParameterTypeOptional"
DERIVED = "esriGPParameterTypeDerived"

JOB_STATUS = {
    JobStatus.ACCEPTED: "esriJobNew", JobStatus.SUBMITTED: "esriJobSubmitted",
    JobStatus.WAITING: "esriJobWaiting", JobStatus.RUNNING: "esriJobExecuting",
    JobStatus.SUCCEEDED: "esriJobSucceeded", JobStatus.FAILED: "esriJobFailed",
    JobStatus.TIMED_OUT: "esriJobTimedOut", JobStatus.CANCELLING: "esriJobCancelling",
    JobStatus.CANCELLED: "esriJobCancelled", JobStatus.DISMISSED: "esriJobDeleted",
}
MESSAGE_TYPE = {
    MessageLevel.INFO: "esriJobMessageTypeInformative",
    MessageLevel.DEBUG: "esriJobMessageTypeInformative",
    MessageLevel.WARNING: "esriJobMessageTypeWarning",
    MessageLevel.ERROR: "esriJobMessageTypeError",
}
FileUrl = Callable[[str], str]


# -- catalog ------------------------------------------------------------------------------------
def info(auth_info: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"currentVersion": CURRENT_VERSION, "fullVersion": FULL_VERSION,
            "authInfo": dict(auth_info or {"isTokenBasedSecurity": False})}


def catalog(catalog: Catalog, folder: str) -> dict[str, Any]:
    return {
        "currentVersion": CURRENT_VERSION,
        "folders": [] if folder else catalog.folders,
        "services": [{"name": s.path, "type": "GPServer"} for s in catalog.services_in(folder)],
    }


def service(service: Service, *, uploads: bool) -> dict[str, Any]:
    return {
        "currentVersion": CURRENT_VERSION,
        "serviceDescription": service.description,
        "tasks": list(service.tasks),
        "executionType": service.execution_type,
        "resultMapServerName": "",
        "maximumRecords": service.maximum_records,
        "capabilities": "Uploads" if uploads else "",
    }


def _empty_set(parameter: Parameter) -> dict[str, Any]:
    if gptypes.is_table(parameter):
        return {"displayFieldName": "", "fields": featureset.schema(None), "features": [],
                "exceededTransferLimit": False}
    document: dict[str, Any] = {"displayFieldName": ""}
    kinds = gptypes.geometry_types(parameter)
    if len(kinds) == 1:
        document["geometryType"] = kinds[0]
    document.update(spatialReference=spatialref.write(spatialref.from_wkid(4326)),
                    fields=featureset.schema(None), features=[], exceededTransferLimit=False)
    return document


def default_value(parameter: Parameter) -> Any:
    """A parameter's default in its input encoding; empty feature sets carry the schema."""
    if parameter.data_type in (DataType.FEATURES, DataType.GEOMETRY):
        return [] if parameter.multiple else _empty_set(parameter)
    if parameter.default is None:
        return None
    try:
        converted = parameter.convert(parameter.default)
    except Exception:  # an odd default is shown as declared rather than hidden
        return parameter.default
    return value(parameter, converted, Environment(), 1, lambda _: "")


def parameter(param: Parameter, *, output: bool, name: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name or param.name,
        "dataType": gptypes.data_type(param),
        "displayName": param.title or param.name,
        "description": param.description,
        "direction": OUTPUT if output else INPUT,
        "defaultValue": default_value(param),
        "parameterType": DERIVED if output else REQUIRED if param.required else OPTIONAL,
        "category": param.category,
    }
    if param.allowed_values:
        entry["choiceList"] = [str(_plain(v)) for v in param.allowed_values]
    kinds = gptypes.geometry_types(param)
    if kinds:
        entry["filter"] = {"type": "featureClass", "list": list(kinds)}
    return entry


def task(task: Task, description: ProcessDescription) -> dict[str, Any]:
    params = [parameter(p, output=False) for p in description.inputs]
    params += [parameter(p, output=True, name=task.output_name(p.name)) for p in description.outputs]
    return {
        "name": task.name,
        "displayName": description.title,
        "description": description.description,
        "category": description.category,
        "helpUrl": "",
        "executionType": task.execution_type,
        "parameters": params,
    }


# -- values -------------------------------------------------------------------------------------
def _plain(item: Any) -> Any:
    return item.value if isinstance(item, enum.Enum) else item


def _epoch_ms(value: dt.datetime) -> int:
    stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return int(round((stamp - featureset.EPOCH).total_seconds() * 1000))


def _features(param: Parameter, item: Any, env: Environment, maximum_records: int) -> Any:
    return write_features(param, item, env.encoding(maximum_records))


def _envelope(item: Envelope, env: Environment) -> dict[str, Any]:
    box: tuple[float, float, float, float] = (item.minx, item.miny, item.maxx, item.maxy)
    crs = item.crs
    if env.out_sr is not None:
        box, crs = transform_bounds(box, crs, env.out_sr), env.out_sr
    return {"xmin": box[0], "ymin": box[1], "xmax": box[2], "ymax": box[3],
            "spatialReference": spatialref.write(crs)}


def _one(param: Parameter, item: Any, env: Environment, maximum_records: int,
         file_url: FileUrl) -> Any:
    if isinstance(item, EsriFeatures):  # written by the worker as this answer asks
        return orjson.Fragment(item.data)
    item = _plain(item)
    if item is None:
        return None
    if isinstance(item, FeatureCollection | Geometry):
        return _features(param, item, env, maximum_records)
    if isinstance(item, LinearUnit):
        return gptypes.write_linear(item)
    if isinstance(item, ArealUnit):
        return gptypes.write_areal(item)
    if isinstance(item, dt.datetime):
        return _epoch_ms(item)
    if isinstance(item, Envelope):
        return _envelope(item, env)
    if isinstance(item, SpatialReference):
        return spatialref.write(item.crs)
    if isinstance(item, File):
        return {"url": file_url(param.name)}
    if param.data_type is DataType.DOUBLE and isinstance(item, int):
        return float(item)
    return item


def value(param: Parameter, item: Any, env: Environment, maximum_records: int,
          file_url: FileUrl) -> Any:
    """A core value in GP encoding (output and input encodings coincide)."""
    if isinstance(item, list | tuple) and param.data_type is not DataType.ENVELOPE:
        return [_one(param, v, env, maximum_records, file_url) for v in item]
    return _one(param, item, env, maximum_records, file_url)


def result(param: Parameter, item: Any, env: Environment, maximum_records: int,
           file_url: FileUrl, name: str | None = None) -> dict[str, Any]:
    return {"paramName": name or param.name, "dataType": gptypes.data_type(param),
            "value": value(param, item, env, maximum_records, file_url)}


# -- runs and jobs ------------------------------------------------------------------------------
def messages(items: Iterable[Message]) -> list[dict[str, str]]:
    return [{"type": MESSAGE_TYPE.get(m.level, MESSAGE_TYPE[MessageLevel.INFO]),
             "description": m.text} for m in items]


def execute(task: Task, description: ProcessDescription, outputs: Mapping[str, Any],
            run_messages: Iterable[Message], env: Environment, maximum_records: int,
            file_url: FileUrl) -> dict[str, Any]:
    results = [result(p, outputs[p.name], env, maximum_records, file_url,
                      task.output_name(p.name))
               for p in description.outputs if p.name in outputs]
    return {"results": results, "messages": messages(run_messages)}


def over_limit(task: Task, description: ProcessDescription, outputs: Mapping[str, Any],
               maximum_records: int) -> dict[str, int]:
    """Output name (as the task calls it) -> feature count, for each feature output written
    empty because it holds more than ``maximum_records`` features."""
    found: dict[str, int] = {}
    for param in description.outputs:
        value = outputs.get(param.name)
        items = value if isinstance(value, list | tuple) else [value]
        counts = [len(v) for v in items if isinstance(v, FeatureCollection | EsriFeatures)]
        if any(count > maximum_records for count in counts):
            found[task.output_name(param.name)] = max(counts)
    return found


def limit_warning(name: str, count: int, maximum_records: int, url: str) -> dict[str, str]:
    """The warning that goes with a feature set left empty by the transfer limit: it names
    the limit and links to the whole result, so a client is never told a bare "Succeeded"."""
    return {"type": MESSAGE_TYPE[MessageLevel.WARNING],
            "description": f"Output {name!r} has {count} features, more than this service's "
                           f"maximumRecords ({maximum_records}), so the feature set in this "
                           f"answer is empty (exceededTransferLimit); the whole result: {url}"}


def _progress(job: Job) -> dict[str, Any]:
    if job.progress > 0:
        return {"type": "step", "message": job.message or "Executing...",
                "percent": int(job.progress)}
    return {"type": "default", "message": job.message or "Executing..."}


def job(job: Job, task: Task, description: ProcessDescription,
        job_messages: Iterable[Message] | None) -> dict[str, Any]:
    """The job resource; ``results`` once it succeeded, paramUrls relative to the job."""
    document: dict[str, Any] = {"jobId": job.id, "jobStatus": JOB_STATUS[job.status]}
    if job.status is JobStatus.SUCCEEDED:
        document["results"] = {task.output_name(p.name): {
            "paramUrl": f"results/{task.output_name(p.name)}"} for p in description.outputs}
    document["inputs"] = {p.name: {"paramUrl": f"inputs/{p.name}"} for p in description.inputs}
    if job.status is JobStatus.RUNNING:
        document["progress"] = _progress(job)
    document["messages"] = messages(job_messages or ())
    if document["messages"] and job.started is not None:  # which tier ran it (core.tiers)
        document["messages"].append({"type": MESSAGE_TYPE[MessageLevel.INFO],
                                     "description": f"Tier: {shown(job.tier)}"})
    return document
