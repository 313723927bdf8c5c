"""Helpers and fixtures for the proximity and overlay process tests.

``run`` calls a process the way every adapter does: wire-form inputs (GeoJSON
dicts, ``{"value", "unit"}``) go through ``bind_inputs`` and ``call_process``.
``postgis`` (imported as ``postgis_fixture``) is a session fixture giving a SQL function on a PostGIS database
(created if needed); the tests that use it fail, never skip, when PostgreSQL
is not reachable.
"""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from tests.processes._fixtures_geom import geojson, run, run_all  # noqa: F401
from tests.support import postgres

from honua.core.context import Context

DATABASE = "honua_po_tests"


# one wire-form runner and layer builder for every process test module
layer = geojson


def progress_log() -> tuple[Context, list[float]]:
    """A context recording every progress percentage reported."""
    seen: list[float] = []
    return Context(on_progress=lambda percent, message: seen.append(percent)), seen


def typed_columns(n: int) -> dict[str, list[Any]]:
    """Columns of every neutral type (text, integer, double, boolean, date-time, JSON) with nulls."""
    base = {
        "name": ["a", "b", None, "d", "e", "f"],
        "count": [1, None, 3, 4, 5, 6],
        "ratio": [0.5, 1.5, None, 2.5, 3.5, 4.5],
        "flag": [True, False, None, True, False, True],
        "when": ["2024-01-01T00:00:00Z", None, "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z",
                 "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z"],
        "meta": [{"k": 1}, None, [1, 2], {"k": 2}, None, {"k": 3}],
    }
    return {name: (values * (n // len(values) + 1))[:n] for name, values in base.items()}


@pytest.fixture(scope="session", name="postgis")
def postgis_fixture():
    """``sql(query, *params) -> first row`` on a PostGIS 3 database."""
    connection = postgres.shared_postgis(DATABASE)

    def sql(query: str, *params: Any) -> tuple[Any, ...]:
        return connection.execute(query, params).fetchone()

    yield sql
    connection.close()


def wkt(geometry: Any) -> str:
    """WKT of a shapely geometry (for SQL parameters)."""
    return shapely.to_wkt(geometry, rounding_precision=-1)
