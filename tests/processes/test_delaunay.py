"""The delaunay process: triangles with the ids of their corner features."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, run

from honua.processes.delaunay import delaunay


def test_delaunay_square_two_triangles_with_nodes():
    """Four corners of a square make two triangles covering it, corners named by position."""
    corners = [shapely.Point(0, 0), shapely.Point(1, 0), shapely.Point(1, 1), shapely.Point(0, 1)]
    out = run(delaunay, features=layer(corners, crs=3857))
    assert len(out) == 2
    assert shapely.union_all(out.geometry).area == pytest.approx(1)
    nodes = {frozenset(t) for t in zip(out.columns["node_a"], out.columns["node_b"],
                                       out.columns["node_c"], strict=True)}
    assert all(len(t) == 3 and t <= {0, 1, 2, 3} for t in nodes)


def test_delaunay_keeps_exact_coordinates_on_wgs84():
    """Corners are the input coordinates exactly, even when triangulated in a local projection."""
    corners = [(10.123456789, 60.1), (10.2, 60.0), (10.25, 60.2)]
    out = run(delaunay, features=layer([shapely.Point(*c) for c in corners]))
    assert set(out.geometry[0].exterior.coords) == set(corners)


def test_delaunay_uses_ground_distances_on_wgs84():
    """At 60 N, the diagonal chosen is the short one on the ground, not in degrees."""
    # a rhombus: in degrees the east-west diagonal (0.2) is longer than the north-south one
    # (0.12), on the ground at 60 N it is shorter (11.1 km vs 13.4 km)
    points = [(10.0, 60.0), (10.1, 59.94), (10.2, 60.0), (10.1, 60.06)]
    out = run(delaunay, features=layer([shapely.Point(*p) for p in points]))
    edges = set()
    for t in zip(out.columns["node_a"], out.columns["node_b"], out.columns["node_c"], strict=True):
        edges |= {frozenset((t[0], t[1])), frozenset((t[1], t[2])), frozenset((t[0], t[2]))}
    assert frozenset((0, 2)) in edges and frozenset((1, 3)) not in edges


def test_delaunay_ids_duplicates_and_nulls():
    """Feature ids name the corners; coincident points are one node; nulls skipped."""
    collection = layer([shapely.Point(0, 0), None, shapely.Point(1, 0), shapely.Point(0, 0),
                        shapely.Point(0, 1)], crs=3857)
    collection["features"] = [dict(f, id=f"p{i}") for i, f in enumerate(collection["features"])]
    out = run(delaunay, features=collection)
    assert len(out) == 1
    assert sorted([out.columns[k][0] for k in ("node_a", "node_b", "node_c")]) == ["p0", "p2", "p4"]


def test_delaunay_too_few_or_collinear_points():
    """Fewer than three points, or points on a line, give no triangle."""
    assert len(run(delaunay, features=layer([shapely.Point(0, 0), shapely.Point(1, 1)]))) == 0
    line = [shapely.Point(k, k) for k in range(4)]
    assert len(run(delaunay, features=layer(line, crs=3857))) == 0
    assert len(run(delaunay, features=layer([], crs=3857))) == 0


def test_delaunay_vertices_of_other_geometries():
    """A polygon's vertices are triangulated, each corner naming the polygon."""
    out = run(delaunay, features=layer([shapely.box(0, 0, 1, 1)], crs=3857, k=["sq"]))
    assert len(out) == 2 and set(out.columns["node_a"]) == {0}
