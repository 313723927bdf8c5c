"""Tests for add_geometry_attributes: geodesic figures against PostGIS and pyproj, units, kinds."""

import numpy as np
import pytest
import shapely
from pyproj import Geod
from tests.processes._fixtures_geom import geojson, mixed_layer, postgis, run

from honua.errors import InvalidParameter
from honua.processes.add_geometry_attributes import add_geometry_attributes as add

POLYGON = shapely.Polygon([(10, 60), (11, 60), (11.5, 61), (10, 61.2), (10, 60)])
LINE = shapely.LineString([(-70, -30), (-60, -35), (-50, -33)])


def test_add_geometry_attributes_match_postgis_geography():
    """Geodesic area, perimeter and length equal PostGIS's geography figures (spheroid)."""
    with postgis() as db:
        area, perimeter = db.execute(
            "SELECT ST_Area(g::geography), ST_Perimeter(g::geography) "
            "FROM ST_GeomFromText(%s, 4326) AS g", (POLYGON.wkt,)).fetchone()
        length, = db.execute("SELECT ST_Length(ST_GeomFromText(%s, 4326)::geography)",
                             (LINE.wkt,)).fetchone()
    out = run(add, features=geojson([POLYGON, LINE]), properties=["area", "perimeter", "length"])
    assert out.columns["area"][0] == pytest.approx(area, rel=1e-7)
    assert out.columns["perimeter"][0] == pytest.approx(perimeter, rel=1e-7)
    assert out.columns["length"][1] == pytest.approx(length, rel=1e-7)
    assert out.columns["length"][0] is None and out.columns["area"][1] is None


def test_add_geometry_attributes_units():
    """Areas in hectares and lengths in miles are the metre figures converted."""
    metres = run(add, features=geojson([POLYGON]), properties=["area", "perimeter"])
    other = run(add, features=geojson([POLYGON]), properties=["area", "perimeter"],
                area_unit="hectares", length_unit="miles")
    assert other.columns["area"][0] == pytest.approx(metres.columns["area"][0] / 1e4)
    assert other.columns["perimeter"][0] == pytest.approx(metres.columns["perimeter"][0] / 1609.344)


def test_add_geometry_attributes_geodesic_on_projected_data():
    """A UTM square measured geodesically differs from its planar area by the scale factor."""
    square = shapely.box(300_000, 6_650_000, 310_000, 6_660_000)  # west of the central meridian
    layer = geojson([square], crs=32632)
    planar = run(add, features=layer, properties=["area"], method="planar").columns["area"][0]
    geodesic = run(add, features=layer, properties=["area"]).columns["area"][0]
    assert planar == pytest.approx(1e8)
    assert geodesic == pytest.approx(1e8, rel=2e-3) and geodesic != pytest.approx(1e8, rel=1e-6)


def test_add_geometry_attributes_planar_refused_on_geographic():
    """Planar measures of lon/lat data are refused with advice."""
    with pytest.raises(InvalidParameter, match="project the features first") as info:
        run(add, features=geojson([POLYGON]), properties=["area"], method="planar")
    assert info.value.parameter == "method"


def test_add_geometry_attributes_centroid_xy_in_another_crs():
    """Centroid coordinates come in the layer's CRS, or in the one asked for."""
    layer = geojson([shapely.box(2, 48, 2.02, 48.02)])
    own = run(add, features=layer, properties=["centroid_x", "centroid_y"])
    utm = run(add, features=layer, properties=["centroid_x"], coordinate_system="EPSG:32631")
    assert own.columns["centroid_x"][0] == pytest.approx(2.01, abs=1e-6)
    assert own.columns["centroid_y"][0] == pytest.approx(48.01, abs=1e-4)
    assert 400_000 < utm.columns["centroid_x"][0] < 500_000


def test_add_geometry_attributes_nulls_kinds_and_name_clash():
    """Nulls and empties get None; an existing 'area' field is kept and the new one suffixed."""
    layer = mixed_layer()
    layer["features"][0]["properties"]["area"] = "old"
    out = run(add, features=layer, properties=["area", "length", "inside_x"])
    assert out.columns["area"][0] == "old"
    assert out.columns["area_1"][0] is None and out.columns["area_1"][2] > 0
    assert out.columns["length"][1] == pytest.approx(
        Geod(ellps="WGS84").inv(10, 50, 10.1, 50.1)[2], rel=1e-9)
    assert out.columns["area_1"][3:] == [None, None] and out.columns["inside_x"][3:] == [None, None]
    assert np.isclose(out.columns["inside_x"][0], 10)


def test_add_geometry_attributes_bad_choices():
    """Unknown measures and units are refused with the allowed values."""
    with pytest.raises(InvalidParameter, match="choose one of"):
        run(add, features=geojson([POLYGON]), properties=["volume"])
    with pytest.raises(InvalidParameter) as info:
        run(add, features=geojson([POLYGON]), properties=["area"], area_unit="furlongs")
    assert info.value.parameter == "area_unit"
