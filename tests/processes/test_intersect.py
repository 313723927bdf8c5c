"""The intersect process: common parts of two or more layers with all their attributes."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, postgis_fixture, run, typed_columns, wkt  # noqa: F401

from honua.errors import InvalidParameter
from honua.processes.intersect import intersect


def test_intersect_two_polygon_layers_matches_postgis(postgis):
    """The area of each intersection is PostGIS's ST_Intersection area."""
    a, b = shapely.box(0, 0, 3, 3), shapely.Polygon([(1, 1), (5, 1), (1, 5)])
    out = run(intersect, layers=[layer([a], crs=3857, name=["a"]), layer([b], crs=3857, name=["b"])])
    (expected,) = postgis("SELECT ST_Area(ST_Intersection(ST_GeomFromText(%s), "
                          "ST_GeomFromText(%s)))", wkt(a), wkt(b))
    assert out.geometry[0].area == pytest.approx(expected)
    assert out.columns == {"name": ["a"], "name_1": ["b"]}


def test_intersect_three_layers_renames_clashes_in_turn():
    """Each later clashing field takes the first free suffix."""
    boxes = [shapely.box(x, 0, x + 2, 2) for x in (0, 1, 1.5)]
    out = run(intersect, layers=[layer([g], crs=3857, name=[str(i)]) for i, g in enumerate(boxes)])
    assert out.geometry[0].area == pytest.approx(1.0)
    assert out.columns == {"name": ["0"], "name_1": ["1"], "name_2": ["2"]}


def test_intersect_line_and_polygon_gives_lines():
    """The output has the lower dimension: the line's part inside the polygon."""
    out = run(intersect, layers=[layer([shapely.LineString([(-1, 1), (3, 1)])], crs=3857),
                                 layer([shapely.box(0, 0, 2, 2)], crs=3857)])
    assert out.geometry[0].geom_type == "LineString" and out.geometry[0].length == pytest.approx(2)


def test_intersect_touching_polygons_give_nothing():
    """Polygons sharing only an edge have no common area."""
    out = run(intersect, layers=[layer([shapely.box(0, 0, 1, 1)], crs=3857),
                                 layer([shapely.box(1, 0, 2, 1)], crs=3857)])
    assert len(out) == 0


def test_intersect_every_overlapping_pair():
    """Each pair of overlapping features gives its own piece, ordered by the first layer."""
    first = layer([shapely.box(0, 0, 2, 1), shapely.box(0, 2, 2, 3)], crs=3857, f=[1, 2])
    second = layer([shapely.box(1, -1, 3, 4), shapely.box(-1, -1, 0.5, 4)], crs=3857, g=[10, 20])
    out = run(intersect, layers=[first, second])
    assert list(zip(out.columns["f"], out.columns["g"], strict=True)) == [
        (1, 10), (1, 20), (2, 10), (2, 20)]


def test_intersect_reprojects_later_layers():
    """A layer in another CRS is brought into the first's CRS."""
    out = run(intersect, layers=[layer([shapely.box(0, 0, 1, 1)]),
                                 layer([shapely.box(0, 0, 55_000, 55_000)], crs=3857)])
    assert out.geometry[0].bounds[2] == pytest.approx(55_000 / 111_319.49, rel=1e-6)


def test_intersect_typed_columns_and_null_geometry():
    """Attributes of every type are carried; null geometries take no part."""
    shapes = [shapely.box(0, 0, 1, 1), None, shapely.Polygon(), shapely.box(0, 0, 1, 1),
              shapely.box(5, 5, 6, 6), shapely.box(0, 0, 1, 1)]
    out = run(intersect, layers=[layer(shapes, crs=3857, **typed_columns(6)),
                                 layer([shapely.box(0, 0, 2, 2)], crs=3857, name=["z"])])
    assert out.columns["meta"] == [{"k": 1}, {"k": 2}, {"k": 3}]
    assert out.columns["name_1"] == ["z", "z", "z"]


def test_intersect_needs_two_layers():
    """A single layer is refused."""
    with pytest.raises(InvalidParameter, match="at least 2"):
        run(intersect, layers=[layer([shapely.box(0, 0, 1, 1)])])


def test_intersect_refused_invalid_names_its_layer():
    """With invalid='refuse' the error says which layer holds the invalid geometry."""
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    with pytest.raises(InvalidParameter, match=r"layer 2"):
        run(intersect, layers=[layer([shapely.box(0, 0, 1, 1)]), layer([bowtie])],
            invalid="refuse")


def test_intersect_empty_layer():
    """An empty layer gives an empty output with every layer's fields."""
    out = run(intersect, layers=[layer([], crs=3857), layer([shapely.box(0, 0, 1, 1)], crs=3857,
                                                            n=[1])])
    assert len(out) == 0 and "n" in out.columns
