"""Long built-ins report progress in steps: a large buffer or spatial join moves between
0 and 100 % instead of jumping, and cutting the work into chunks changes no result."""

from __future__ import annotations

import numpy as np
import shapely

from honua.core.context import Context
from honua.geo.crs import parse_crs
from honua.geo.features import FeatureCollection
from honua.processes._steps import chunks
from honua.processes.buffer import buffer
from honua.processes.spatial_join import spatial_join


def points(count: int, seed: int = 1) -> FeatureCollection:
    rng = np.random.default_rng(seed)
    xy = rng.uniform([-10, 40], [10, 55], size=(count, 2))
    return FeatureCollection(shapely.points(xy), {"n": np.arange(count)}, parse_crs(4326))


def recording() -> tuple[Context, list[float]]:
    seen: list[float] = []
    return Context(on_progress=lambda percent, message: seen.append(percent)), seen


def test_chunks_cover_every_row_once():
    for count in (0, 1, 4_999, 5_000, 5_001, 123_457):
        covered = [i for s in chunks(count) for i in range(s.start, s.stop)]
        assert covered == list(range(count))
        assert len(chunks(count)) <= 20


def test_a_large_buffer_reports_several_intermediate_percentages():
    ctx, seen = recording()
    out = buffer(ctx, points(60_000), distance=_meters(50))
    between = sorted({round(p) for p in seen if 0 < p < 100})
    assert len(between) >= 5, seen
    assert seen == sorted(seen) and seen[-1] == 100  # it only moves forward
    assert len(out) == 60_000 and not shapely.is_empty(out.geometry).any()


def test_buffer_in_steps_equals_buffer_in_one_call():
    features = points(12_000)
    stepped = buffer(Context(), features, distance=_meters(30))
    from honua.geo import buffer as geobuffer
    whole = geobuffer.buffer(features.geometry, 30.0, features.crs)
    assert shapely.equals_exact(stepped.geometry, whole, tolerance=0).all()


def test_a_dissolving_buffer_moves_through_both_stages():
    ctx, seen = recording()
    out = buffer(ctx, points(20_000), distance=_meters(10), dissolve=True)
    assert len(out) == 1
    assert any(0 < p < 50 for p in seen) and seen[-1] == 100


def test_a_large_spatial_join_reports_steps_and_keeps_target_order():
    ctx, seen = recording()
    target = points(40_000, seed=2)
    grid = FeatureCollection(np.array([shapely.box(x, y, x + 5, y + 5) for x in range(-10, 10, 5)
                                       for y in range(40, 55, 5)], dtype=object),
                             {"cell": np.arange(12)}, parse_crs(4326))
    out = spatial_join(ctx, target, grid)
    assert len([p for p in seen if 5 < p < 80]) >= 5, seen
    assert list(out.columns["n"]) == list(range(40_000))


def _meters(value: float):
    from honua.core.values import LinearUnit
    return LinearUnit(value, "meters")
