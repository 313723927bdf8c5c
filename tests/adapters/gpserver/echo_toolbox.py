"""A process whose result is exactly its input, for tests of how results are answered
(loaded by ``process_modules``; everything imported at module level, as ``toolbox.py``)."""

from __future__ import annotations

from honua.core.context import Context
from honua.core.decorator import process
from honua.geo.features import FeatureCollection

MODULE = "tests.adapters.gpserver.echo_toolbox"


@process("echo_features", title="Echo features", category="Test")
def echo_features(ctx: Context, features: FeatureCollection) -> FeatureCollection:
    """The features as given: attributes, ids, geometry types and CRS chosen by the test."""
    return features
