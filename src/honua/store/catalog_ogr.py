"""Reading and writing vector files through pyogrio (GDAL/OGR), into core feature collections.

The one module that talks to pyogrio. A ``Source`` names a file (and a layer
in it); ``describe`` reads its schema, extent and count without reading the
features; ``read`` reads one filtered window of features (``where`` SQL,
``bbox``/``mask`` spatial filter, ``skip``/``limit``) into a columnar
``FeatureCollection``; ``write`` appends collections to a GeoPackage chunk by
chunk. GDAL's errors are translated here, with file paths taken out of the
message so that none reaches a client.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from pyogrio import raw
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

from honua.errors import InvalidParameter, Unavailable
from honua.geo.crs import crs84, crs_name, parse_crs
from honua.geo.features import FeatureCollection, Field

__all__ = ["Source", "SourceInfo", "count", "describe", "iter_read", "read", "write"]

_OGR_FIELD_TYPES = {
    "OFTInteger": "integer", "OFTInteger64": "integer", "OFTReal": "double",
    "OFTString": "string", "OFTDate": "date", "OFTDateTime": "datetime", "OFTTime": "string",
}
_GDAL_ERRORS = (DataSourceError, DataLayerError, FieldError, GeometryError, RuntimeError, OSError)
_READ_ERRORS = (*_GDAL_ERRORS, ValueError)
"""pyogrio raises ValueError for a WHERE clause the driver's SQL dialect refuses."""


@dataclass(frozen=True)
class Source:
    """Where OGR finds a layer: a file path, a layer in it, and open options (e.g. for CSV)."""

    path: str
    layer: str | None = None
    open_options: tuple[tuple[str, str], ...] = ()

    @property
    def kwargs(self) -> dict[str, Any]:
        options = {key: value for key, value in self.open_options}
        return {"layer": self.layer, **options} if self.layer else dict(options)


@dataclass(frozen=True)
class SourceInfo:
    fields: tuple[Field, ...]
    geometry_type: str
    crs: Any
    count: int
    bounds: tuple[float, float, float, float] | None
    driver: str


def _clean(exc: BaseException, source: Source) -> str:
    text = str(exc).replace(source.path, Path(source.path).name)
    return re.sub(r"(/[^\s:'\"]+)+/", "", text) or type(exc).__name__


def _fail(exc: BaseException, source: Source, what: str) -> InvalidParameter:
    return InvalidParameter(f"{what}: {_clean(exc, source)}")


def describe(source: Source) -> SourceInfo:
    """Schema, CRS, count and extent of ``source``; raises InvalidParameter if unreadable."""
    try:
        info = pyogrio.read_info(source.path, force_feature_count=True, force_total_bounds=True,
                                 **source.kwargs)
    except _GDAL_ERRORS as exc:
        raise _fail(exc, source, f"{Path(source.path).name} cannot be read") from None
    fields = tuple(Field(str(name), _OGR_FIELD_TYPES.get(ogr_type, "string"))
                   for name, ogr_type in zip(info["fields"], info["ogr_types"], strict=True))
    bounds = info.get("total_bounds")
    if bounds is not None and not all(math.isfinite(v) for v in bounds):
        bounds = None
    crs = parse_crs(info["crs"]) if info.get("crs") else crs84()
    return SourceInfo(fields, str(info.get("geometry_type") or "Unknown"), crs,
                      max(int(info.get("features") or 0), 0),
                      _box(bounds) if bounds is not None else None,
                      str(info.get("driver") or ""))


def _box(bounds: Any) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    return minx, miny, maxx, maxy


def _column(values: np.ndarray, field: Field) -> list[Any]:
    if values.dtype.kind == "f":
        out = values.astype(object)
        out[np.isnan(values)] = None
        if field.type == "integer":
            return [None if v is None else int(v) for v in out]
        floats: list[Any] = out.tolist()
        return floats
    if values.dtype.kind == "M":
        return [None if np.isnat(v) else str(v) for v in values]
    plain: list[Any] = values.tolist()
    return plain


def read(source: Source, fields: Sequence[Field], *, where: str | None = None,
         bbox: tuple[float, float, float, float] | None = None, mask: Any = None,
         columns: Sequence[str] | None = None, skip: int = 0, limit: int | None = None,
         fids: Sequence[int] | None = None, crs: Any = None) -> FeatureCollection:
    """Features of ``source`` matching the filters, ids = OGR feature ids."""
    wanted = [f for f in fields if columns is None or f.name in columns]
    kwargs: dict[str, Any] = {"columns": [f.name for f in wanted], "return_fids": True,
                              "datetime_as_string": True, **source.kwargs}
    if fids is not None:
        kwargs["fids"] = np.asarray(fids, dtype=np.int64)
    else:
        kwargs.update(where=where or None, bbox=bbox, mask=mask, skip_features=skip,
                      max_features=limit)
    try:
        meta, ids, geometry, values = raw.read(source.path, **kwargs)
    except _READ_ERRORS as exc:
        if fids is not None:
            return FeatureCollection(np.empty(0, dtype=object), {f.name: [] for f in wanted},
                                     crs or crs84(), [], tuple(wanted))
        raise _fail(exc, source, "the layer could not be read with this filter") from None
    by_name = {f.name: f for f in wanted}
    names = [str(n) for n in meta["fields"]]
    columns_out = {name: _column(column, by_name.get(name, Field(name)))
                   for name, column in zip(names, values, strict=True)}
    shapes = shapely.from_wkb(geometry) if geometry is not None else np.full(len(ids), None)
    return FeatureCollection(shapes, columns_out, crs or (parse_crs(meta["crs"]) if meta.get("crs")
                                                          else crs84()),
                             ids.tolist(), tuple(by_name[n] for n in names if n in by_name))


def iter_read(source: Source, fields: Sequence[Field], *, where: str | None = None,
              bbox: tuple[float, float, float, float] | None = None, mask: Any = None,
              columns: Sequence[str] | None = None, chunk_size: int = 50000,
              crs: Any = None) -> Iterator[FeatureCollection]:
    """The matching features in chunks of ``chunk_size``, in one pass over the file.

    With pyarrow installed, one OGR cursor streams Arrow batches (memory bounded
    by the chunk); without it, windows are read with ``skip``/``limit``.
    """
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        skip = 0
        while True:
            chunk = read(source, fields, where=where, bbox=bbox, mask=mask, columns=columns,
                         skip=skip, limit=chunk_size, crs=crs)
            if len(chunk):
                yield chunk
            if len(chunk) < chunk_size:
                return
            skip += chunk_size
    wanted = [f for f in fields if columns is None or f.name in columns]
    by_name = {f.name: f for f in wanted}
    try:
        with raw.open_arrow(source.path, columns=[f.name for f in wanted], where=where or None,
                            bbox=bbox, mask=mask, batch_size=chunk_size, return_fids=True,
                            use_pyarrow=True, datetime_as_string=True,
                            **source.kwargs) as (meta, reader):
            geometry_name = meta.get("geometry_name") or "wkb_geometry"
            fid_name = meta.get("fid_column") or "OGC_FID"
            layer_crs = crs or (parse_crs(meta["crs"]) if meta.get("crs") else crs84())
            for batch in reader:
                names = batch.schema.names
                shapes = shapely.from_wkb(batch.column(names.index(geometry_name))
                                          .to_numpy(zero_copy_only=False))
                ids = batch.column(names.index(fid_name)).to_pylist() \
                    if fid_name in names else None
                data = {n: _arrow_column(batch.column(names.index(n)).to_pylist(), by_name[n])
                        for n in names if n in by_name}
                yield FeatureCollection(shapes, data, layer_crs, ids,
                                        tuple(by_name[n] for n in names if n in by_name))
    except _READ_ERRORS as exc:
        raise _fail(exc, source, "the layer could not be read with this filter") from None


def _arrow_column(values: list[Any], field: Field) -> list[Any]:
    if field.type in ("double", "integer"):
        return [None if isinstance(v, float) and math.isnan(v) else v for v in values]
    return values


def count(source: Source, *, where: str | None, bbox: Any, mask: Any,
          columns: Sequence[str]) -> int:
    """How many features match; reads ids (and the filtered columns) only."""
    try:
        _, ids, _, _ = raw.read(source.path, columns=list(columns), read_geometry=mask is not None,
                                return_fids=True, where=where or None, bbox=bbox, mask=mask,
                                **source.kwargs)
    except _READ_ERRORS as exc:
        raise _fail(exc, source, "the layer could not be read with this filter") from None
    return len(ids)


_WRITE_TYPES = {"integer": np.int64, "double": np.float64, "boolean": np.bool_}


def _arrays(collection: FeatureCollection, fields: Sequence[Field]) -> tuple[list[Any], list[Any]]:
    data: list[Any] = []
    masks: list[Any] = []
    for field in fields:
        values = list(collection.columns.get(field.name, [None] * len(collection)))
        missing = np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in values],
                           dtype=bool)
        kind = _WRITE_TYPES.get(field.type)
        if kind is not None:
            filled = [0 if m else v for v, m in zip(values, missing, strict=True)]
            data.append(np.asarray(filled, dtype=kind))
        else:
            data.append(np.asarray([None if m else _text(v) for v, m in
                                    zip(values, missing, strict=True)], dtype=object))
        masks.append(missing)
    return data, masks


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        import orjson

        return orjson.dumps(value).decode()
    return str(value)


_GPKG_TYPES = {0: "POINT", 1: "LINESTRING", 2: "LINESTRING", 3: "POLYGON", 4: "MULTIPOINT",
               5: "MULTILINESTRING", 6: "MULTIPOLYGON", 7: "GEOMETRYCOLLECTION"}
"""shapely's type ids -> GeoPackage geometry type names (a linear ring is a line)."""


def _declare_geometry_type(path: Path, layer: str, name: str) -> None:
    """Say what the layer holds: chunks are appended as they come, so the layer is
    created as GEOMETRY and, once every chunk was one type, declared that type (what
    GDAL, QGIS and the catalog then report, instead of "Unknown")."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE gpkg_geometry_columns SET geometry_type_name = ? "
                   "WHERE table_name = ?", (name, layer))


def write(path: Path, chunks: Iterable[FeatureCollection], *, layer: str,
          fields: Sequence[Field] | None = None,
          driver: str = "GPKG") -> tuple[int, tuple[Field, ...]]:
    """Write ``chunks`` into a new GeoPackage (or ``driver``: FlatGeobuf) layer, one
    append per chunk.

    The schema is the first chunk's (or ``fields``); returns (features written, fields).
    """
    written, schema, first = 0, tuple(fields or ()), True
    kinds: set[int] = set()
    for chunk in chunks:
        if first and not schema:
            schema = tuple(chunk.fields)
        present = chunk.geometry[~shapely.is_missing(chunk.geometry)]
        kinds.update(np.unique(shapely.get_type_id(present[~shapely.is_empty(present)])).tolist())
        data, masks = _arrays(chunk, schema)
        geometry = np.asarray(shapely.to_wkb(chunk.geometry), dtype=object)
        try:
            raw.write(str(path), geometry, data, [f.name for f in schema], field_mask=masks,
                      layer=layer, driver=driver, geometry_type="Unknown",
                      crs=crs_name(chunk.crs), append=not first, promote_to_multi=False)
        except _GDAL_ERRORS as exc:
            raise Unavailable(f"the layer could not be written: {_clean(exc, Source(str(path)))}"
                              ) from exc
        written += len(chunk)
        first = False
    if len(kinds) == 1 and not first and driver == "GPKG":
        _declare_geometry_type(path, layer, _GPKG_TYPES[kinds.pop()])
    if first:  # no chunk at all: an empty layer with the given schema
        raw.write(str(path), np.empty(0, dtype=object),
                  [np.empty(0, dtype=_WRITE_TYPES.get(f.type, object)) for f in schema],
                  [f.name for f in schema], layer=layer, driver=driver, geometry_type="Unknown",
                  crs="OGC:CRS84")
    return written, schema
