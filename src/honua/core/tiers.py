"""Which tier runs a request: the process's declared tiers, the inputs, and what is up.

A process lists the tiers it can run on (``ProcessDescription.tiers``). Tier 1,
``shapely``, is always there (a worker, or the fast path). Another tier is a
``TierBackend`` the app plugs in (``executors.postgis`` for ``postgis``): it says
whether it can run a given request at all (``eligible``: e.g. every feature input
is a reference to a PostGIS layer) and whether it can run it *now* (``ready``:
database up, extension there, a connection free). Inputs a backend is eligible
for prefer it; anything else runs on tier 1. When the preferred backend is not
ready the request falls back to tier 1 with a warning on the job, unless the
client pinned a tier: then it is refused (400 for a tier that cannot run this
request, 409 for one that cannot run it now), never silently moved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from honua.errors import Conflict, InvalidParameter

if TYPE_CHECKING:
    from honua.core.description import ProcessDescription

__all__ = ["POSTGIS", "SHAPELY", "TierBackend", "TierChoice", "TierUnavailable", "choose_tier",
           "fallback_warning", "pinned_tier", "shown"]

SHAPELY = "shapely"
"""Tier 1: shapely and pyproj in a worker process (or the in-process fast path)."""
POSTGIS = "postgis"
"""Tier 2: one SQL statement in PostGIS over the layer reference's query."""


class TierUnavailable(Conflict):
    """The pinned tier could run this request but not now (database down, pool full...)."""


class TierBackend(Protocol):
    """A tier besides tier 1 (see the module docstring)."""

    name: str

    def eligible(self, description: ProcessDescription, raw_inputs: Mapping[str, Any]
                 ) -> str | None:
        """None when this tier can run the request, else why not (a sentence)."""
        ...

    def ready(self, raw_inputs: Mapping[str, Any]) -> str | None:
        """None when it can run it now, else why not (down, extension missing, full)."""
        ...

    def input_names(self, description: ProcessDescription) -> tuple[str, ...]:
        """The inputs it reads where they live (they stay references, not read)."""
        ...


@dataclass(frozen=True)
class TierChoice:
    tier: str
    warning: str = ""
    """Why the preferred tier was not used, for the job's messages (empty: it was)."""


_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def pinned_tier(value: Any) -> str:
    """A tier a request pins, checked as a name (empty: none pinned); InvalidParameter else."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not _NAME.match(value.strip().lower()):
        raise InvalidParameter("tier must be a tier name such as 'shapely' or 'postgis'",
                               parameter="tier")
    return value.strip().lower()


def shown(tier: str) -> str:
    """The tier name a client sees for a stored ``Job.tier`` (a chunked tier-1 run, and
    records from before tiers had names, are ``shapely``)."""
    if not tier or tier.startswith(("python", SHAPELY)):
        return SHAPELY
    return tier


def fallback_warning(tier: str, reason: str) -> str:
    return f"Tier {tier!r} could not run this job ({reason}); it ran on tier {SHAPELY!r} instead"


def choose_tier(description: ProcessDescription, raw_inputs: Mapping[str, Any], pinned: str,
                backends: Mapping[str, TierBackend]) -> TierChoice:
    """The tier for this request (see the module docstring)."""
    declared = description.tiers if SHAPELY in description.tiers else (*description.tiers,
                                                                        SHAPELY)
    if pinned and pinned not in declared:
        raise InvalidParameter(f"tier {pinned!r} is not one of the tiers process "
                               f"{description.id!r} runs on: {', '.join(declared)}",
                               parameter="tier")
    if pinned == SHAPELY:
        return TierChoice(SHAPELY)
    for name in declared:
        backend = backends.get(name)
        if name == SHAPELY or (pinned and name != pinned) or backend is None:
            continue
        why_not = backend.eligible(description, raw_inputs)
        if why_not is not None:
            if pinned:
                raise InvalidParameter(f"tier {name!r} cannot run this request: {why_not}",
                                       parameter="tier")
            continue
        busy = backend.ready(raw_inputs)
        if busy is None:
            return TierChoice(name)
        if pinned:
            raise TierUnavailable(f"tier {name!r} cannot run now: {busy}")
        return TierChoice(SHAPELY, fallback_warning(name, busy))
    if pinned:
        raise TierUnavailable(f"tier {pinned!r} is not available on this server")
    return TierChoice(SHAPELY)
