"""Several front processes over one job store: who is alive, and whose jobs are orphans.

Every front process (``honua serve --processes N``) dispatches by compare-and-set claims
on the store -- there is no single dispatch holder to lose -- and records itself as the
*holder* of each job it claims. A front says it is alive by a heartbeat row, written every
``HEARTBEAT_SECONDS``. Another front treats it as dead, on the same host, at once when
its pid no longer exists (kill -9 of a front is noticed within a heartbeat) or when its
heartbeat is older than ``HUNG_SECONDS`` (a front alive but stuck); on another host
(PostgreSQL shared by machines) when its heartbeat is older than ``LEASE_SECONDS``.
The jobs a dead front held are orphans: the surviving fronts re-queue them (or fail them
once out of attempts), exactly as a restart would. A job is thus never running forever, and none is lost.

Choice (issue 11): compare-and-set claims by every front rather than one dispatch lease.
A claim is one short immediate transaction per job, which every design pays anyway (the
job must be marked running durably); a single lease holder would add a takeover delay of
a lease period after its death, and a hop from the accepting front to the holder, while
claims leave nothing to take over: a killed front only strands the jobs it was running.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["HEARTBEAT_SECONDS", "LEASE_SECONDS", "Front", "live_fronts", "this_front"]

HEARTBEAT_SECONDS = 1.0
LEASE_SECONDS = 5.0
"""A front on another host whose heartbeat is older than this is dead (~5 missed beats)."""
HUNG_SECONDS = 30.0
"""A front on this host, pid alive, whose heartbeat is older than this is stuck: dead."""


@dataclass(frozen=True)
class Front:
    """A front process as the store knows it."""

    id: str
    host: str
    pid: int
    heartbeat: dt.datetime


def this_front(now: dt.datetime) -> Front:
    """A new identity for this process (a new one after every start or fork)."""
    return Front(f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}",
                 socket.gethostname(), os.getpid(), now)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def live_fronts(fronts: Iterable[Front], now: dt.datetime) -> set[str]:
    """Ids of the fronts that are alive (see the module docstring)."""
    host = socket.gethostname()
    stale = now - dt.timedelta(seconds=LEASE_SECONDS)
    hung = now - dt.timedelta(seconds=HUNG_SECONDS)
    return {f.id for f in fronts
            if (f.host == host and f.heartbeat >= hung and _pid_alive(f.pid))
            or (f.host != host and f.heartbeat >= stale)}
