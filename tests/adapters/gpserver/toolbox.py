"""Processes for the GPServer tests: every core data type, one-mode tasks, a slow job.

Loaded by the server and its workers through
``process_modules=("tests.adapters.gpserver.toolbox",)``. Everything is imported
at module level (workers may lose read access to the library after switching user).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Literal

import shapely

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input, Output
from honua.core.values import ArealUnit, Envelope, File, Geometry, LinearUnit, SpatialReference
from honua.geo.features import FeatureCollection

MODULE = "tests.adapters.gpserver.toolbox"


@process("all_types", title="All types", category="Test", outputs={
    "text": Output(str), "count": Output(int), "ratio": Output(float), "flag": Output(bool),
    "when": Output(dt.datetime), "distance": Output(LinearUnit), "area": Output(ArealUnit),
    "names": Output(list[str]), "sr": Output(SpatialReference), "box": Output(Envelope),
    "shape": Output(Geometry)})
def all_types(
    ctx: Context,
    text: Annotated[Literal["alpha", "beta"], Input(title="Text")],
    count: int,
    ratio: float,
    flag: bool,
    when: dt.datetime,
    distance: LinearUnit,
    area: ArealUnit,
    names: list[str],
    sr: SpatialReference,
    box: Envelope,
    shape: Geometry,
) -> dict[str, object]:
    """Return every input unchanged, to check each GP data type both ways."""
    return {"text": text, "count": count, "ratio": ratio, "flag": flag, "when": when,
            "distance": distance, "area": area, "names": names, "sr": sr, "box": box,
            "shape": shape}


@process("polygon_area", title="Polygon area", category="Test")
def polygon_area(ctx: Context, polygons: Annotated[FeatureCollection, Input(
        title="Polygons", geometry_types=("polygon",))]) -> float:
    """Sum of the polygons' planar areas, in the units of their CRS."""
    return float(shapely.area(polygons.geometry).sum())


@process("row_count", title="Row count", category="Test")
def row_count(ctx: Context, rows: Annotated[FeatureCollection, Input(
        title="Rows", geometry_types=("none",))]) -> int:
    """How many rows a table has."""
    return len(rows)


@process("sync_only", title="Sync only", category="Test", job_control=("sync",))
def sync_only(ctx: Context, text: str = "hello") -> str:
    """Runs synchronously only."""
    return text


@process("async_only", title="Async only", category="Test", job_control=("async",))
def async_only(ctx: Context, text: str = "hello") -> str:
    """Runs as a job only."""
    return text


@process("slow", title="Slow", category="Test")
def slow(ctx: Context, seconds: float = 10.0) -> float:
    """Wait in small steps, reporting progress, stopping early when cancelled."""
    began = time.monotonic()
    while (elapsed := time.monotonic() - began) < seconds:
        if ctx.cancelled:
            break
        ctx.progress(100 * elapsed / seconds, "waiting")
        time.sleep(0.02)
    return time.monotonic() - began


@process("fail", title="Fail", category="Test")
def fail(ctx: Context, text: str = "boom") -> str:
    """Always fails with a message."""
    ctx.message("about to fail", "warning")
    raise RuntimeError(text)


@process("file_copy", title="File copy", category="Test",
         outputs={"size": Output(int), "copy": Output(File)})
def file_copy(ctx: Context, data: File) -> dict[str, object]:
    """The size of a file and a copy of it."""
    content = data.read()
    return {"size": len(content),
            "copy": File(name="copy.bin", media_type="application/octet-stream", data=content)}


@process("no_inputs", title="No inputs", category="Test")
def no_inputs(ctx: Context) -> str:
    """Takes nothing."""
    return "done"
