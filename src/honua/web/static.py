"""``/static``: the files the pages load (Leaflet, the page scripts and style), served by
Honua itself from the package; no page reaches for a CDN."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

__all__ = ["STATIC", "mount"]

STATIC = Path(__file__).resolve().parent / "static"


def mount() -> Mount:
    return Mount("/static", app=StaticFiles(directory=STATIC), name="static")
