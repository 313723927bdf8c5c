"""Processes used only by the WPS tests (served through ``settings.process_modules``)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Literal

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input, Output
from honua.core.values import ArealUnit, Envelope, File, Geometry, LinearUnit, SpatialReference
from honua.errors import InvalidParameter
from honua.geo.features import FeatureCollection


@process("wps_echo", title="Echo every data type", keywords=("test",), outputs={
    "text": Output(str), "count": Output(int), "ratio": Output(float), "flag": Output(bool),
    "when": Output(dt.datetime), "distance": Output(LinearUnit), "area": Output(ArealUnit),
    "extent": Output(Envelope), "crs": Output(SpatialReference), "features": Output(FeatureCollection),
    "geometry": Output(Geometry), "blob": Output(File)})
def echo(
    ctx: Context,
    text: Annotated[str, Input(title="Text", description="Any text.")],
    colour: Literal["red", "green"] = "red",
    count: int = 3,
    ratio: float = 0.5,
    flag: bool = False,
    when: dt.datetime | None = None,
    distance: LinearUnit = LinearUnit(5, "kilometers"),
    area: ArealUnit | None = None,
    extent: Envelope | None = None,
    crs: SpatialReference | None = None,
    features: FeatureCollection | None = None,
    geometry: Geometry | None = None,
    blob: File | None = None,
    tags: list[str] | None = None,
) -> dict:
    """Returns its inputs, to check every WPS encoding both ways."""
    outputs = {"text": f"{text}|{colour}|{','.join(tags or [])}", "count": count, "ratio": ratio,
               "flag": flag, "when": when, "distance": distance, "area": area, "extent": extent,
               "crs": crs, "features": features, "geometry": geometry, "blob": blob}
    return {k: v for k, v in outputs.items() if v is not None}


@process("wps_slow", title="Wait, reporting progress")
def slow(ctx: Context, seconds: float = 1.5) -> int:
    """Reports 50 % at once, then waits ``seconds`` (stopping early when cancelled)."""
    ctx.progress(50, "half way")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not ctx.cancelled:
        time.sleep(0.02)
    return 1


@process("wps_fail", title="Always fails")
def fail(ctx: Context, reason: Literal["input", "bug"] = "bug") -> int:
    """Fails: as a bad input (a client error) or as a bug."""
    if reason == "input":
        raise InvalidParameter("the value is out of range", parameter="reason")
    raise RuntimeError("the process crashed")


@process("wps_gate", title="Wait for a file")
def gate(ctx: Context, path: str, limit: float = 60.0) -> int:
    """Waits until the file ``path`` exists (at most ``limit`` seconds, or until cancelled)
    and returns the number written in it: a test opens the gate when it has seen what
    happens while the process is still running. Needs the sandbox off (it reads a test's
    folder)."""
    deadline = time.monotonic() + limit
    while not ctx.cancelled:
        try:
            with open(path) as opened:
                return int(opened.read())
        except (FileNotFoundError, ValueError):
            if time.monotonic() > deadline:
                raise InvalidParameter(f"the gate {path} did not open within {limit:g} s",
                                       parameter="path") from None
            time.sleep(0.02)
    return -1
