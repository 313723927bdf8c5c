"""Tests for create_grid: ground-sized cells, hexagons, layer extents, limits."""

import numpy as np
import pytest
import shapely
from pyproj import Geod
from tests.processes._fixtures_geom import geojson, run

from honua.errors import InvalidParameter
from honua.geo.crs import parse_crs
from honua.processes.create_grid import create_grid

GEOD = Geod(ellps="WGS84")


def test_create_grid_projected_squares_known_answer():
    """A 250 x 100 m extent with 100 m cells gives 3 cells in one row, ids from 0."""
    out = run(create_grid, cell_size=100, extent={"bbox": [0, 0, 250, 100], "crs": "EPSG:3857"})
    assert len(out) == 3 and out.columns == {"cell_id": [0, 1, 2], "row": [0, 0, 0], "col": [0, 1, 2]}
    assert out.geometry[2].equals(shapely.box(200, 0, 300, 100)) and out.crs == parse_crs(3857)


def test_create_grid_geographic_cells_have_ground_size():
    """At 60 N, 1 km cells have 1 km sides and 1 km2 geodesic area, and tile without gaps."""
    out = run(create_grid, cell_size="1 km", extent=[10, 60, 10.1, 60.05])
    areas = np.array([abs(GEOD.geometry_area_perimeter(c)[0]) for c in out.geometry])
    np.testing.assert_allclose(areas, 1e6, rtol=1e-5)
    x, y = np.array(out.geometry[0].exterior.coords).T
    sides = GEOD.inv(x[:-1], y[:-1], x[1:], y[1:])[2]
    np.testing.assert_allclose(sides, 1000, rtol=2e-3)
    union = shapely.union_all(out.geometry)
    assert union.geom_type == "Polygon" and union.covers(shapely.box(10, 60, 10.1, 60.05))


def test_create_grid_hexagons_area_and_tiling():
    """Hexagons with 100 m sides have area 1.5 * sqrt(3) * 100^2 and do not overlap."""
    out = run(create_grid, cell_size=100, shape="hexagon",
              extent={"bbox": [0, 0, 1000, 1000], "crs": 32633})
    areas = shapely.area(out.geometry)
    np.testing.assert_allclose(areas, 1.5 * np.sqrt(3) * 100**2)
    assert shapely.union_all(out.geometry).area == pytest.approx(areas.sum())


def test_create_grid_over_layer_intersecting_only_and_output_crs():
    """Cells over a layer's extent, kept only where features are, returned in another CRS."""
    layer = geojson([shapely.Point(0, 0), shapely.Point(950, 950), None], crs=3857)
    every = run(create_grid, cell_size=100, features=layer)
    some = run(create_grid, cell_size=100, features=layer, intersecting_only=True,
               output_crs="EPSG:4326")
    assert len(every) == 100 and len(some) == 2 and some.crs == parse_crs(4326)


def test_create_grid_refuses_too_many_cells_and_bad_extents():
    """Too many cells, both or neither extent, and an empty layer are refused clearly."""
    with pytest.raises(InvalidParameter, match="more than the limit") as info:
        run(create_grid, cell_size="1 m", extent=[0, 0, 10, 10])
    assert info.value.parameter == "cell_size"
    with pytest.raises(InvalidParameter, match="either 'extent' or 'features'"):
        run(create_grid, cell_size=100)
    with pytest.raises(InvalidParameter, match="no geometry"):
        run(create_grid, cell_size=100, features=geojson([None]))
    with pytest.raises(InvalidParameter) as info:
        run(create_grid, cell_size=-5, extent=[0, 0, 1, 1])
    assert info.value.parameter == "cell_size"
