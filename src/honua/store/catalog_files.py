"""The catalog of layers kept in files: ``honua.types.Catalog`` over GDAL/OGR.

Three kinds of layer, one namespace of ids:

* configured — ``settings.layers`` entries (``path``, ``id``, ``title``, ...);
* scanned — every GeoPackage, GeoJSON, FlatGeobuf, Shapefile (also zipped)
  found in ``settings.resolved_layers_dir`` when the catalog opens;
* registered — outputs of jobs, written as GeoPackages under
  ``<data_dir>/catalog/`` with a small JSON record (owner, title, expiry) next
  to each. Those survive a restart (the folder is re-read whenever it
  changes, so every front process sees the same), can be replaced by their
  owner, and are removed when their time-to-live ends.

Reads push the filter down (``catalog_filter.plan``: SQL ``where`` and spatial
``mask`` inside OGR) and stream in chunks; only what SQL cannot say is
evaluated in Python, chunk by chunk.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import json
import logging
import os
import secrets
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from honua.core.catalog import GEOMETRY_NAMES, FeatureQuery, LayerInfo, NoSuchLayer, check_layer_id
from honua.core.tenancy import may_see
from honua.errors import Conflict, Forbidden, InvalidParameter, NotFound
from honua.geo.crs import crs84
from honua.geo.features import FeatureCollection
from honua.geo.reproject import transform_bounds
from honua.settings import Settings
from honua.store import catalog_filter, catalog_ogr

__all__ = ["FileCatalog", "NoSuchFeature"]

log = logging.getLogger(__name__)
LAYER_SUFFIXES = (".gpkg", ".geojson", ".json", ".fgb", ".shp", ".zip")
_RECORD = ".layer.json"
_FID_MIN, _FID_MAX = -(2**63), 2**63 - 1


class NoSuchFeature(NotFound):
    kind = "not-found"


@dataclass(frozen=True)
class _Entry:
    source: catalog_ogr.Source
    info: LayerInfo
    stamp: float


def _gdal_path(path: Path) -> str:
    """The path GDAL opens: a zipped Shapefile is read in place through ``/vsizip/``."""
    if path.suffix.lower() != ".zip":
        return str(path)
    import zipfile

    with zipfile.ZipFile(path) as archive:
        inner = [n for n in archive.namelist() if n.lower().endswith(".shp")]
    return f"/vsizip/{path}/{inner[0]}" if len(inner) == 1 else f"/vsizip/{path}"


def _file_of(gdal_path: str) -> Path:
    """The file on disk behind a GDAL path (the zip of a ``/vsizip/`` path)."""
    if not gdal_path.startswith("/vsizip/"):
        return Path(gdal_path)
    inner = gdal_path.removeprefix("/vsizip/")
    head, sep, _ = inner.partition(".zip/")
    return Path(head + ".zip") if sep else Path(inner)


def _slug(text: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_-." else "-" for c in text).strip("-.")
    return cleaned if cleaned[:1].isalpha() else f"layer-{cleaned}"


class FileCatalog:
    """Layers from files (see the module docstring)."""

    def __init__(self, *, registered_dir: Path, layers: Iterable[Mapping[str, Any]] = (),
                 layers_dir: Path | None = None, chunk_size: int = 50000) -> None:
        self.registered_dir = Path(registered_dir).absolute()
        self.registered_dir.mkdir(parents=True, exist_ok=True)
        self.chunk_size = chunk_size
        self._lock = threading.RLock()
        self._fixed: dict[str, _Entry] = {}
        self._registered: dict[str, _Entry] = {}
        self._registered_stamp = -1.0
        for spec in layers:
            self._add_configured(spec)
        if layers_dir is not None and Path(layers_dir).is_dir():
            self._scan(Path(layers_dir))

    @classmethod
    def from_settings(cls, settings: Settings) -> FileCatalog:
        files = [spec for spec in settings.layers if not spec.get("url")]  # url: PostGIS
        return cls(registered_dir=settings.data_dir / "catalog", layers=files,
                   layers_dir=settings.resolved_layers_dir, chunk_size=settings.chunk_features)

    # -- building the list -----------------------------------------------------------------------
    def _describe(self, layer_id: str, source: catalog_ogr.Source, **extra: Any) -> _Entry:
        info = catalog_ogr.describe(source)
        extent = info.bounds
        if extent is not None and not info.crs.equals(crs84(), ignore_axis_order=True):
            with contextlib.suppress(InvalidParameter):
                extent = transform_bounds(extent, info.crs, crs84())
        layer = LayerInfo(id=layer_id, title=extra.pop("title", None) or layer_id,
                          fields=info.fields, geometry_type=info.geometry_type, crs=info.crs,
                          extent=extent, count=info.count, **extra)
        stamp = _file_of(source.path).stat().st_mtime
        return _Entry(source, layer, stamp)

    def _add_fixed(self, layer_id: str, source: catalog_ogr.Source, **extra: Any) -> None:
        try:
            check_layer_id(layer_id)
            if layer_id in self._fixed:
                raise InvalidParameter(f"two layers have the id {layer_id!r}")
            self._fixed[layer_id] = self._describe(layer_id, source, **extra)
        except (InvalidParameter, OSError) as exc:  # one bad file must not stop the server
            log.warning("layer %r is not served: %s", layer_id, getattr(exc, "message", exc))

    def _add_configured(self, spec: Mapping[str, Any]) -> None:
        path = Path(str(spec.get("path", "")))
        layer_id = str(spec.get("id") or _slug(path.stem))
        source = catalog_ogr.Source(_gdal_path(path.absolute()), spec.get("layer"))
        self._add_fixed(layer_id, source, title=spec.get("title"),
                        description=str(spec.get("description", "")))

    def _scan(self, folder: Path) -> None:
        import pyogrio

        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in LAYER_SUFFIXES or path.name.startswith("."):
                continue
            try:
                names = [str(row[0]) for row in pyogrio.list_layers(_gdal_path(path))]
            except Exception as exc:
                log.warning("%s is not a readable layer file: %s", path.name, exc)
                continue
            for name in names:
                layer_id = _slug(path.stem if len(names) == 1 else f"{path.stem}-{name}")
                self._add_fixed(layer_id, catalog_ogr.Source(_gdal_path(path), name))

    def _refresh(self) -> None:
        """Re-read the registered layers if their folder changed (another process may write)."""
        stamp = self.registered_dir.stat().st_mtime
        if stamp == self._registered_stamp:
            return
        found: dict[str, _Entry] = {}
        for record_path in self.registered_dir.glob(f"*{_RECORD}"):
            layer_id = record_path.name.removesuffix(_RECORD)
            data = self.registered_dir / f"{layer_id}.gpkg"
            known = self._registered.get(layer_id)
            try:
                if known is not None and known.stamp == data.stat().st_mtime:
                    found[layer_id] = self._with_record(known, record_path)
                    continue
                record = json.loads(record_path.read_text())
                entry = self._describe(layer_id, catalog_ogr.Source(str(data), layer_id),
                                       **self._record_fields(record))
                found[layer_id] = entry
            except (OSError, ValueError, KeyError, InvalidParameter) as exc:
                log.debug("registered layer %r not readable yet: %s", layer_id, exc)
        self._registered = found
        self._registered_stamp = stamp

    def _with_record(self, entry: _Entry, record_path: Path) -> _Entry:
        record = json.loads(record_path.read_text())
        return replace(entry, info=replace(entry.info, **self._record_fields(record)))

    @staticmethod
    def _record_fields(record: Mapping[str, Any]) -> dict[str, Any]:
        return {"title": record.get("title") or record["id"],
                "description": record.get("description", ""), "owner": record.get("owner", ""),
                "tenant": record.get("tenant", ""), "registered": True,
                "job_id": str(record.get("job_id") or ""),
                "created": dt.datetime.fromisoformat(record["created"]),
                "expires": dt.datetime.fromisoformat(record["expires"])
                if record.get("expires") else None}

    def _entry(self, collection_id: str) -> _Entry:
        with self._lock:
            self._refresh()
            entry = self._fixed.get(collection_id) or self._registered.get(collection_id)
        if entry is None or not _visible(entry.info):  # another tenant's: as if unknown
            raise NoSuchLayer(f"there is no collection {collection_id!r}; GET /api/collections "
                              "lists the layers available")
        return entry

    # -- the Catalog protocol --------------------------------------------------------------------
    def list(self) -> list[LayerInfo]:
        with self._lock:
            self._refresh()
            entries = [*self._fixed.values(), *self._registered.values()]
        return sorted((e.info for e in entries if _visible(e.info)), key=lambda layer: layer.id)

    def get(self, collection_id: str) -> LayerInfo:
        return self._entry(collection_id).info

    def _plan(self, entry: _Entry, query: FeatureQuery) -> tuple[catalog_filter.Plan, Any, Any]:
        info = entry.info
        names = (*GEOMETRY_NAMES, info.geometry_name)
        plan = catalog_filter.plan(query.filter, names, info.crs)
        bbox = query.bbox
        if bbox is not None and not info.crs.equals(crs84(), ignore_axis_order=True):
            bbox = transform_bounds(bbox, crs84(), info.crs)
        columns = None
        if query.properties is not None:
            columns = list(query.properties)
            if plan.residual is not None:
                from honua.core.catalog import referenced_properties

                columns += [n for n in referenced_properties(plan.residual)
                            if n not in columns and info.field(n) is not None]
        return plan, bbox, columns

    def _chunks(self, entry: _Entry, query: FeatureQuery, chunk_size: int
                ) -> Iterator[FeatureCollection]:
        plan, bbox, columns = self._plan(entry, query)
        names = (*GEOMETRY_NAMES, entry.info.geometry_name)
        for chunk in catalog_ogr.iter_read(entry.source, entry.info.fields, where=plan.where,
                                           bbox=bbox, mask=plan.mask, columns=columns,
                                           chunk_size=chunk_size, crs=entry.info.crs):
            if plan.residual is not None:
                chunk = chunk.take(catalog_filter.evaluate(plan.residual, chunk, names))
            if query.properties is not None and set(chunk.columns) - set(query.properties):
                chunk = _only(chunk, query.properties)
            if len(chunk):
                yield chunk

    def read(self, collection_id: str, query: FeatureQuery) -> FeatureCollection:
        entry = self._entry(collection_id)
        plan, bbox, columns = self._plan(entry, query)
        if plan.residual is None:
            return catalog_ogr.read(entry.source, entry.info.fields, where=plan.where, bbox=bbox,
                                    mask=plan.mask, columns=columns, skip=query.offset,
                                    limit=query.limit, crs=entry.info.crs)
        return _window(self._chunks(entry, replace(query, limit=None, offset=0), self.chunk_size),
                       query.offset, query.limit, entry.info)

    def iter_chunks(self, collection_id: str, query: FeatureQuery,
                    chunk_size: int | None = None) -> Iterator[FeatureCollection]:
        entry = self._entry(collection_id)
        chunks = self._chunks(entry, replace(query, limit=None, offset=0),
                              chunk_size or self.chunk_size)
        if query.limit is None and not query.offset:
            return chunks
        return _rechunk(chunks, query.offset, query.limit)

    def count(self, collection_id: str, query: FeatureQuery) -> int:
        entry = self._entry(collection_id)
        plan, bbox, _ = self._plan(entry, query)
        if plan.residual is None:
            if plan.where is None and bbox is None and plan.mask is None:
                return entry.info.count
            from honua.core.catalog import referenced_properties

            used = sorted(referenced_properties(query.filter) & {f.name for f in entry.info.fields}
                          ) if query.filter is not None else []
            return catalog_ogr.count(entry.source, where=plan.where, bbox=bbox, mask=plan.mask,
                                     columns=used)
        return sum(len(c) for c in self._chunks(entry, replace(query, properties=None),
                                                self.chunk_size))

    def feature(self, collection_id: str, feature_id: str) -> FeatureCollection:
        entry = self._entry(collection_id)
        missing = NoSuchFeature(f"collection {collection_id!r} has no feature {feature_id!r}")
        try:
            fid = int(feature_id)
        except (TypeError, ValueError):
            raise missing from None
        if not _FID_MIN <= fid <= _FID_MAX:  # OGR feature ids are 64-bit: no such feature
            raise missing
        found = catalog_ogr.read(entry.source, entry.info.fields, fids=[fid], crs=entry.info.crs)
        if len(found) != 1:
            raise missing
        return found

    # -- registered layers -----------------------------------------------------------------------
    def register(self, collection_id: str, chunks: Iterable[FeatureCollection], *, title: str = "",
                 description: str = "", owner: str = "", tenant: str = "",
                 expires: dt.datetime | None = None, overwrite: bool = False,
                 now: dt.datetime | None = None, job_id: str = "") -> LayerInfo:
        """Write ``chunks`` as the new layer ``collection_id``; Conflict if the id is taken
        (unless ``overwrite`` by the same owner)."""
        check_layer_id(collection_id)
        now = now or dt.datetime.now(dt.UTC)
        with self._lock:
            self._check_free(collection_id, owner, tenant, overwrite)
            temp = self.registered_dir / f".tmp-{collection_id}-{secrets.token_hex(6)}.gpkg"
            try:
                catalog_ogr.write(temp, chunks, layer=collection_id)
                record = {"id": collection_id, "title": title or collection_id,
                          "description": description, "owner": owner, "tenant": tenant,
                          "created": now.isoformat(), "job_id": job_id,
                          "expires": expires.isoformat() if expires else None}
                record_temp = temp.with_suffix(".json")
                record_temp.write_text(json.dumps(record))
                os.replace(temp, self.registered_dir / f"{collection_id}.gpkg")
                os.replace(record_temp, self.registered_dir / f"{collection_id}{_RECORD}")
            finally:
                for leftover in (temp, temp.with_suffix(".json")):
                    with contextlib.suppress(FileNotFoundError):
                        leftover.unlink()
            self._registered_stamp = -1.0
        return self.get(collection_id)

    def _check_free(self, collection_id: str, owner: str, tenant: str, overwrite: bool) -> None:
        self._refresh()
        if collection_id in self._fixed:
            raise Conflict(f"collection {collection_id!r} is a configured layer and cannot be "
                           "replaced; choose another collectionId")
        existing = self._registered.get(collection_id)
        if existing is None:
            return
        if not overwrite:
            raise Conflict(f"collection {collection_id!r} already exists; choose another "
                           "collectionId, or ask to overwrite it (only its owner may)")
        if (existing.info.owner, existing.info.tenant) != (owner, tenant):
            raise Forbidden(f"collection {collection_id!r} belongs to someone else; only its "
                            "owner may overwrite it")

    def remove(self, collection_id: str) -> None:
        with self._lock:
            self._refresh()
            if collection_id in self._fixed:
                raise Conflict(f"collection {collection_id!r} is a configured layer; remove it "
                               "from the configuration instead")
            if collection_id not in self._registered:
                raise NoSuchLayer(f"there is no collection {collection_id!r}")
            for name in (f"{collection_id}{_RECORD}", f"{collection_id}.gpkg"):
                with contextlib.suppress(FileNotFoundError):
                    (self.registered_dir / name).unlink()
            self._registered.pop(collection_id, None)
            self._registered_stamp = -1.0

    def expired(self, now: dt.datetime) -> builtins.list[str]:  # list: the method above
        return [layer.id for layer in self.list()
                if layer.registered and layer.expires is not None and layer.expires <= now]

    def remove_expired(self, now: dt.datetime) -> int:
        """Remove registered layers whose time-to-live has ended; returns how many."""
        removed = 0
        for collection_id in self.expired(now):
            with contextlib.suppress(NotFound):
                self.remove(collection_id)
                removed += 1
        return removed


def _only(chunk: FeatureCollection, properties: tuple[str, ...]) -> FeatureCollection:
    kept = {n: chunk.columns[n] for n in properties if n in chunk.columns}
    return FeatureCollection(chunk.geometry, kept, chunk.crs, chunk.ids,
                             tuple(f for f in chunk.fields if f.name in kept))


def _rechunk(chunks: Iterator[FeatureCollection], offset: int, limit: int | None
             ) -> Iterator[FeatureCollection]:
    skipped, taken = 0, 0
    for chunk in chunks:
        start = min(len(chunk), max(0, offset - skipped))
        skipped += start
        stop = len(chunk) if limit is None else min(len(chunk), start + limit - taken)
        if stop > start:
            yield chunk.take(np.arange(start, stop))
            taken += stop - start
        if limit is not None and taken >= limit:
            return


def _window(chunks: Iterator[FeatureCollection], offset: int, limit: int | None,
            info: LayerInfo) -> FeatureCollection:
    parts = list(_rechunk(chunks, offset, limit))
    if not parts:
        return FeatureCollection(np.empty(0, dtype=object), {f.name: [] for f in info.fields},
                                 info.crs, [], info.fields)
    if len(parts) == 1:
        return parts[0]
    columns = {name: [v for p in parts for v in p.columns[name]] for name in parts[0].columns}
    ids = [i for p in parts for i in (p.ids or [None] * len(p))]
    return FeatureCollection(np.concatenate([p.geometry for p in parts]), columns, info.crs, ids,
                             parts[0].fields)


def _visible(layer: LayerInfo) -> bool:
    """Configured layers are everyone's; a registered one its tenant's (and the admins')."""
    return not layer.registered or may_see(layer.tenant)
