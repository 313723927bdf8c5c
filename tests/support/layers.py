"""Small vector files in every format the catalog and uploads read, written with pyogrio."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import shapely
from pyogrio import raw

DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".fgb": "FlatGeobuf", ".shp": "ESRI Shapefile",
           ".kml": "KML"}


def city_points(n: int = 5, *, seed: int = 1) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``n`` points on a 1-degree grid near (0, 0) with name/population/score attributes."""
    rng = np.random.default_rng(seed)
    x = np.arange(n, dtype=float) % 10
    y = np.arange(n, dtype=float) // 10
    geometry = shapely.points(x, y)
    columns = {
        "name": np.array([f"city{i}" for i in range(n)], dtype=object),
        "population": np.arange(n, dtype=np.int64) * 1000,
        "score": rng.random(n).round(3),
    }
    return geometry, columns


def write_layer(path: Path, n: int = 5, *, crs: str = "EPSG:4326", layer: str | None = None,
                geometry: np.ndarray | None = None) -> Path:
    """Write the ``city_points`` (or ``geometry``) to ``path``, the driver chosen by suffix."""
    points, columns = city_points(n)
    if geometry is not None:
        points = geometry
        columns = {k: v[: len(geometry)] for k, v in city_points(len(geometry))[1].items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    raw.write(str(path), np.asarray(shapely.to_wkb(points), dtype=object), list(columns.values()),
              list(columns), driver=DRIVERS[path.suffix], geometry_type="Unknown"
              if geometry is not None else "Point", crs=crs, layer=layer)
    return path


def zipped_shapefile(folder: Path, n: int = 5, *, name: str = "cities") -> bytes:
    shp = write_layer(folder / f"{name}.shp", n)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(shp.parent.glob(f"{name}.*")):
            archive.write(part, f"{name}/{part.name}")
    return buffer.getvalue()


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}
