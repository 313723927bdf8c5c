"""The frames a pool and its worker processes exchange, and how they are pickled.

One frame is one pickled dataclass sent with ``Connection.send_bytes`` over a
socket pair. The pool only ever has one job in flight per worker, so frames
need no sequence numbers; they name their job so that late frames of an
earlier job can be told apart and dropped.

Inputs and outputs travel as pickle protocol 5 *inside* their frame (a nested
``bytes``), so a value that cannot be pickled or unpickled fails its own job
with a clear message instead of breaking the channel, and the worker unpickles
inputs under the job's limits. Object arrays of shapely geometries -- the
geometry column of every feature collection -- are pickled as one vectorised
WKB conversion rather than one ``__reduce__`` call per geometry: about ten
times faster for 100k polygons.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from honua.core.execution import OutcomeStatus, WorkItem
from honua.core.values import File
from honua.executors.sandbox import Plan, Report
from honua.settings import Settings

PROTOCOL = 5


# -- parent -> worker ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Hello:
    """The first frame: what the worker needs to build itself."""

    settings: Settings
    sys_path: tuple[str, ...]
    workdir: str
    """Scratch directory of this worker (already owned by the worker user)."""
    sandbox: Plan


@dataclass(frozen=True)
class Run:
    """Run ``item``; its inputs, if bound values, are in ``inputs`` (pickled)."""

    item: WorkItem
    inputs: bytes | None = None


@dataclass(frozen=True)
class Cancel:
    job_id: str


# -- worker -> parent ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Ready:
    pid: int
    uid: int
    problems: tuple[str, ...] = ()
    sandbox: Report = Report()


@dataclass(frozen=True)
class Fatal:
    """The worker could not start (bad settings, unknown user...)."""

    message: str


@dataclass(frozen=True)
class Progress:
    job_id: str
    percent: float
    message: str | None


@dataclass(frozen=True)
class Note:
    """A message the process logged for its job (``Context.message``)."""

    job_id: str
    level: str
    text: str


@dataclass(frozen=True)
class Done:
    """How a job ended in the worker. ``outputs`` is pickled, ``outputs_json`` encoded."""

    job_id: str
    status: OutcomeStatus
    outputs: bytes | None = None
    outputs_json: bytes | None = None
    error: str = ""
    error_kind: str = ""
    output_hashes: dict[str, Any] = field(default_factory=dict)
    """SHA-256 and size of each value of ``outputs_json`` (for the provenance ledger)."""
    recycle: bool = False
    """The job hit a resource limit or left something behind: replace this worker."""
    details: str = field(default="", repr=False)
    """A traceback for the server's log, never for the client."""


# -- pickling -----------------------------------------------------------------------------------
def _geometries_from_wkb(wkb: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    geometries: np.ndarray = shapely.from_wkb(wkb)
    return geometries.reshape(shape)


def _is_geometry_array(value: np.ndarray) -> bool:
    flat = value.ravel()
    try:
        geometries = shapely.is_geometry(flat)
        return bool(geometries.any() and (geometries | shapely.is_missing(flat)).all())
    except Exception:  # an object array of things shapely cannot even look at
        return False


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is np.ndarray and obj.dtype == object and obj.size and _is_geometry_array(obj):
            wkb = shapely.to_wkb(obj.ravel(), include_srid=True)
            return _geometries_from_wkb, (wkb, obj.shape)
        return NotImplemented


def dumps(value: Any) -> bytes:
    """Pickle protocol 5, with geometry arrays as vectorised WKB."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=PROTOCOL).dump(value)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    return pickle.loads(data)


def inline_files(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with every on-disk ``File`` read into memory.

    The other side of the pipe may run as another user, or may have deleted
    the file (a worker's scratch directory), so files travel as bytes.
    """
    return {name: _inline(value) for name, value in values.items()}


def _inline(value: Any) -> Any:
    if isinstance(value, File) and value.data is None and value.path is not None:
        return File(name=value.name, media_type=value.media_type, data=value.read())
    if isinstance(value, list | tuple):
        return type(value)(_inline(v) for v in value)
    return value
