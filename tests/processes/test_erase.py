"""The erase process: features minus the erase polygons."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, postgis_fixture, run, typed_columns, wkt  # noqa: F401

from honua.errors import InvalidParameter
from honua.processes.erase import erase

CUTTERS = layer([shapely.box(0, 0, 1, 4), shapely.box(3, 0, 4, 4)], crs=3857)


def test_erase_removes_both_ends(postgis):
    """A polygon minus two overlapping cutters matches PostGIS's ST_Difference."""
    shape = shapely.box(0, 1, 4, 2)
    out = run(erase, features=layer([shape], crs=3857, k=["a"]), erase_features=CUTTERS)
    (expected,) = postgis("SELECT ST_Area(ST_Difference(ST_GeomFromText(%s), "
                          "ST_Union(ST_GeomFromText(%s), ST_GeomFromText(%s))))",
                          wkt(shape), wkt(shapely.box(0, 0, 1, 4)), wkt(shapely.box(3, 0, 4, 4)))
    assert out.geometry[0].area == pytest.approx(expected) == pytest.approx(2.0)
    assert out.columns == {"k": ["a"]}


def test_erase_untouched_pass_covered_disappear():
    """Features away from the cutters pass unchanged; covered ones are gone."""
    shapes = [shapely.box(1.5, 1, 2.5, 2), shapely.box(0.2, 1, 0.8, 2), shapely.Point(2, 2),
              shapely.Point(0.5, 0.5)]
    out = run(erase, features=layer(shapes, crs=3857, n=[1, 2, 3, 4]), erase_features=CUTTERS)
    assert out.columns["n"] == [1, 3]
    assert out.geometry[0].equals(shapes[0])


def test_erase_line_keeps_outside_parts():
    """A line across both cutters keeps its middle."""
    out = run(erase, features=layer([shapely.LineString([(-1, 2), (5, 2)])], crs=3857),
              erase_features=CUTTERS)
    assert out.geometry[0].length == pytest.approx(4.0)
    assert out.geometry[0].geom_type == "MultiLineString"


def test_erase_null_and_empty_and_typed_columns():
    """Null and empty geometries give nothing; typed attributes are kept."""
    shapes = [shapely.box(1, 1, 2, 2), None, shapely.Polygon(), shapely.box(1, 1, 2, 2),
              shapely.box(1, 1, 2, 2), shapely.box(1, 1, 2, 2)]
    out = run(erase, features=layer(shapes, crs=3857, **typed_columns(6)), erase_features=CUTTERS)
    assert out.columns["name"] == ["a", "d", "e", "f"]
    assert out.columns["when"][0] == "2024-01-01T00:00:00Z"


def test_erase_empty_inputs():
    """Nothing to erase from gives nothing; nothing to erase keeps everything."""
    assert len(run(erase, features=layer([], crs=3857), erase_features=CUTTERS)) == 0
    kept = run(erase, features=CUTTERS, erase_features=layer([], crs=3857))
    assert len(kept) == 2


def test_erase_refuses_line_erase_features():
    """Erase features must be polygons."""
    with pytest.raises(InvalidParameter, match="polygon"):
        run(erase, features=CUTTERS,
            erase_features=layer([shapely.LineString([(0, 0), (1, 1)])], crs=3857))


def test_erase_geographic_layers():
    """Erasing on lon/lat data works in degrees (the shapes are exact there)."""
    out = run(erase, features=layer([shapely.box(0, 0, 2, 1)]),
              erase_features=layer([shapely.box(1, 0, 3, 1)]))
    assert out.geometry[0].equals(shapely.box(0, 0, 1, 1))
