"""Helpers and fixtures for the generalisation, geometry, projection and selection processes.

Plain functions rather than pytest fixtures, so that test modules import them
by name without shadowing. ``run`` calls a process the way every adapter does: inputs in their neutral
wire form (GeoJSON dicts, ``{"value", "unit"}``, strings) go through
``bind_inputs`` (validation and conversion), then ``call_process``.
"""

from __future__ import annotations

from typing import Any

import orjson
import psycopg
import shapely
from tests.support import postgres

from honua.core.context import Context
from honua.core.decorator import definition_of
from honua.core.invoke import bind_inputs, call_process
from honua.geo.features import FeatureCollection
from honua.geo.geojson import write_features

__all__ = ["geojson", "messages_log", "mixed_layer", "postgis", "progress_log", "run", "run_all"]


def run_all(function: Any, context: Context | None = None, **inputs: Any) -> dict[str, Any]:
    """Every output of ``function`` run on wire-form ``inputs``."""
    definition = definition_of(function)
    assert definition is not None, f"{function!r} is not a process"
    bound = bind_inputs(definition.description, inputs)
    return call_process(definition, context or Context(), bound)


def run(function: Any, **inputs: Any) -> Any:
    """The ``result`` output of ``function`` run on wire-form ``inputs``."""
    return run_all(function, **inputs)["result"]


def geojson(geometries: list[Any], crs: Any = 4326, **columns: list[Any]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection dict (the wire form) from shapely geometries and columns."""
    collection = FeatureCollection.from_geometries(geometries, crs=crs, **columns)
    return orjson.loads(write_features(collection))


def mixed_layer() -> dict[str, Any]:
    """Points, lines, polygons, a null and an empty geometry with columns of every type."""
    return geojson(
        [shapely.Point(10, 50), shapely.LineString([(10, 50), (10.1, 50.1)]),
         shapely.box(10, 50, 10.1, 50.1), None, shapely.Polygon()],
        name=["p", "l", "a", "n", "e"], count=[1, 2, 3, None, 5],
        ratio=[0.5, 1.5, None, 2.5, 3.5], flag=[True, False, True, None, False],
        when=["2024-01-01T00:00:00Z", None, "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z",
              "2024-05-01T00:00:00Z"],
        meta=[{"k": 1}, None, [1, 2], {"k": 2}, None])


def progress_log() -> tuple[Context, list[float]]:
    """A context recording every progress percentage reported."""
    seen: list[float] = []
    return Context(on_progress=lambda percent, message: seen.append(percent)), seen


def messages_log() -> tuple[Context, list[str]]:
    """A context recording every message text reported."""
    seen: list[str] = []
    return Context(on_message=lambda text, level: seen.append(text)), seen


POSTGIS_DATABASE = "honua_geometry_tests"


def postgis() -> psycopg.Connection:
    """A connection to a PostGIS database for reference figures; fails the test if unavailable."""
    return postgres.shared_postgis(POSTGIS_DATABASE)
