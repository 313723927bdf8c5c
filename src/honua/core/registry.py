"""Which processes this server offers: built-ins and installed plugins.

Discovery reads the entry-point group ``honua.processes`` of every installed
distribution (Honua's own built-ins register there too) and the modules named
in the ``process_modules`` setting. An entry point names either a process
object or a module whose decorated processes are all taken. Every plugin is
validated when it loads; a broken plugin is reported and skipped, it never
takes the server down.
"""

from __future__ import annotations

import importlib
import logging
import types
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import entry_points
from typing import Any

from honua.core.decorator import definition_of
from honua.core.description import ProcessDefinition
from honua.errors import NoSuchProcess

GROUP = "honua.processes"
log = logging.getLogger(__name__)


def no_such_process(process_id: str) -> NoSuchProcess:
    """The one error for an unknown process id (also for one the caller may not see)."""
    return NoSuchProcess(f"there is no process {process_id!r}; "
                         "GET the process list for the ones available")


class Registry:
    def __init__(self, definitions: Iterable[ProcessDefinition] = ()) -> None:
        self._definitions: dict[str, ProcessDefinition] = {}
        self.problems: list[str] = []
        self.generation = 0
        """Counts changes (workflows deployed, undeployed), for adapters that cache lists."""
        self.fallback: Callable[[str], ProcessDefinition | None] | None = None
        """Asked for ids not registered here: the workflows run ad hoc (not listed)."""
        for definition in definitions:
            self.add(definition)

    def add(self, definition: ProcessDefinition) -> None:
        existing = self._definitions.get(definition.id)
        if existing is not None and existing.function is not definition.function:
            self.problems.append(
                f"process id {definition.id!r} from {definition.module} is already taken by "
                f"{existing.module}; the second one is ignored")
            return
        self._definitions[definition.id] = definition
        self.generation += 1

    def get(self, process_id: str) -> ProcessDefinition:
        try:
            return self._definitions[process_id]
        except KeyError:
            pass
        found = self.fallback(process_id) if self.fallback is not None else None
        if found is None:
            raise no_such_process(process_id)
        return found

    def remove(self, process_id: str) -> None:
        """Forget a process (an undeployed workflow); nothing happens if it is not here."""
        if self._definitions.pop(process_id, None) is not None:
            self.generation += 1

    def __contains__(self, process_id: object) -> bool:
        return process_id in self._definitions

    def __iter__(self) -> Iterator[ProcessDefinition]:
        return iter(sorted(self._definitions.values(), key=lambda d: d.id))

    def __len__(self) -> int:
        return len(self._definitions)

    def add_object(self, obj: Any, source: str) -> int:
        """Add a process object, or every process in a module; returns how many."""
        if isinstance(obj, types.ModuleType):
            found = [definition_of(v) for v in vars(obj).values()]
            definitions = [d for d in found if d is not None]
            if not definitions:
                self.problems.append(f"{source}: module {obj.__name__} declares no process")
            for definition in definitions:
                self.add(definition)
            return len(definitions)
        single = definition_of(obj)
        if single is None:
            self.problems.append(f"{source}: {obj!r} is not a @honua.process function")
            return 0
        self.add(single)
        return 1


def discover(process_modules: Iterable[str] = ()) -> Registry:
    """A registry of every installed and configured process."""
    importlib.invalidate_caches()
    registry = Registry()
    for point in entry_points(group=GROUP):
        source = f"entry point {point.name!r} ({point.value})"
        try:
            registry.add_object(point.load(), source)
        except Exception as exc:  # a broken plugin must not stop the server
            registry.problems.append(f"{source} failed to load: {exc}")
    for name in process_modules:
        try:
            registry.add_object(importlib.import_module(name), f"module {name!r}")
        except Exception as exc:
            registry.problems.append(f"module {name!r} failed to load: {exc}")
    for problem in registry.problems:
        log.warning("%s", problem)
    return registry
