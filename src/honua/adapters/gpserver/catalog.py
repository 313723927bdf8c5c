"""Which GP services (toolboxes) exist, in which folders, with which tasks.

There is always a root service ``Geoprocessing`` holding every process; the
``gp_services`` setting adds more, each grouping some processes, optionally
in a folder::

    [[honua.gp_services]]
    name = "Proximity"
    folder = "Analysis"          # optional
    processes = ["buffer"]
    description = "Distance tools"
    execution_type = "sync"      # optional: sync | async (default async)
    maximum_records = 5000       # optional (default: the gp_maximum_records setting)

A table named ``Geoprocessing`` without a folder configures the default
service itself (its ``processes``, if given, replace "every process"). A task
is named after its process id in PascalCase (``spatial_join`` -> ``SpatialJoin``);
its parameters keep the process's own names.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from honua.core.description import ProcessDescription
from honua.core.registry import Registry
from honua.errors import NotFound

log = logging.getLogger(__name__)

DEFAULT_SERVICE = "Geoprocessing"
EXECUTION_TYPES = {"sync": "esriExecutionTypeSynchronous", "async": "esriExecutionTypeAsynchronous"}
DEFAULT_MAX_RECORDS = 200_000
_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
_KEYS = {"name", "folder", "processes", "description", "execution_type", "maximum_records"}


def task_name(process_id: str) -> str:
    """``buffer`` -> ``Buffer``, ``spatial_join`` -> ``SpatialJoin``, ``a-b.v2`` -> ``ABV2``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-.]+", process_id) if part)


@dataclass(frozen=True)
class Task:
    name: str
    process_id: str
    mode: str
    """``sync`` or ``async``: the operation metadata-driven clients should call."""
    outputs: Mapping[str, str]
    """GP output parameter name -> core output name (renamed only if it clashes with an input)."""

    @property
    def execution_type(self) -> str:
        return EXECUTION_TYPES[self.mode]

    def output_name(self, core_name: str) -> str:
        return next(gp for gp, core in self.outputs.items() if core == core_name)


@dataclass(frozen=True)
class Service:
    name: str
    folder: str
    description: str
    mode: str
    maximum_records: int
    tasks: Mapping[str, Task]

    @property
    def path(self) -> str:
        return f"{self.folder}/{self.name}" if self.folder else self.name

    @property
    def execution_type(self) -> str:
        return EXECUTION_TYPES[self.mode]

    def task(self, name: str) -> Task:
        try:
            return self.tasks[name]
        except KeyError:
            raise NotFound(f"service {self.path!r} has no task {name!r}; its tasks are: "
                           f"{', '.join(self.tasks) or 'none'} (names are case-sensitive)") from None


class Catalog:
    def __init__(self, services: Iterable[Service]) -> None:
        self._services = {(s.folder, s.name): s for s in services}

    @property
    def folders(self) -> list[str]:
        return sorted({folder for folder, _ in self._services if folder})

    def services_in(self, folder: str) -> list[Service]:
        if folder and folder not in self.folders:
            raise NotFound(f"there is no folder {folder!r}; the folders are: "
                           f"{', '.join(self.folders) or 'none'}")
        return sorted((s for (f, _), s in self._services.items() if f == folder),
                      key=lambda s: s.name)

    def service(self, folder: str, name: str) -> Service:
        try:
            return self._services[(folder, name)]
        except KeyError:
            where = f"folder {folder!r}" if folder else "the root folder"
            names = ", ".join(s.name for s in self.services_in(folder)) if (
                not folder or folder in self.folders) else ""
            raise NotFound(f"there is no GP service {name!r} in {where}"
                           + (f"; its services are: {names}" if names else "")) from None


def _task(description: ProcessDescription, preferred: str) -> Task:
    modes = [m for m in ("sync", "async") if getattr(description, f"allows_{m}")]
    mode = preferred if preferred in modes else modes[0]
    inputs = {p.name for p in description.inputs}
    outputs = {(f"out_{p.name}" if p.name in inputs else p.name): p.name
               for p in description.outputs}
    return Task(task_name(description.id), description.id, mode, outputs)


def _service(name: str, folder: str, description: str, mode: str, maximum_records: int,
             processes: Iterable[ProcessDescription]) -> Service:
    tasks: dict[str, Task] = {}
    for process in processes:
        task = _task(process, mode)
        if task.name in tasks:
            log.warning("GP service %s: processes %r and %r both make task %r; the second is left "
                        "out", name, tasks[task.name].process_id, process.id, task.name)
            continue
        tasks[task.name] = task
    return Service(name, folder, description, mode, maximum_records, tasks)


def _entries(configured: Any) -> list[Mapping[str, Any]]:
    if isinstance(configured, str):
        configured = orjson.loads(configured) if configured.strip() else []
    entries = list(configured or [])
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise ValueError(f"gp_services: each service is a table, got {entry!r}")
        unknown = set(entry) - _KEYS
        if unknown:
            raise ValueError(f"gp_services: unknown key(s) {', '.join(sorted(unknown))} in "
                             f"service {entry.get('name')!r}; allowed: {', '.join(sorted(_KEYS))}")
        for key in ("name", "folder"):
            value = entry.get(key, "")
            if (key == "name" or value) and not (isinstance(value, str) and _NAME.match(value)):
                raise ValueError(f"gp_services: {key} {value!r} must be letters, digits, '_' or '-'")
        if entry.get("execution_type", "async") not in EXECUTION_TYPES:
            raise ValueError(f"gp_services: execution_type of {entry['name']!r} must be sync or "
                             "async")
        if not isinstance(entry.get("processes", []), list):
            raise ValueError(f"gp_services: processes of {entry['name']!r} must be a list of ids")
    return entries


def build(configured: Any, registry: Registry,
          maximum_records: int = DEFAULT_MAX_RECORDS) -> Catalog:
    """The catalog from the ``gp_services`` setting; raises ValueError on a bad setting."""
    every = [d.description for d in registry]
    entries = _entries(configured)
    default = next((e for e in entries if e["name"] == DEFAULT_SERVICE and not e.get("folder")),
                   {"name": DEFAULT_SERVICE})
    if default not in entries:
        entries.insert(0, default)
    services: dict[tuple[str, str], Service] = {}
    for entry in entries:
        folder = entry.get("folder", "")
        if (folder, entry["name"]) in services:
            raise ValueError(f"gp_services: service {entry['name']!r} is configured twice")
        ids = entry.get("processes")
        if ids is None and entry is default:
            chosen = every
        else:
            missing = [i for i in ids or [] if i not in registry]
            for process_id in missing:
                log.warning("GP service %s: there is no process %r; it is left out",
                            entry["name"], process_id)
            chosen = [registry.get(i).description for i in ids or [] if i in registry]
        services[(folder, entry["name"])] = _service(
            entry["name"], folder, str(entry.get("description", "")),
            entry.get("execution_type", "async"),
            int(entry.get("maximum_records", maximum_records)), chosen)
    return Catalog(services.values())
