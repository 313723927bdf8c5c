"""Layer and upload references as process inputs, resolved by the core for every protocol.

A client may give a feature-collection input as a *reference* instead of the
features: a ``LayerReference`` to a catalog collection (with an optional CQL2
filter, bbox and properties) or an ``UploadReference`` to a two-step upload.
Adapters only build these values (from ``{"layerReference": ...}``, from a
URL of this server's own ``/collections/{id}/items`` (``honua.web.own_urls``), from ``{"uploadId"}`` /
``{"itemID"}``); the ``ReferenceResolver`` checks the caller's right to read,
validates the filter against the layer's queryables, and reads the features
with the filter pushed down into the store.

``can_read`` is the single place where tenant and role rules plug in; today
every caller may read every configured layer. An anonymous caller admitted only
for public processes (``Viewer.public_only``) may reference no layer or upload
and register no output: those need credentials, as the collections and uploads
themselves do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from pygeofilter import ast as nodes
from pygeofilter import values

from honua.core.catalog import (
    FeatureQuery,
    LayerInfo,
    check_filter,
    check_layer_id,
    check_properties,
    parse_filter,
)
from honua.core.invoke import bind_inputs, known_inputs
from honua.core.parameters import DataType
from honua.core.requests import ExecutionOptions, LayerRegistration
from honua.core.tenancy import current_viewer
from honua.errors import (
    Conflict,
    Forbidden,
    InvalidParameter,
    NotFound,
    NotSupported,
    Unauthenticated,
)
from honua.geo.features import FeatureCollection
from honua.geo.filter_limits import DEFAULT_LIMITS, FilterLimits

if TYPE_CHECKING:
    from honua.core.description import ProcessDescription
    from honua.types import Catalog

__all__ = ["LayerReference", "LayerService", "ReferenceResolver", "UploadReference", "can_read",
           "is_reference", "layer_references"]


def _bbox(value: Any) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    try:
        numbers = [float(v) for v in value]
    except (TypeError, ValueError):
        raise InvalidParameter("bbox must be 4 numbers: minx, miny, maxx, maxy (lon/lat)",
                               parameter="bbox") from None
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if (len(numbers) != 4 or not all(math.isfinite(n) for n in numbers)
            or numbers[1] > numbers[3]):
        raise InvalidParameter("bbox must be 4 numbers: minx, miny, maxx, maxy with miny <= maxy "
                               "(minx > maxx spans the antimeridian)", parameter="bbox")
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def _bbox_query(ast: Any, bbox: tuple[float, float, float, float] | None) -> tuple[Any, Any]:
    """A bbox whose west edge is east of its east edge spans the antimeridian (OGC API -
    Features, /req/core/fc-bbox-definition): it becomes an intersects test with its two
    halves, ANDed to the filter."""
    if bbox is None or bbox[0] <= bbox[2]:
        return ast, bbox
    west, south, east, north = bbox
    halves = [[[[west, south], [180.0, south], [180.0, north], [west, north], [west, south]]],
              [[[-180.0, south], [east, south], [east, north], [-180.0, north],
                [-180.0, south]]]]
    test = nodes.GeometryIntersects(nodes.Attribute("geometry"),
                                    values.Geometry({"type": "MultiPolygon",
                                                     "coordinates": halves}))
    return (test if ast is None else nodes.And(ast, test)), None


@dataclass(frozen=True)
class LayerReference:
    """Features of catalog collection ``collection_id`` selected by filter/bbox/properties."""

    collection_id: str
    filter: Any = None
    """CQL2 text (a string) or CQL2 JSON (an object)."""
    filter_lang: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    """In CRS84 (lon/lat)."""
    properties: tuple[str, ...] | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        check_layer_id(self.collection_id)
        object.__setattr__(self, "bbox", _bbox(self.bbox))
        if self.properties is not None:
            if isinstance(self.properties, str):
                object.__setattr__(self, "properties", tuple(
                    p.strip() for p in self.properties.split(",") if p.strip()))
            else:
                object.__setattr__(self, "properties", tuple(str(p) for p in self.properties))
        if self.limit is not None and (not isinstance(self.limit, int) or isinstance(
                self.limit, bool) or self.limit < 0):
            raise InvalidParameter(f"limit must be a positive integer, got {self.limit!r}",
                                   parameter="limit")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"collectionId": self.collection_id}
        for key, value in (("filter", self.filter), ("filter-lang", self.filter_lang),
                           ("bbox", list(self.bbox) if self.bbox else None),
                           ("properties", list(self.properties) if self.properties is not None
                            else None), ("limit", self.limit)):
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: Any) -> LayerReference:
        """From ``"collection-id"`` or ``{"collectionId", "filter", "filter-lang", "bbox",
        "properties", "limit"}``."""
        if isinstance(data, LayerReference):
            return data
        if isinstance(data, str):
            return cls(data)
        if not isinstance(data, Mapping) or not isinstance(data.get("collectionId"), str):
            raise InvalidParameter('a layer reference is "collection-id" or {"collectionId": '
                                   '"...", "filter": ..., "bbox": [...], "properties": [...]}')
        unknown = set(data) - {"collectionId", "filter", "filter-lang", "filterLang", "bbox",
                               "properties", "limit"}
        if unknown:
            raise InvalidParameter(f"a layer reference has no member {sorted(unknown)[0]!r}")
        return cls(data["collectionId"], data.get("filter"),
                   data.get("filter-lang") or data.get("filterLang"), data.get("bbox"),
                   data.get("properties"), data.get("limit"))

    def query(self, layer: LayerInfo, limits: FilterLimits = DEFAULT_LIMITS) -> FeatureQuery:
        """The checked query for ``layer`` (unknown properties, bad or too large filters
        refused)."""
        ast, bbox = _bbox_query(check_filter(parse_filter(self.filter, self.filter_lang, limits),
                                             layer), self.bbox)
        return FeatureQuery(filter=ast, bbox=bbox,
                            properties=check_properties(self.properties, layer), limit=self.limit)


@dataclass(frozen=True)
class UploadReference:
    """The features of a two-step upload (``{"uploadId"}`` / GPServer ``{"itemID"}``)."""

    upload_id: str

    def to_json(self) -> dict[str, Any]:
        return {"uploadId": self.upload_id}


def is_reference(value: Any) -> bool:
    return isinstance(value, LayerReference | UploadReference)


def layer_references(value: Any) -> list[LayerReference] | None:
    """The layer references ``value`` is: one, or a non-empty list of nothing else (a
    multi-layer input such as intersect's ``layers``, which tier 2 reads where the layers
    live, as it does a single one); None for anything else (inline data, a mixed list)."""
    items = value if isinstance(value, list) else [value]
    if items and all(isinstance(v, LayerReference) for v in items):
        return items
    return None


def can_read(layer: LayerInfo, owner: str, tenant: str) -> bool:
    """Whether ``owner`` of ``tenant`` may read ``layer``: where tenant rules plug in.

    Configured layers are everyone's; a layer a job registered belongs to the job's
    tenant (and to the admins viewing the current request).
    """
    viewer = current_viewer()
    return not layer.registered or layer.tenant == tenant or (viewer is not None and viewer.admin)


def check_credentials(what: str) -> None:
    """Refuse ``what`` (layer references, uploads, registrations) to a public-only caller."""
    viewer = current_viewer()
    if viewer is not None and viewer.public_only:
        raise Unauthenticated(f"{what} need credentials: anonymous callers may run this "
                              "server's public processes on inline inputs only; send an API "
                              "key, a bearer token, or for ArcGIS clients a token")


class UploadReader(Protocol):
    """What the resolver needs of the upload store (``honua.store.uploads.UploadStore``)."""

    def get(self, upload_id: str, *, owner: str | None = None,
            tenant: str | None = None) -> Any: ...

    def read_features(self, upload: Any) -> FeatureCollection: ...


class ReferenceResolver:
    """Checks and reads references for the job manager (see the module docstring)."""

    def __init__(self, catalog: Catalog, uploads: UploadReader | None = None,
                 filter_limits: FilterLimits = DEFAULT_LIMITS) -> None:
        self.catalog = catalog
        self.uploads = uploads
        self.filter_limits = filter_limits

    def check(self, reference: LayerReference, owner: str = "", tenant: str = ""
              ) -> tuple[LayerInfo, FeatureQuery]:
        """The layer and checked query; NoSuchLayer, Forbidden or InvalidParameter."""
        check_credentials("layer references")
        layer = self.catalog.get(reference.collection_id)
        if not can_read(layer, owner, tenant):
            raise Forbidden(f"you may not read collection {reference.collection_id!r}")
        return layer, reference.query(layer, self.filter_limits)

    def read(self, value: LayerReference | UploadReference, owner: str = "",
             tenant: str = "") -> FeatureCollection:
        if isinstance(value, UploadReference):
            check_credentials("upload references")
            if self.uploads is None:
                raise NotSupported("this server has no upload store")
            upload = self.uploads.get(value.upload_id, owner=owner, tenant=tenant)
            return self.uploads.read_features(upload)
        layer, query = self.check(value, owner, tenant)
        return self.catalog.read(layer.id, query)

    def chunks(self, reference: LayerReference, chunk_size: int, owner: str = "",
               tenant: str = "") -> Iterator[FeatureCollection]:
        layer, query = self.check(reference, owner, tenant)
        return self.catalog.iter_chunks(layer.id, query, chunk_size)

    def count(self, reference: LayerReference, owner: str = "", tenant: str = "") -> int:
        layer, query = self.check(reference, owner, tenant)
        found = self.catalog.count(layer.id, query)
        return min(found, query.limit) if query.limit is not None else found

    def resolve_inputs(self, description: ProcessDescription, raw: Mapping[str, Any], *,
                       owner: str = "", tenant: str = "", keep: Sequence[str] = ()
                       ) -> dict[str, Any]:
        """``raw`` with every reference replaced by its features (those named in ``keep``
        are only checked, and stay references for a chunked run)."""
        out = dict(raw)
        for name, value in raw.items():
            items = value if isinstance(value, list) else [value]
            if not any(is_reference(v) for v in items):
                continue
            parameter = description.input(name)
            if parameter is None:
                continue  # bind_inputs reports the unknown input
            if parameter.data_type is not DataType.FEATURES:
                raise InvalidParameter(
                    f"input {name!r} is {parameter.data_type.value}, not a feature collection; "
                    "layer and upload references are accepted only by feature inputs",
                    parameter=name)
            try:
                if name in keep and layer_references(value) is not None:
                    for reference in items:
                        self.check(reference, owner, tenant)
                    continue
                resolved = [self.read(v, owner, tenant) if is_reference(v) else v for v in items]
            except (InvalidParameter, NotFound) as exc:
                # an unknown layer or upload is a bad input of this request, not a missing page
                raise InvalidParameter(f"input {name!r}: {exc.message}", parameter=name) from None
            out[name] = resolved if isinstance(value, list) else resolved[0]
        return out


@dataclass(frozen=True)
class Registration:
    """An output to be kept as a catalog layer, with the server's time-to-live applied."""

    collection_id: str
    title: str
    description: str
    ttl: dt.timedelta
    overwrite: bool


class LayerService(ReferenceResolver):
    """The job manager's one hook into the catalog: input references, chunked runs, outputs
    registered as layers (``registerAs`` in an output's options)."""

    def __init__(self, catalog: Catalog, uploads: UploadReader | None = None, *,
                 default_ttl: dt.timedelta = dt.timedelta(days=7),
                 max_ttl: dt.timedelta = dt.timedelta(days=365), chunk_size: int = 50000,
                 filter_limits: FilterLimits = DEFAULT_LIMITS) -> None:
        super().__init__(catalog, uploads, filter_limits)
        self.default_ttl = default_ttl
        self.max_ttl = max_ttl
        self.chunk_size = chunk_size

    @classmethod
    def from_settings(cls, catalog: Catalog, uploads: UploadReader | None,
                      settings: Any) -> LayerService:
        return cls(catalog, uploads,
                   default_ttl=dt.timedelta(hours=settings.layer_default_ttl_hours),
                   max_ttl=dt.timedelta(hours=settings.layer_max_ttl_hours),
                   chunk_size=settings.chunk_features,
                   filter_limits=FilterLimits.from_settings(settings))

    # -- inputs ---------------------------------------------------------------------------------
    @staticmethod
    def chunk_input(description: ProcessDescription, raw: Mapping[str, Any]) -> str | None:
        """The input a feature-wise process can take chunk by chunk, if it got a layer reference."""
        if not description.feature_wise:
            return None
        name = next((p.name for p in description.inputs
                     if p.data_type is DataType.FEATURES and not p.multiple), None)
        if name is None or not isinstance(raw.get(name), LayerReference):
            return None
        if any(_truthy(raw.get(other)) for other in description.whole_layer_when):
            return None
        return name

    def bind(self, description: ProcessDescription, raw: Mapping[str, Any],
             options: ExecutionOptions, *, owner: str = "", tenant: str = "",
             keep: Sequence[str] | None = None) -> dict[str, Any]:
        """Bound inputs with references read (a chunkable one stays a ``LayerReference``;
        with ``keep``, those inputs stay references instead, checked: a tier-2 run)."""
        raw = known_inputs(description, raw)
        self.registrations(description, options, owner=owner, tenant=tenant)
        if keep is None:
            chunked = self.chunk_input(description, raw)
            keep = (chunked,) if chunked else ()
        kept = [name for name in keep if layer_references(raw.get(name)) is not None]
        resolved = self.resolve_inputs(description, raw, owner=owner, tenant=tenant, keep=kept)
        if not kept:
            return bind_inputs(description, resolved)
        empty = FeatureCollection(np.empty(0, dtype=object))
        placeholders = {name: empty if isinstance(resolved[name], LayerReference)
                        else [empty] * len(resolved[name]) for name in kept}
        bound = bind_inputs(description, {**resolved, **placeholders})
        bound.update({name: resolved[name] for name in kept})
        return bound

    # -- outputs as layers ------------------------------------------------------------------------
    def registrations(self, description: ProcessDescription, options: ExecutionOptions, *,
                      owner: str = "", tenant: str = "") -> dict[str, Registration]:
        """The outputs to register, checked now so that a clash is refused before running."""
        found: dict[str, Registration] = {}
        if options.registrations:
            check_credentials("outputs registered as layers")
        for name, asked in options.registrations.items():
            parameter = description.output(name)
            if parameter is None or parameter.data_type is not DataType.FEATURES:
                raise InvalidParameter(f"output {name!r} is not a feature collection, so it "
                                       "cannot be registered as a layer", parameter=name)
            registration = self.resolve(asked)
            self._check_free(registration, owner, tenant)
            found[name] = registration
        ids = [r.collection_id for r in found.values()]
        if len(set(ids)) != len(ids):
            raise InvalidParameter("two outputs are registered under the same collectionId")
        return found

    def resolve(self, asked: LayerRegistration) -> Registration:
        """A registration with this server's time-to-live rules applied."""
        ttl = asked.ttl or self.default_ttl
        if ttl > self.max_ttl:
            raise InvalidParameter(f"ttl {ttl.total_seconds() / 86400:g} days is longer than "
                                   f"this server allows ({self.max_ttl.total_seconds() / 86400:g} "
                                   "days)", parameter="ttl")
        return Registration(asked.collection_id, asked.title, asked.description, ttl,
                            asked.overwrite)

    def _check_free(self, registration: Registration, owner: str, tenant: str) -> None:
        try:
            existing = self.catalog.get(registration.collection_id)
        except NotFound:
            return
        if not registration.overwrite or not existing.registered:
            raise Conflict(f"collection {registration.collection_id!r} already exists; choose "
                           "another collectionId, or ask to overwrite it (only its owner may)")
        if (existing.owner, existing.tenant) != (owner, tenant):
            raise Forbidden(f"collection {registration.collection_id!r} belongs to someone else; "
                            "only its owner may overwrite it")

    def register_outputs(self, description: ProcessDescription, options: ExecutionOptions,
                         outputs: Mapping[str, Any], *, owner: str = "", tenant: str = "",
                         now: dt.datetime | None = None, job_id: str = "") -> list[LayerInfo]:
        """Store the outputs asked for as layers; ``outputs`` values are feature collections
        or iterables of chunks. Raises Conflict/Forbidden on a clash that arose meanwhile."""
        now = now or dt.datetime.now(dt.UTC)
        in_place = {name for name, asked in options.registrations.items()
                    if isinstance(outputs.get(name), LayerReference)
                    and outputs[name].collection_id == asked.collection_id}
        if in_place:  # a tier-2 run wrote these inside the database already
            options = dataclasses.replace(options, outputs={
                name: dataclasses.replace(o, register_as=None) if name in in_place else o
                for name, o in options.outputs.items()})
        layers = []
        for name, registration in self.registrations(description, options, owner=owner,
                                                     tenant=tenant).items():
            value = outputs.get(name)
            if value is None:
                continue
            chunks = [value] if isinstance(value, FeatureCollection) else value
            layers.append(self.catalog.register(
                registration.collection_id, chunks, title=registration.title,
                description=registration.description, owner=owner, tenant=tenant,
                expires=now + registration.ttl, overwrite=registration.overwrite,
                job_id=job_id))
        return layers


def _truthy(value: Any) -> bool:
    return value not in (None, False, "", [], (), 0, "false", "False")
