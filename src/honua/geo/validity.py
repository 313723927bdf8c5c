"""Invalid geometries: find them, repair them, or refuse them with the reason.

Processes take an ``invalid`` choice so that the user decides what happens
to self-intersecting rings, unclosed or collapsed parts and the like:

* ``repair`` (default): ``shapely.make_valid`` with the *structure* method,
  which rebuilds polygons from their rings (holes cut out, overlapping parts
  unioned) and drops parts that collapse to a lower dimension, so a polygon
  stays polygonal;
* ``keep``: geometries are used as they are (GEOS may give odd results);
* ``refuse``: the first invalid feature is reported with GEOS's reason.

Missing and empty geometries are valid here.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import shapely

from honua.errors import InvalidParameter

__all__ = ["INVALID_CHOICES", "handle_invalid", "repair"]

InvalidChoice = Literal["repair", "keep", "refuse"]
INVALID_CHOICES = ("repair", "keep", "refuse")


def invalid_mask(geometry: np.ndarray) -> np.ndarray:
    """True for present, non-empty geometries that are not valid."""
    geometry = np.asarray(geometry, dtype=object)
    present = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    out = np.zeros(geometry.shape, dtype=bool)
    out[present] = ~shapely.is_valid(geometry[present])
    return out


def repair(geometry: np.ndarray, *, method: Literal["structure", "linework"] = "structure",
           keep_collapsed: bool = False) -> np.ndarray:
    """``geometry`` with every invalid entry made valid (valid ones untouched).

    >>> bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    >>> repair(np.array([bowtie, None]))[0].geom_type
    'MultiPolygon'
    """
    geometry = np.asarray(geometry, dtype=object)
    out = geometry.copy()
    bad = invalid_mask(geometry)
    if bad.any():
        options = {"keep_collapsed": keep_collapsed} if method == "structure" else {}
        out[bad] = shapely.make_valid(geometry[bad], method=method, **options)
    return out


def handle_invalid(geometry: np.ndarray, choice: str, *, parameter: str) -> np.ndarray:
    """``geometry`` repaired, kept or refused as ``choice`` says (see module doc)."""
    if choice == "keep":
        return np.asarray(geometry, dtype=object)
    if choice == "repair":
        return repair(geometry)
    bad = np.flatnonzero(invalid_mask(geometry))
    if len(bad):
        i = int(bad[0])
        raise InvalidParameter(
            f"input {parameter!r}: feature {i} has an invalid geometry "
            f"({shapely.is_valid_reason(geometry[i])}); {len(bad)} feature(s) are invalid. "
            "Repair them first (repair_geometry) or set 'invalid' to 'repair'",
            parameter=parameter)
    return np.asarray(geometry, dtype=object)
