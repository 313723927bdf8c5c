"""geo.local: local projections for ground-true planar work."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import shapely

from honua.geo import local
from honua.geo.crs import parse_crs


def test_local_doctests():
    """The module's examples hold."""
    assert doctest.testmod(local).failed == 0


@pytest.mark.parametrize(("x", "y"), [(2.35, 48.85), (-179.9, -10), (10, 85), (10, -85)])
def test_local_zone_round_trip(x, y):
    """Projecting to a point's zone and back returns it to the nanodegree."""
    forward, backward = local.zone_transformers(parse_crs(4326), int(local.zone_of(
        np.array([x]), np.array([y]))[0]))
    out = local.apply(backward, local.apply(forward, np.array([shapely.Point(x, y)])))[0]
    assert (out.x, out.y) == pytest.approx((x, y), abs=1e-9)


def test_local_centred_projection_metric_near_centre():
    """A kilometre east of the centre is a kilometre in the centred projection."""
    forward, _ = local.centred_transformers(parse_crs(4326), 10.0, 60.0)
    x, y = forward.transform([10.0, 10.0 + 1000 / 55_800], [60.0, 60.0])
    assert x[1] - x[0] == pytest.approx(1000, rel=3e-3)


def test_local_apply_keeps_missing():
    """None passes through a transformation."""
    forward, _ = local.zone_transformers(parse_crs(4326), 31)
    assert local.apply(forward, np.array([None]))[0] is None


def test_local_pipeline_and_crs_operation_agree():
    """The fast PROJ pipeline gives the same coordinates as the CRS-to-CRS operation."""
    from pyproj import Transformer
    from pyproj.crs import ProjectedCRS
    from pyproj.crs.coordinate_operation import TransverseMercatorConversion

    crs = parse_crs(4326)
    forward, _ = local.zone_transformers(crs, 32)
    reference = Transformer.from_crs(crs, ProjectedCRS(
        conversion=TransverseMercatorConversion(
            latitude_natural_origin=0.0, longitude_natural_origin=15.0,
            scale_factor_natural_origin=0.9996, false_easting=500000.0),
        geodetic_crs=crs.geodetic_crs), always_xy=True)
    assert forward.transform(13.4, 52.5) == pytest.approx(reference.transform(13.4, 52.5), abs=1e-6)
