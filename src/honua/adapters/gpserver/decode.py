"""GP requests -> core inputs and options (pure functions).

Parameters arrive from the query string or a form-encoded body (the body
wins), names already percent-decoded (``env%3AoutSR`` -> ``env:outSR``). Each
value is a literal (``Count=345``, ``Name=abc``) or JSON text
(``Distance={"distance":100,"units":"esriMeters"}``); an empty value means
"not given", as the ArcGIS API for Python sends ``None``. Request
parameters that are not inputs of the task are ignored, as ArcGIS does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import orjson
import shapely
from pyproj import CRS

from honua.adapters.gpserver import gptypes
from honua.core import esri_values
from honua.core.description import ProcessDescription
from honua.core.json_text import JSONText, members
from honua.core.parameters import DataType, Parameter
from honua.core.references import UploadReference, is_reference
from honua.core.requests import ExecutionOptions, LayerRegistration, Mode, OutputRequest
from honua.core.tiers import pinned_tier
from honua.core.values import Envelope, File, Geometry, SpatialReference
from honua.errors import InvalidParameter, NotSupported
from honua.geo.esrijson import featureset, spatialref
from honua.geo.esrijson import geometry as esrigeom
from honua.geo.features import FeatureCollection
from honua.geo.precision import parse_decimals
from honua.geo.reproject import to_crs, transform, transform_bounds
from honua.web.json_body import DEFAULT_MAX_DEPTH, TEXT_VALUE_BYTES, check_depth
from honua.web.literals import parse_literal
from honua.web.own_urls import reference_from_url

FORMATS = ("json", "pjson", "html")


class Uploads(Protocol):
    """Where ``{"itemID": ...}`` data-file inputs come from (the shared upload store)."""

    def file(self, item_id: str) -> File: ...


def merge(query: Iterable[tuple[str, str]], body: Iterable[tuple[str, str]]) -> dict[str, str]:
    """One parameter dict from the query string and the form body; the body wins."""
    params = dict(query)
    params.update(body)
    return params


FILE_FORMATS = ("geojson", "kmz")
RESULT_FORMATS = (*FORMATS, *FILE_FORMATS)
"""A GP result also answers ``f=geojson`` and ``f=kmz`` (as ArcGIS's does, for feature
results): a file to download."""


def response_format(params: Mapping[str, str], default: str = "html",
                    allowed: tuple[str, ...] = FORMATS) -> str:
    f = (params.get("f") or default).strip().lower()
    if f in FILE_FORMATS and f in allowed:
        return f
    if f not in FORMATS:
        raise InvalidParameter(f"format f={f!r} is not supported; use f=json, f=pjson or f=html",
                               parameter="f")
    return f


def flag(params: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = params.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise InvalidParameter(f"{name} must be true or false, got {params[name]!r}", parameter=name)


def parse_json(raw: str, name: str) -> Any:
    try:
        check_depth(raw, DEFAULT_MAX_DEPTH, f"parameter {name!r}")
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"parameter {name!r} is not valid JSON ({exc}); structured values "
                               'are JSON text, e.g. {"distance": 100, "units": "esriMeters"}',
                               parameter=name) from None
    except InvalidParameter as exc:
        raise InvalidParameter(exc.message, parameter=name) from None


def _literal(raw: str, name: str) -> Any:
    """JSON for objects, arrays and quoted text; otherwise a plain scalar as sent."""
    text = raw.strip()
    if text[:1] in ("{", "[", '"'):
        return parse_json(text, name)
    return text


# -- environment ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Environment:
    """Where the work is done and how results come back."""

    out_sr: CRS | None = None
    process_sr: CRS | None = None
    extent: Envelope | None = None
    return_z: bool = False
    return_m: bool = False
    return_feature_collection: bool = False
    precision: int | None = None
    """Decimals of output coordinates asked (``geometryPrecision``, as FeatureServer
    queries take it); None = 7 in degrees, 3 in metres (``geo.precision``)."""

    def encoding(self, maximum_records: int) -> esri_values.EsriEncoding:
        """How the worker writes feature outputs for this answer (``core.esri_outputs``)."""
        return esri_values.EsriEncoding(
            out_sr=spatialref.write(self.out_sr) if self.out_sr is not None else None,
            return_z=self.return_z, precision=self.precision,
            feature_collection=self.return_feature_collection,
            maximum_records=maximum_records)

    def hints(self) -> dict[str, Any]:
        """What a job must remember to answer its results later in the requested shape."""
        target = self.out_sr or self.process_sr
        return {"outSR": spatialref.write(target) if target is not None else None,
                "returnZ": self.return_z, "returnM": self.return_m,
                "returnFeatureCollection": self.return_feature_collection}


def _sr(value: Any, name: str) -> CRS | None:
    if value is None or value == "":
        return None
    try:
        return spatialref.read(value)
    except InvalidParameter as exc:
        raise InvalidParameter(f"{name}: {exc.message}", parameter=name) from None


def _extent(value: Any) -> Envelope | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidParameter("context.extent must be an envelope object {xmin, ymin, xmax, ymax, "
                               "spatialReference}", parameter="context")
    return read_envelope(value, "context.extent", None)


def environment(params: Mapping[str, str], *, results: bool = False) -> Environment:
    """``env:outSR``/``env:processSR``, ``context`` (which wins), ``outSR`` and the return flags."""
    out_sr = _sr(params.get("env:outSR"), "env:outSR")
    process_sr = _sr(params.get("env:processSR"), "env:processSR")
    if results:
        out_sr = _sr(params.get("outSR"), "outSR") or out_sr
    extent = None
    if params.get("context", "").strip():
        context = parse_json(params["context"], "context")
        if not isinstance(context, Mapping):
            raise InvalidParameter("context must be a JSON object with outSR, processSR, extent",
                                   parameter="context")
        out_sr = _sr(context.get("outSR"), "context.outSR") or out_sr
        process_sr = _sr(context.get("processSR"), "context.processSR") or process_sr
        extent = _extent(context.get("extent"))
    return Environment(out_sr, process_sr, extent, flag(params, "returnZ"),
                       flag(params, "returnM"), flag(params, "returnFeatureCollection"),
                       parse_decimals(params.get("geometryPrecision"), name="geometryPrecision"))


def stored_environment(hints: Mapping[str, Any], params: Mapping[str, str]) -> Environment:
    """A job's remembered result shape, overridden by what a results request asks."""
    remembered = hints or {}
    asked = environment(params, results=True)
    out_sr = asked.out_sr or (_sr(remembered["outSR"], "outSR") if remembered.get("outSR")
                              else None)
    return Environment(
        out_sr=out_sr,
        return_z=flag(params, "returnZ", bool(remembered.get("returnZ"))),
        return_m=flag(params, "returnM", bool(remembered.get("returnM"))),
        return_feature_collection=flag(params, "returnFeatureCollection",
                                       bool(remembered.get("returnFeatureCollection"))),
        precision=asked.precision)


def options(mode: Mode, env: Environment, service: str, task: str,
            outputs: Mapping[str, OutputRequest] | None = None,
            params: Mapping[str, str] | None = None) -> ExecutionOptions:
    """``execute`` asks for the results (``Mode.SYNC``), ``submitJob`` for a job; either is
    insisted on, as ArcGIS Server refuses the other operation of a task. A ``tier`` form
    field pins the tier (``core.tiers``)."""
    tier = pinned_tier((params or {}).get("tier"))
    return ExecutionOptions(mode=mode, strict=True, outputs=outputs or {}, tier=tier,
                            hints={"gpserver": {**env.hints(), "service": service, "task": task}},
                            origins=url_origins(params or {}))


def url_origins(params: Mapping[str, str]) -> dict[str, Any]:
    """The URL of each parameter given as ``{"url": ...}`` (a layer of this server), for
    the ledger beside the layer the core reads. Cheap: only values that can be one are
    parsed, and the decoders have already refused any that is not."""
    out: dict[str, Any] = {}
    for name, text in params.items():
        if not (isinstance(text, str) and text.lstrip().startswith("{") and '"url"' in text):
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, Mapping) and isinstance(value.get("url"), str):
            out[name] = {"url": value["url"][:2048]}
    return out


def registered_outputs(params: Mapping[str, str],
                       description: ProcessDescription) -> dict[str, OutputRequest]:
    """``esri_out_feature_service_name`` (+ ``_overwrite``): keep the first feature output as
    a catalog layer of that name, as ArcGIS publishes a hosted feature layer."""
    name = (params.get("esri_out_feature_service_name") or "").strip()
    if not name:
        return {}
    if name.startswith("\""):  # a JSON string, as some clients send every value
        with contextlib.suppress(ValueError):
            name = str(orjson.loads(name))
    target = next((p.name for p in description.outputs if p.data_type is DataType.FEATURES), None)
    if target is None:
        raise InvalidParameter(f"esri_out_feature_service_name: task {description.id!r} has no "
                               "feature output to publish", parameter="esri_out_feature_service_name")
    overwrite = (params.get("esri_out_feature_service_overwrite") or "").strip().lower()
    try:
        registration = LayerRegistration(name, title=name, overwrite=overwrite in ("true", "1"))
    except InvalidParameter as exc:
        raise InvalidParameter(f"esri_out_feature_service_name: {exc.message}",
                               parameter="esri_out_feature_service_name") from None
    return {target: OutputRequest(register_as=registration)}


# -- values ---------------------------------------------------------------------------------
def read_envelope(value: Mapping[str, Any], where: str, default: CRS | None) -> Envelope:
    sr = value.get("spatialReference") or value.get("spatial_reference")
    crs = (_sr(sr, where) if sr else None) or default or spatialref.from_wkid(4326)
    try:
        xmin, ymin, xmax, ymax = (float(value[k]) for k in ("xmin", "ymin", "xmax", "ymax"))
        return Envelope(xmin, ymin, xmax, ymax, crs=crs)
    except (KeyError, TypeError, ValueError):
        raise InvalidParameter(f"{where}: an extent needs numeric xmin, ymin, xmax, ymax") from None


def _date(value: Any, where: str) -> Any:
    if isinstance(value, Mapping):
        value = value.get("date")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return featureset.EPOCH + dt.timedelta(milliseconds=value)
    if isinstance(value, str):
        return value
    raise InvalidParameter(f"{where}: a date is epoch milliseconds (e.g. 1199145600000) or ISO "
                           "8601 text")


def _uploads(where: str, uploads: Uploads | None) -> Uploads:
    if uploads is None:
        raise NotSupported(f"{where}: this server keeps no uploads to take an itemID from")
    return uploads


def _reference(value: Mapping[str, Any], where: str, base: str) -> Any:
    """``{"itemID"}`` / ``{"url"}`` of this server's own collection as a core reference."""
    if "itemID" in value:
        if not isinstance(value["itemID"], str) or not value["itemID"]:
            raise InvalidParameter(f"{where}: itemID must be the id uploads/upload returned")
        return UploadReference(value["itemID"])
    reference = reference_from_url(str(value["url"]), base)
    if reference is None:
        raise NotSupported(f"{where}: features given by URL ({value['url']!r}) are fetched only "
                           "from this server's own collections (<server>/api/collections/<id>/"
                           "items); send the feature set inline, or upload it and pass "
                           '{"itemID": ...}')
    return reference


def _features(parameter: Parameter, value: Any, where: str, base: str) -> Any:
    if isinstance(value, Mapping) and "features" not in value and "featureSet" not in value and (
            "itemID" in value or "url" in value):
        if parameter.data_type is DataType.GEOMETRY:
            raise NotSupported(f"{where} takes one geometry inline, not an upload or a layer")
        return _reference(value, where, base)
    return esri_values.read_features(parameter, value, where)


def _file(value: Any, where: str, uploads: Uploads | None) -> File:
    if isinstance(value, Mapping) and "itemID" in value:
        return _uploads(where, uploads).file(str(value["itemID"]))
    if isinstance(value, Mapping) and "url" in value:
        raise NotSupported(f"{where}: files given by URL are not fetched by this server; upload "
                           'the file (uploads/upload) and pass {"itemID": ...}')
    raise InvalidParameter(f"{where}: a data file is {{\"itemID\": \"<id of an upload>\"}}")


def _one(parameter: Parameter, value: Any, where: str, uploads: Uploads | None,
         base: str) -> Any:
    kind = parameter.data_type
    if kind is DataType.STRING and isinstance(value, dict | list):
        return orjson.dumps(value).decode()  # structured text stays its JSON
    if kind is DataType.STRING:
        return value
    if kind is DataType.DATETIME:
        return _date(value, where)
    if kind is DataType.LINEAR_UNIT:
        return gptypes.read_linear(value, where)
    if kind is DataType.AREAL_UNIT:
        return gptypes.read_areal(value, where)
    if kind in (DataType.FEATURES, DataType.GEOMETRY):
        return _features(parameter, value, where, base)
    if kind is DataType.ENVELOPE:
        if not isinstance(value, Mapping):
            raise InvalidParameter(f"{where}: an extent is {{xmin, ymin, xmax, ymax, "
                                   "spatialReference}")
        return read_envelope(value, where, None)
    if kind is DataType.SPATIAL_REFERENCE:
        crs = _sr(value, where)
        if crs is None:
            raise InvalidParameter(f'{where}: a spatial reference is {{"wkid": n}} or '
                                   '{"wkt": "..."}, not empty', parameter=parameter.name)
        return SpatialReference(crs)
    if kind is DataType.FILE:
        return _file(value, where, uploads)
    if isinstance(value, str):  # numbers and booleans sent as text (Count=345)
        return parse_literal(kind, value, parameter.name)
    return value


def read_value(parameter: Parameter, raw: str, uploads: Uploads | None = None,
               base: str = "") -> Any:
    """The core value of one input from its wire text (None when not given).

    Features given as ``{"itemID"}`` or as a URL of this server's own collection
    become core references (``UploadReference``/``LayerReference``), read by the core.
    """
    if raw.strip() == "":
        return None
    where = f"input {parameter.name!r}"
    if parameter.data_type is DataType.STRING and not parameter.multiple:
        return raw
    value = _literal(raw, parameter.name)
    try:
        if parameter.multiple:
            items = value if isinstance(value, list) else [value]
            return [_one(parameter, item, f"{where} item {i}", uploads, base)
                    for i, item in enumerate(items)]
        return _one(parameter, value, where, uploads, base)
    except InvalidParameter as exc:
        exc.parameter = exc.parameter or parameter.name
        raise


# -- environment applied to inputs ------------------------------------------------------------
def _array(shape: Any) -> np.ndarray:
    out = np.empty(1, dtype=object)
    out[0] = shape
    return out


def _in_process_sr(value: Any, target: CRS | None) -> Any:
    if target is None:
        return value
    if isinstance(value, FeatureCollection):
        return to_crs(value, target)
    if isinstance(value, Geometry):
        return Geometry(transform(_array(value.shape), value.crs, target)[0], target)
    if isinstance(value, Envelope):
        box = transform_bounds((value.minx, value.miny, value.maxx, value.maxy), value.crs, target)
        return Envelope(*box, crs=target)
    return value


def _within(value: Any, extent: Envelope | None) -> Any:
    if extent is None or not isinstance(value, FeatureCollection):
        return value
    box = transform_bounds((extent.minx, extent.miny, extent.maxx, extent.maxy), extent.crs,
                           value.crs)
    return value.take(shapely.intersects(value.geometry, shapely.box(*box)))


def apply_environment(value: Any, env: Environment) -> Any:
    """An input moved into the processing CRS and cut to the processing extent."""
    if isinstance(value, list):
        return [apply_environment(v, env) for v in value]
    return _within(_in_process_sr(value, env.process_sr), env.extent)


def needs_features(value: Any, env: Environment) -> bool:
    """Whether a reference must be read now, for processSR or extent to apply to it."""
    items = value if isinstance(value, list) else [value]
    return (env.process_sr is not None or env.extent is not None) and any(
        is_reference(v) for v in items)


def read_text(parameter: Parameter, raw: str, env: Environment,
              text_bytes: int = TEXT_VALUE_BYTES) -> JSONText | None:
    """A big inline feature set left as text (``core.esri_values``): decoded, bound and
    vertex-checked in the worker, never as Python objects in this process. None for
    anything else -- small values, several values, references, or an environment
    (``processSR``, ``extent``) that must be applied to the features here."""
    if (parameter.data_type not in esri_values.FEATURE_TYPES or parameter.multiple
            or len(raw) <= text_bytes or env.process_sr is not None or env.extent is not None):
        return None
    text = raw.strip().encode()
    if not text.startswith(b"{"):
        return None  # not a feature set: refused by the usual reading, with its words
    try:
        check_depth(text, DEFAULT_MAX_DEPTH, f"parameter {parameter.name!r}")
        keys = members(text, f"input {parameter.name!r}")
    except InvalidParameter as exc:
        raise InvalidParameter(exc.message, parameter=parameter.name) from None
    inline = "features" in keys or "featureSet" in keys or (
        parameter.data_type is DataType.GEOMETRY and esrigeom.kind_of(keys) is not None)
    return esri_values.wrap_input(text) if inline else None


def read_inputs(description: ProcessDescription, params: Mapping[str, str], env: Environment,
                uploads: Uploads | None = None, base: str = "",
                text_bytes: int = TEXT_VALUE_BYTES) -> dict[str, Any]:
    """Core inputs of a task from the request: given inputs only, in the processing CRS
    (references stay references: see ``needs_features``; big inline feature sets stay
    text: see ``read_text``)."""
    inputs: dict[str, Any] = {}
    for parameter in description.inputs:
        raw = params.get(parameter.name)
        if raw is None:
            continue
        text = read_text(parameter, raw, env, text_bytes)
        if text is not None:
            inputs[parameter.name] = text
            continue
        value = read_value(parameter, raw, uploads, base)
        if value is None:
            continue
        inputs[parameter.name] = value if needs_features(value, env) else \
            apply_environment(value, env)
    return inputs
