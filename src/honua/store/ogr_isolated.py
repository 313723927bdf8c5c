"""GDAL on untrusted files, but never in the server process: a short-lived, confined reader.

Uploaded files are hostile until proven otherwise, and GDAL is a large C
library that picks its driver from a file's content. So the server never
lets GDAL open one itself (SQLite's POSIX locks are per process: a GeoPackage
driver in the server that opened the job store's database would delete its
WAL on close). Each inspection or read runs in a fresh interpreter,
``python -m honua.store.ogr_isolated``, that

* has every GDAL driver but the one of the file's declared format skipped
  (``GDAL_SKIP``), so a VRT, a GDALG pipeline or an SQLite file named
  ``.geojson`` cannot be opened as what it is, and checks the driver that did
  open it;
* has no network at all: a network namespace of its own without interfaces
  where the kernel allows one (root, or unprivileged user namespaces), and
  GDAL's HTTP and ``/vsicurl`` switched off by configuration in any case;
* runs the content checks (``uploads_checks.check_dataset``) again before the
  open, refuses any ``/vsi`` or ``driver:`` path, and runs under the job
  limits (address space, CPU seconds, file size, processes) and a wall-clock
  timeout, in a session of its own that is killed whole when time is up;
* answers on stdout in plain JSON (never pickle: its output is as untrusted
  as its input), which the server checks and turns into a feature collection.

Its errors reach the client as ``InvalidParameter`` with file paths removed.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import logging
import os
import resource
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import shapely

from honua.errors import InvalidParameter, PayloadTooLarge, Unavailable
from honua.geo.crs import parse_crs
from honua.geo.features import FeatureCollection, Field
from honua.settings import Settings

__all__ = ["GDAL_LOCKDOWN", "Inspection", "IsolatedOgr", "ReaderLimits", "confine",
           "reader_environment"]

log = logging.getLogger(__name__)
MIB = 1 << 20
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
PR_SET_PDEATHSIG = 1
GDAL_LOCKDOWN: Mapping[str, str] = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".honua-no-network",
    "GDAL_HTTP_TIMEOUT": "1", "GDAL_HTTP_CONNECTTIMEOUT": "1", "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_PROXY": "127.0.0.1:9", "GDAL_HTTPS_PROXY": "127.0.0.1:9",
    "CPL_VSIL_CURL_USE_HEAD": "NO", "CPL_VSIL_CURL_CHUNK_SIZE": "16384",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", "GDAL_PAM_ENABLED": "NO",
    "GML_DOWNLOAD_WFS_SCHEMA": "NO", "GML_SKIP_RESOLVE_ELEMS": "ALL", "GML_SAVE_RESOLVED_TO": "",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO", "OGR_GPKG_INTEGRITY_CHECK": "NO",
    "PROJ_NETWORK": "OFF",
}
"""GDAL configuration of the reader: no HTTP, no /vsicurl, no schema downloads, no side
files (.aux.xml), no directory listing next to the file."""
_OPEN_OPTIONS = {"GML": (("WRITE_GFS", "NO"),)}
_INDIRECT_DRIVERS = ("OGR_VRT", "VRT", "GDALG", "SQLite", "LIBKML", "HTTP", "WFS", "OAPIF",
                     "OGCAPI", "CSW", "ESRIJSON", "TopoJSON", "GeoJSONSeq")
"""Skipped even if ``pyogrio.list_drivers`` did not name them (raster or renamed drivers)."""


@dataclass(frozen=True)
class ReaderLimits:
    memory_mb: int = 4096
    cpu_seconds: int = 600
    timeout_seconds: float = 600.0
    file_mb: int = 64
    """GDAL writes nothing legitimately; a little room for SQLite's -shm of a GeoPackage."""

    @classmethod
    def from_settings(cls, settings: Settings) -> ReaderLimits:
        return cls(memory_mb=settings.job_memory_mb,
                   cpu_seconds=min(settings.job_cpu_seconds, 3600),
                   timeout_seconds=min(settings.job_timeout_seconds, 3600.0))


@dataclass(frozen=True)
class Inspection:
    """What the reader found in a file: enough to accept it and to plan runs on it."""

    driver: str
    count: int
    vertices: int
    geometry_type: str
    fields: tuple[Field, ...]


def reader_environment(driver: str) -> dict[str, str]:
    """The reader's environment: GDAL locked down, every driver but ``driver`` skipped."""
    import pyogrio  # listing drivers opens no file

    skipped = ",".join(sorted((set(pyogrio.list_drivers()) | set(_INDIRECT_DRIVERS)) - {driver}))
    return {**os.environ, **GDAL_LOCKDOWN, "GDAL_SKIP": skipped, "PYTHONUNBUFFERED": "1",
            "MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1"}


class IsolatedOgr:
    """Runs GDAL on one untrusted file in a confined subprocess (see the module docstring)."""

    def __init__(self, limits: ReaderLimits | None = None) -> None:
        self.limits = limits or ReaderLimits()

    def inspect(self, path: Path, fmt: str, open_options: tuple[tuple[str, str], ...] = ()
                ) -> Inspection:
        answer = self._call("inspect", path, fmt, open_options)
        return Inspection(str(answer["driver"]), int(answer["count"]), int(answer["vertices"]),
                          str(answer["geometry_type"]), _fields(answer["fields"]))

    def read(self, path: Path, fmt: str, open_options: tuple[tuple[str, str], ...] = ()
             ) -> FeatureCollection:
        answer = self._call("read", path, fmt, open_options)
        wkb = [None if g is None else base64.b64decode(g) for g in answer["geometry"]]
        geometry = shapely.from_wkb(np.array(wkb, dtype=object)) if wkb else np.empty(0, object)
        fields = _fields(answer["fields"])
        columns = {f.name: list(answer["columns"][f.name]) for f in fields}
        return FeatureCollection(geometry, columns, parse_crs(answer["crs"]),
                                 list(answer["ids"]), fields)

    def _call(self, op: str, path: Path, fmt: str,
              open_options: tuple[tuple[str, str], ...]) -> dict[str, Any]:
        from honua.store.uploads_checks import FORMATS

        driver = next(f.driver for f in FORMATS if f.name == fmt)
        request = orjson.dumps({"op": op, "path": str(path), "format": fmt, "driver": driver,
                                "open_options": [list(o) for o in open_options],
                                "limits": vars(self.limits)})
        env = reader_environment(driver)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                process = subprocess.Popen(
                    [sys.executable, "-m", "honua.store.ogr_isolated"], stdin=subprocess.PIPE,
                    stdout=out, stderr=err, env=env, cwd="/", start_new_session=True,
                    close_fds=True)
            except OSError as exc:
                raise Unavailable(f"the file reader could not start: {exc}") from exc
            try:
                process.communicate(request, timeout=self.limits.timeout_seconds)
            except subprocess.TimeoutExpired:
                _kill(process)
                raise PayloadTooLarge(f"reading the file took longer than "
                                      f"{self.limits.timeout_seconds:g} s; refused") from None
            out.seek(0)
            data = out.read(self.limits.memory_mb * MIB + 1)
            if process.returncode != 0:
                err.seek(0)
                log.warning("the file reader stopped with code %s: %s", process.returncode,
                            err.read(4000).decode("utf-8", "replace"))
        return _answer(process.returncode, data, self.limits)


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _answer(returncode: int, data: bytes, limits: ReaderLimits) -> dict[str, Any]:
    try:
        answer = orjson.loads(data) if data else None
    except orjson.JSONDecodeError:
        answer = None
    if isinstance(answer, dict) and returncode == 0 and "error" not in answer:
        return answer
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        kind = PayloadTooLarge if answer.get("kind") == "too-large" else InvalidParameter
        raise kind(answer["error"])
    if returncode in (-signal.SIGKILL, -signal.SIGXCPU) or returncode == -signal.SIGSEGV:
        raise PayloadTooLarge(f"the file could not be read within the limits ({limits.memory_mb}"
                              f" MB, {limits.cpu_seconds} CPU s); refused")
    raise InvalidParameter("the file could not be read (the reader stopped with code "
                           f"{returncode})")


def _fields(raw: Any) -> tuple[Field, ...]:
    return tuple(Field(str(name), str(kind)) for name, kind in raw)


# -- the child ------------------------------------------------------------------------------------
def confine(limits: Mapping[str, Any]) -> str:
    """Limits, no network, die with the server; returns how the network was cut."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    for res, value in ((resource.RLIMIT_AS, int(limits["memory_mb"]) * MIB),
                       (resource.RLIMIT_CPU, int(limits["cpu_seconds"])),
                       (resource.RLIMIT_FSIZE, int(limits["file_mb"]) * MIB),
                       (resource.RLIMIT_CORE, 0)):
        _lower(res, value)
    libc = ctypes.CDLL(None, use_errno=True)
    with contextlib.suppress(AttributeError):
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if libc.unshare(CLONE_NEWNET) == 0:
        return "network namespace"
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
        return "user and network namespace"
    return "GDAL configuration only"


def _lower(res: int, value: int) -> None:
    soft, hard = resource.getrlimit(res)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    if value > 0 and (soft == resource.RLIM_INFINITY or value < soft):
        resource.setrlimit(res, (value, hard))
    elif value == 0:
        resource.setrlimit(res, (0, hard))


def _plain_path(path: str) -> Path:
    """Refuse GDAL's virtual file systems (``/vsicurl/``, ``/vsizip/``...) and ``DRIVER:path``
    prefixes: only an absolute path of a local file is opened."""
    if not path.startswith("/") or "/vsi" in path.lower() or "\0" in path:
        raise InvalidParameter("only plain local files are read")
    return Path(path)


def _serve(request: Mapping[str, Any]) -> dict[str, Any]:
    from honua.store import catalog_ogr
    from honua.store.uploads_checks import FORMATS, check_dataset

    fmt = next(f for f in FORMATS if f.name == request["format"])
    path = _plain_path(str(request["path"]))
    check_dataset(path, fmt)
    options = tuple((str(k), str(v)) for k, v in request["open_options"])
    source = catalog_ogr.Source(str(path), open_options=options + _OPEN_OPTIONS.get(
        fmt.driver, ()))
    info = catalog_ogr.describe(source)
    if info.driver != fmt.driver:
        raise InvalidParameter(f"the file opened as {info.driver}, not {fmt.title}; refused")
    features = catalog_ogr.read(source, info.fields, crs=info.crs)
    vertices = int(shapely.get_num_coordinates(features.geometry).sum())
    fields = [[f.name, f.type] for f in features.fields]
    if request["op"] == "inspect":
        return {"driver": info.driver, "count": len(features), "vertices": vertices,
                "geometry_type": info.geometry_type, "fields": fields}
    wkb = shapely.to_wkb(features.geometry)
    return {"crs": features.crs.to_wkt(), "fields": fields, "vertices": vertices,
            "ids": list(features.ids or range(len(features))),
            "geometry": [None if g is None else base64.b64encode(g).decode("ascii") for g in wkb],
            "columns": {f.name: list(features.columns[f.name]) for f in features.fields}}


def main() -> None:
    from honua.store import catalog_ogr, uploads_checks  # noqa: F401 -- imported before the limits

    request = orjson.loads(sys.stdin.buffer.read())
    confine(request["limits"])
    try:
        answer = _serve(request)
    except PayloadTooLarge as exc:
        answer = {"error": exc.message, "kind": "too-large"}
    except InvalidParameter as exc:
        answer = {"error": exc.message}
    except MemoryError:
        answer = {"error": f"the file needs more than {request['limits']['memory_mb']} MB to "
                           "read; refused", "kind": "too-large"}
    sys.stdout.buffer.write(orjson.dumps(answer, default=str,
                                         option=orjson.OPT_SERIALIZE_NUMPY))
    sys.stdout.buffer.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
