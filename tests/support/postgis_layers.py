"""Generated layers in a throwaway PostGIS database, and the catalog settings that serve them.

``make test`` runs against the server ``tests/support/postgres.py`` finds; each
session creates its own database with PostGIS, loads these tables, and drops it
at the end. The same rows are written to GeoPackages too, so that tier 1 (file
layers) and tier 2 (PostGIS layers) see identical inputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
import shapely

from tests.support import postgres

HOSTILE_TABLE = 'we"ird; DROP TABLE points; --'
HOSTILE_COLUMN = 'a"; DROP TABLE points; --'
UNICODE_COLUMN = "naïve ünïcode"


def points(n: int, seed: int = 7) -> tuple[np.ndarray, dict[str, list[Any]]]:
    """``n`` points scattered over a 2 x 1 degree box near (10, 50), with attributes."""
    rng = np.random.default_rng(seed)
    x = 10 + rng.random(n) * 2
    y = 50 + rng.random(n)
    kinds = ["a", "b", "c", "O'Brien"]
    columns = {"name": [f"p{i}" for i in range(n)], "pop": [int(v) for v in rng.integers(0, 1000, n)],
               "score": [float(round(v, 3)) for v in rng.random(n)],
               "kind": [kinds[i % len(kinds)] for i in range(n)]}
    return shapely.points(x, y), columns


def parcels(n_side: int, origin: tuple[float, float] = (10.0, 50.0), size: float = 0.1
            ) -> tuple[np.ndarray, dict[str, list[Any]]]:
    """A grid of ``n_side``² square polygons, zones in stripes, values increasing."""
    boxes, zones, values = [], [], []
    for i in range(n_side):
        for j in range(n_side):
            x, y = origin[0] + i * size, origin[1] + j * size
            boxes.append(shapely.box(x, y, x + size, y + size))
            zones.append(f"z{(i + j) % 3}")
            values.append(float(i * n_side + j))
    return np.array(boxes, dtype=object), {"zone": zones, "value": values}


def wiggles(n: int, seed: int = 3) -> tuple[np.ndarray, dict[str, list[Any]]]:
    """``n`` noisy east-west lines (200 vertices each) near (10, 50), for simplification."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        x = np.linspace(10.0, 10.5, 200)
        y = 50 + i * 0.02 + 0.002 * np.sin(x * 300) + rng.normal(0, 0.0003, 200)
        lines.append(shapely.linestrings(x, y))
    return np.array(lines, dtype=object), {"label": [f"w{i}" for i in range(n)]}


def create_table(conn: psycopg.Connection[Any], name: str, geometry: np.ndarray,
                 columns: dict[str, list[Any]], srid: int = 4326) -> None:
    """``public.<name>`` with an ``id`` primary key, the columns and a ``geom`` column."""
    from psycopg import sql

    kinds = {int: "bigint", float: "double precision", str: "text"}
    definitions = [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(kinds[type(v[0])]))
                   for c, v in columns.items()]
    table = sql.Identifier("public", name)
    conn.execute(sql.SQL("CREATE TABLE {} (id bigint PRIMARY KEY, {}, geom geometry)").format(
        table, sql.SQL(", ").join(definitions)))
    names = sql.SQL(", ").join([sql.Identifier("id"), *[sql.Identifier(c) for c in columns],
                                sql.Identifier("geom")])
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(table, names)) as copy:
        wkb = shapely.to_wkb(geometry, hex=True, include_srid=False)
        for i in range(len(geometry)):
            copy.write_row([i + 1, *[columns[c][i] for c in columns],
                            f"SRID={srid};{wkb[i]}" if wkb[i] is not None else None])
    conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(table))
    conn.execute(sql.SQL("ANALYZE {}").format(table))


def load(conn: psycopg.Connection[Any]) -> None:
    """The test layers (see the module docstring)."""
    create_table(conn, "points", *points(300))
    create_table(conn, "parcels", *parcels(10))
    utm, utm_columns = parcels(4, origin=(600000.0, 5590000.0), size=1000.0)  # ~10.4E 50.4N
    create_table(conn, "parcels_utm", utm, utm_columns, srid=32632)
    create_table(conn, "wiggles", *wiggles(12))
    from psycopg import sql

    conn.execute(sql.SQL("CREATE TABLE {} (id bigint PRIMARY KEY, {} text, {} double precision, "
                         "geom geometry)").format(sql.Identifier(HOSTILE_TABLE),
                                                  sql.Identifier(HOSTILE_COLUMN),
                                                  sql.Identifier(UNICODE_COLUMN)))
    conn.execute(sql.SQL("INSERT INTO {} VALUES (1, %s, 1.5, ST_Point(10, 50, 4326)), "
                         "(2, %s, 2.5, ST_Point(11, 51, 4326))").format(
        sql.Identifier(HOSTILE_TABLE)), ("x'; DROP TABLE points; --", "ok"))


@contextmanager
def database() -> Iterator[str]:
    """A fresh database with PostGIS and the test layers; yields its libpq URL."""
    with postgres.fresh_database("honua_postgis", postgis=True) as name:
        with postgres.connect(name, autocommit=True) as conn:
            load(conn)
        yield postgres.url(name).replace("postgresql+psycopg://", "postgresql://")


def layer_specs(url: str) -> list[dict[str, Any]]:
    """``[[honua.layers]]`` entries serving the test tables."""
    return [{"id": "pg-points", "url": url, "table": "public.points", "title": "Points"},
            {"id": "pg-parcels", "url": url, "table": "public.parcels"},
            {"id": "pg-parcels-utm", "url": url, "table": "public.parcels_utm"},
            {"id": "pg-wiggles", "url": url, "table": "public.wiggles"},
            {"id": "pg-big", "url": url,
             "sql": "SELECT id, name, pop, geom FROM points WHERE pop >= 500 AND name LIKE 'p%'",
             "id_column": "id"},
            {"id": "pg-hostile", "url": url, "table": f"public.{HOSTILE_TABLE}"}]
