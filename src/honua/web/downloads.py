"""Feature downloads in the formats GIS tools open directly: GeoJSON, FlatGeobuf, GeoPackage
and KMZ (Google Earth, ArcGIS's GP ``f=kmz``).

Asked by ``f=geojson|fgb|gpkg|kmz`` or by ``Accept`` (``application/geo+json``,
``application/flatgeobuf``, ``application/geopackage+sqlite3``,
``application/vnd.google-earth.kmz``). KML knows only WGS 84 longitude/latitude, so a
KMZ's features are reprojected first and written by GDAL's KML driver as ``doc.kml``
inside the zip, the name Google Earth and ArcGIS look for. FlatGeobuf and
GeoPackage are written by GDAL (``store.catalog_ogr.write`` through pyogrio) into a
temporary file on a worker thread -- never on the event loop -- and streamed from
disk; the file is removed once sent. GeoJSON needs no GDAL: the server's own writer,
compact and with the default precision.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from honua.errors import NotSupported
from honua.geo import precision
from honua.geo.features import FeatureCollection
from honua.geo.geojson import write_features
from honua.geo.reproject import to_crs
from honua.store import catalog_ogr

__all__ = ["FORMATS", "Download", "download_response", "layer_name", "requested_download"]


@dataclass(frozen=True)
class Download:
    key: str
    media_type: str
    suffix: str
    driver: str | None
    """GDAL driver, or None for the server's own GeoJSON writer."""


FORMATS = {
    "geojson": Download("geojson", "application/geo+json", ".geojson", None),
    "fgb": Download("fgb", "application/flatgeobuf", ".fgb", "FlatGeobuf"),
    "gpkg": Download("gpkg", "application/geopackage+sqlite3", ".gpkg", "GPKG"),
    "kmz": Download("kmz", "application/vnd.google-earth.kmz", ".kmz", "KML"),
}
KML_CRS = "EPSG:4326"
_BY_MEDIA_TYPE = {d.media_type: d for d in FORMATS.values() if d.driver is not None}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.\-]+")


def requested_download(request: Request, *, geojson_by_accept: bool = False) -> Download | None:
    """The file format asked for, or None (the surface's usual answer). ``f`` wins over
    ``Accept``; an ``f`` that names no known format is left to the surface (``json``,
    ``html``...). GeoJSON by ``Accept`` only where the usual answer is not GeoJSON
    already (``geojson_by_accept``)."""
    f = request.query_params.get("f", "").strip().lower()
    if f in FORMATS:
        return FORMATS[f]
    if f:
        return None
    accept = request.headers.get("accept", "")
    for part in accept.split(",")[:20]:
        media_type = part.split(";")[0].strip().lower()
        if media_type in _BY_MEDIA_TYPE:
            return _BY_MEDIA_TYPE[media_type]
        if geojson_by_accept and media_type == "application/geo+json":
            return FORMATS["geojson"]
    return None


def _write(collection: FeatureCollection, download: Download, name: str) -> Path:
    handle, raw_path = tempfile.mkstemp(prefix="honua-download-", suffix=download.suffix)
    os.close(handle)
    path = Path(raw_path)
    try:
        if download.driver is None:
            path.write_bytes(write_features(collection, precision.DEFAULT))
        elif download.key == "kmz":
            _write_kmz(collection, path, name)
        else:
            path.unlink()  # GDAL creates it
            catalog_ogr.write(path, [collection], layer=name, driver=download.driver)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        raise
    return path


def _write_kmz(collection: FeatureCollection, path: Path, name: str) -> None:
    """``collection`` in WGS 84 as ``doc.kml`` zipped into ``path``."""
    wgs84 = to_crs(collection, KML_CRS)
    with tempfile.TemporaryDirectory(prefix="honua-kmz-") as folder:
        document = Path(folder) / "doc.kml"
        catalog_ogr.write(document, [wgs84], layer=name, driver="KML")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(document, "doc.kml")


async def download_response(collection: object, download: Download,
                            name: str) -> Response:
    """``collection`` as a file attachment named after ``name`` (written off the loop)."""
    if not isinstance(collection, FeatureCollection):
        raise NotSupported(f"only feature outputs can be downloaded as {download.key}")
    layer = layer_name(name)
    path = await run_in_threadpool(_write, collection, download, layer)
    return FileResponse(path, media_type=download.media_type,
                        filename=f"{layer}{download.suffix}",
                        background=BackgroundTask(_remove, path))


def layer_name(name: str) -> str:
    """``name`` as a download's layer and file name (no path or header syntax in it)."""
    return _SAFE_NAME.sub("_", name)[:64] or "features"


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
