"""geo.overlay: pieces of two layers and where they come from."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import shapely

from honua.geo import overlay

A = np.array([shapely.box(0, 0, 2, 2), None, shapely.Polygon(), shapely.box(10, 10, 11, 11)])
B = np.array([shapely.box(1, 1, 3, 3), shapely.box(1, -1, 3, 1)])


def test_overlay_doctests():
    """The module's examples hold."""
    assert doctest.testmod(overlay).failed == 0


def test_overlay_identity_covers_the_input_exactly():
    """Identity pieces of a feature add up to the feature, none overlapping."""
    pieces, ia, ib = overlay.identity(A, B)
    assert ia.tolist() == [0, 0, 0, 3] and ib.tolist() == [0, 1, -1, -1]
    assert sum(p.area for p in pieces[ia == 0]) == pytest.approx(4)


def test_overlay_union_areas_add_up():
    """Union pieces tile the union of both layers once (when layers do not self-overlap)."""
    pieces, ia, ib = overlay.union(A, B)
    assert sum(p.area for p in pieces) == pytest.approx(shapely.union_all(
        [g for g in [*A, *B] if g is not None]).area)
    assert set(zip(ia.tolist(), ib.tolist(), strict=True)) == {
        (0, 0), (0, 1), (0, -1), (3, -1), (-1, 0), (-1, 1)}


def test_overlay_symmetric_difference_excludes_common_area():
    """No symmetric-difference piece overlaps both layers."""
    pieces, ia, ib = overlay.symmetric_difference(A, B)
    assert all((i < 0) != (j < 0) for i, j in zip(ia, ib, strict=True))
    common = shapely.intersection(A[0], shapely.union_all(B))
    assert all(shapely.intersection(p, common).area == pytest.approx(0) for p in pieces)


def test_overlay_clip_points_on_edges_and_missing():
    """A point on a clip edge is kept once; missing geometries give nothing."""
    pieces, ia = overlay.clip(np.array([shapely.Point(1, 1), None]), B)
    assert ia.tolist() == [0] and pieces[0].equals(shapely.Point(1, 1))


def test_overlay_layers_union_with_an_empty_layer():
    """An empty later layer leaves the first whole, with -1 for the empty layer."""
    pieces, (ia, ib) = overlay.overlay_layers([A, np.empty(0, dtype=object)], "union")
    assert ia.tolist() == [0, 3] and ib.tolist() == [-1, -1]


def test_overlay_intersection_of_collections_keeps_lowest_dimension():
    """Line with polygon gives line; point with line gives point."""
    lines = np.array([shapely.LineString([(0, 0), (4, 0)])])
    polys = np.array([shapely.box(1, -1, 2, 1), shapely.Point(3, 0)], dtype=object)
    pieces, ia, ib = overlay.intersection_pairs(lines, polys)
    assert [p.geom_type for p in pieces] == ["LineString", "Point"]


def test_overlay_features_inside_pass_whole_and_inputs_stay_unprepared():
    """A feature inside a polygon comes back as the same object; no input stays prepared."""
    inner = shapely.box(0.2, 0.2, 0.8, 0.8)
    cutter = shapely.box(0, 0, 1, 1)
    pieces, ia = overlay.clip(np.array([inner]), np.array([cutter]))
    assert pieces[0] is inner and not shapely.is_prepared(cutter)
    assert len(overlay.erase(np.array([inner]), np.array([cutter]))[0]) == 0
    pieces, _, _ = overlay.intersection_pairs(np.array([inner]), np.array([cutter]))
    assert pieces[0] is inner


def test_overlay_progress_reported_by_chunk(monkeypatch):
    """Large overlays report progress between chunks, ending at 1."""
    monkeypatch.setattr(overlay, "CHUNK", 2)
    seen = []
    a = shapely.box(np.arange(5), 0, np.arange(5) + 1.5, 1)
    overlay.overlay_layers([a, np.array([shapely.box(-1, 0.5, 9, 2)])], "intersection",
                           progress=seen.append)
    assert len(seen) >= 3 and seen == sorted(seen) and seen[-1] == 1.0
