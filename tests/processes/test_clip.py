"""The clip process: parts inside clip polygons, one per feature, input attributes only."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, progress_log, run, run_all, typed_columns

from honua.errors import InvalidParameter
from honua.geo.crs import parse_crs
from honua.geo.reproject import transform
from honua.processes.clip import clip

SQUARES = layer([shapely.box(0, 0, 2, 2), shapely.box(2, 0, 4, 2)], crs=3857, zone=["w", "e"])


def test_clip_polygon_by_two_touching_polygons_gives_one_piece():
    """A feature spanning two adjacent clip polygons comes out as one merged polygon."""
    out = run(clip, features=layer([shapely.box(1, 0.5, 3, 1.5)], crs=3857, id=[7]),
              clip_features=SQUARES)
    assert len(out) == 1 and out.geometry[0].geom_type == "Polygon"
    assert out.geometry[0].area == pytest.approx(2.0)
    assert out.columns == {"id": [7]}


def test_clip_line_keeps_inside_part_merged():
    """A line crossing the clip area keeps its inside part as one line."""
    line = shapely.LineString([(-1, 1), (5, 1)])
    out = run(clip, features=layer([line], crs=3857), clip_features=SQUARES)
    assert out.geometry[0].geom_type == "LineString" and out.geometry[0].length == pytest.approx(4)


def test_clip_points_inside_kept_outside_dropped():
    """Points inside (or on the edge) are kept, points outside dropped."""
    points = [shapely.Point(1, 1), shapely.Point(9, 9), shapely.Point(2, 2)]
    out = run(clip, features=layer(points, crs=3857, n=[1, 2, 3]), clip_features=SQUARES)
    assert out.columns["n"] == [1, 3]


def test_clip_drops_touching_sliver():
    """A polygon only touching the clip area along an edge gives nothing."""
    out = run(clip, features=layer([shapely.box(4, 0, 5, 2)], crs=3857), clip_features=SQUARES)
    assert len(out) == 0


def test_clip_reprojects_clip_features_to_input_crs():
    """Clip polygons in Web Mercator clip lon/lat features; the output stays lon/lat."""
    mercator = transform([shapely.box(0, 0, 1, 1)], parse_crs(4326), parse_crs(3857))
    out = run(clip, features=layer([shapely.box(0.5, 0.5, 2, 2)]),
              clip_features=layer(list(mercator), crs=3857))
    assert out.crs.to_epsg() == 4326 or out.crs.name == "WGS 84 (CRS84)"
    assert out.geometry[0].area == pytest.approx(0.25, rel=1e-6)


def test_clip_carries_attributes_of_every_type_and_skips_null_geometry():
    """Null geometries give nothing; attributes of every type survive."""
    shapes = [shapely.box(0, 0, 1, 1), None, shapely.Polygon(), shapely.box(1, 1, 3, 3),
              shapely.Point(1, 1), shapely.LineString([(0, 0), (1, 1)])]
    out = run(clip, features=layer(shapes, crs=3857, **typed_columns(6)), clip_features=SQUARES)
    assert out.columns["meta"] == [{"k": 1}, {"k": 2}, None, {"k": 3}]
    assert out.columns["flag"] == [True, True, False, True]
    assert [f.type for f in out.fields][:4] == ["string", "integer", "double", "boolean"]


def test_clip_empty_inputs():
    """Empty input or empty clip layer gives an empty output."""
    assert len(run(clip, features=layer([], crs=3857), clip_features=SQUARES)) == 0
    assert len(run(clip, features=SQUARES, clip_features=layer([], crs=3857))) == 0


def test_clip_refuses_point_clip_features():
    """Clip features must be polygons."""
    with pytest.raises(InvalidParameter, match="polygon") as caught:
        run(clip, features=SQUARES, clip_features=layer([shapely.Point(0, 0)], crs=3857))
    assert caught.value.parameter == "clip_features"


def test_clip_repairs_invalid_clip_polygon():
    """A bow-tie clip polygon is repaired into its two triangles."""
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    out = run(clip, features=layer([shapely.box(0, 0, 2, 2)], crs=3857),
              clip_features=layer([bowtie], crs=3857))
    assert out.geometry[0].area == pytest.approx(2.0)


def test_clip_reports_progress():
    """Progress runs up to 100."""
    context, seen = progress_log()
    run_all(clip, context, features=SQUARES, clip_features=SQUARES)
    assert seen[-1] == 100


def test_clip_keeps_feature_ids():
    """Each clipped feature keeps its id; features clipped away take theirs with them."""
    features = layer([shapely.box(9, 9, 10, 10), shapely.box(1, 1, 3, 3)], crs=3857)
    features["features"] = [dict(f, id=i + 10) for i, f in enumerate(features["features"])]
    assert run(clip, features=features, clip_features=SQUARES).ids == [11]
