"""Demo data for ``make run``: catalog layers and ready-to-run requests.

The city coordinates are well-known city centres (public facts), written by
hand for this project. The other demo layers are generated here, from code,
when the demo is installed (nothing third-party, no licence to state):

* ``cities`` (GeoJSON) -- the hand-written city points;
* ``world-grid`` (FlatGeobuf) -- 30-degree graticule cells with their row,
  column and nominal area, to clip, intersect or select by location;
* ``city-links`` (GeoPackage) -- straight lon/lat lines from each city to
  the next one in the list, to buffer or measure.

They land in the layers folder, so ``/api/collections`` serves them and any
process can take them as ``{"layerReference": "cities"}``.
"""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from rich.console import Console

from honua.settings import Settings


def demo_layer_path() -> Path:
    return Path(str(files("honua") / "data" / "demo_cities.geojson"))


def _write(path: Path, geometry: list[Any], columns: dict[str, list[Any]], kind: str,
           driver: str) -> None:
    from pyogrio import raw

    if path.exists():
        path.unlink()
    data = [np.asarray(v, dtype=object if isinstance(v[0], str) else None)
            for v in columns.values()]
    raw.write(str(path), np.asarray(shapely.to_wkb(np.asarray(geometry, dtype=object)),
                                    dtype=object), data, list(columns), driver=driver,
              geometry_type=kind, crs="EPSG:4326")


def write_demo_layers(folder: Path) -> list[Path]:
    """Write the demo layers (see the module docstring) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    cities = folder / "cities.geojson"
    shutil.copyfile(demo_layer_path(), cities)
    cells, rows, cols, areas = [], [], [], []
    for row, south in enumerate(range(-90, 90, 30)):
        for col, west in enumerate(range(-180, 180, 30)):
            cells.append(shapely.box(west, south, west + 30, south + 30))
            rows.append(row)
            cols.append(col)
            areas.append(round(float(geodesic_area(cells[-1])) / 1e6, 1))
    grid = folder / "world-grid.fgb"
    _write(grid, cells, {"row": rows, "col": cols, "area_km2": areas}, "Polygon", "FlatGeobuf")
    document = json.loads(demo_layer_path().read_text())
    points = [f["geometry"]["coordinates"] for f in document["features"]]
    names = [f["properties"]["name"] for f in document["features"]]
    lines = [shapely.LineString([a, b]) for a, b in zip(points, points[1:], strict=False)]
    links = folder / "city-links.gpkg"
    _write(links, lines, {"start": names[:-1], "end": names[1:]}, "LineString", "GPKG")
    return [cities, grid, links]


def geodesic_area(polygon: Any) -> float:
    from pyproj import Geod

    area, _ = Geod(ellps="WGS84").geometry_area_perimeter(polygon)
    return abs(area)


def install_demo(settings: Settings, console: Console) -> Path:
    """Write the demo layers into the layers folder (served at ``/api/collections``) and
    example execute requests into ``<data_dir>/demo``."""
    target = settings.data_dir / "demo"
    target.mkdir(parents=True, exist_ok=True)
    write_demo_layers(settings.resolved_layers_dir)
    layer = target / "cities.geojson"
    shutil.copyfile(demo_layer_path(), layer)
    by_reference = target / "buffer-layer-request.json"
    by_reference.write_text(json.dumps({"inputs": {
        "features": {"layerReference": {"collectionId": "cities",
                                        "filter": "population > 1000000"}},
        "distance": {"value": 50, "unit": "kilometers"}},
        "outputs": {"result": {"registerAs": {"collectionId": "big-city-zones",
                                              "title": "50 km around big cities", "ttl": "1d"}}}},
        indent=2) + "\n")
    request = target / "buffer-request.json"
    request.write_text(
        '{"inputs": {"features": ' + layer.read_text() + ', "distance": {"value": 10, '
        '"unit": "kilometers"}}, "response": "document"}\n')
    base = f"http://{settings.host}:{settings.port}"
    console.print(
        f"Demo data in {target}. Try:\n"
        f"  curl -s -X POST {base}/api/processes/buffer/execution "
        f"-H 'Content-Type: application/json' -d @{request}\n"
        f"  honua submit buffer -i features=@{layer} -i 'distance=\"10 km\"'\n"
        f"Layers at {base}/api/collections (cities, world-grid, city-links); by reference:\n"
        f"  curl -s -X POST {base}/api/processes/buffer/execution "
        f"-H 'Content-Type: application/json' -d @{by_reference}")
    return target
