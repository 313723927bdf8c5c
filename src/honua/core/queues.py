"""Resource classes as queues, each with its own concurrency and priority.

A queued job waits in the queue of its process's resource class. The dispatcher claims
the job of highest priority first (oldest first within a priority) among the queues that
have a free place, so short ``cpu-burst`` work is never stuck behind a queue full of
``long-tail`` jobs: by default long-tail may take all workers but one, and cpu-burst
outranks it, so a cpu-burst job starts at the next free worker -- at once when the
long-tail queue holds the rest. ``queues`` settings (``[[honua.queues]]`` tables with
``name``, ``concurrency``, ``priority``, ``backlog``) override the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from honua.core.description import ResourceClass

__all__ = ["Queue", "queues_from_settings"]


@dataclass(frozen=True)
class Queue:
    name: str
    concurrency: int
    """Jobs of this queue running at once in the whole server."""
    priority: int
    """Higher first."""
    backlog: int = 0
    """Jobs that may wait in this queue; more are refused (``core.governor``); 0 = no limit."""


def _defaults(workers: int) -> dict[str, Queue]:
    workers = max(1, workers)
    return {
        ResourceClass.CPU_BURST.value: Queue(ResourceClass.CPU_BURST.value, workers, 30),
        ResourceClass.DB_HEAVY.value: Queue(ResourceClass.DB_HEAVY.value, workers, 20),
        ResourceClass.GPU.value: Queue(ResourceClass.GPU.value, 1, 20),
        ResourceClass.LONG_TAIL.value: Queue(ResourceClass.LONG_TAIL.value,
                                             max(1, workers - 1), 10),
    }


def queues_from_settings(workers: int, configured: tuple[Mapping[str, Any], ...]
                         ) -> dict[str, Queue]:
    """The queues by name; raises ValueError for a table that names no known queue."""
    queues = _defaults(workers)
    for table in configured:
        name = str(table.get("name", ""))
        if name not in queues:
            raise ValueError(f"queues: {name!r} is not a resource class; use one of "
                             f"{', '.join(queues)}")
        base = queues[name]
        queues[name] = Queue(name, int(table.get("concurrency", base.concurrency)),
                             int(table.get("priority", base.priority)),
                             int(table.get("backlog", base.backlog)))
    return queues
