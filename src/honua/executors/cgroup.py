"""Counting a worker's processes with the kernel's pids cgroup controller.

``RLIMIT_NPROC`` is ignored for root and counts per *user*: with one user
shared by every worker, a fork bomb held at its limit in one job leaves no
room for any other job of that user to fork. A pids cgroup counts per
*group*, so a root-started worker puts itself in a group of its own before it
switches user (handing the new user its ``pids.max``, as cgroup delegation
does) and its jobs are counted there instead: ``pids.max`` is lowered for the
duration of a job, and every task in the group can be killed at once, even
one that left the worker's process group. A worker that cannot switch user
(the interpreter is not readable by that user) is confined by the group as
root. Where no writable pids controller exists this module reports so and the
caller falls back to ``RLIMIT_NPROC``.

Like the soft rlimits, a delegated ``pids.max`` stops runaway code, not
hostile code: a job could write it back up, as it could raise a soft limit.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

V1_ROOT = Path("/sys/fs/cgroup/pids")
GROUP = "honua"


def _base() -> Path | None:
    """The writable folder under which worker groups are made, or None."""
    base = V1_ROOT / GROUP
    try:
        base.mkdir(exist_ok=True)
    except OSError:
        return None
    for stale in base.glob("worker-*"):
        with contextlib.suppress(OSError):
            stale.rmdir()  # only empty groups (workers gone) can be removed
    return base if (base / "cgroup.procs").exists() else None


class PidsGroup:
    """One worker's pids cgroup."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_worker(cls, pid: int) -> PidsGroup | None:
        """Create the group of worker ``pid`` and move that process in (None if impossible)."""
        base = _base()
        if base is None:
            return None
        path = base / f"worker-{pid}"
        try:
            path.mkdir(exist_ok=True)
            (path / "cgroup.procs").write_text(str(pid))
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            return None
        return cls(path)

    @classmethod
    def of_worker(cls, pid: int) -> PidsGroup | None:
        path = V1_ROOT / GROUP / f"worker-{pid}"
        return cls(path) if path.is_dir() else None

    def delegate(self, uid: int, gid: int) -> None:
        """Let ``uid`` set the group's ``pids.max`` (the worker after its user switch)."""
        os.chown(self.path / "pids.max", uid, gid)

    def current(self) -> int:
        return int((self.path / "pids.current").read_text())

    def limit(self, processes: int | None) -> None:
        """Allow ``processes`` in all, the worker included (as RLIMIT_NPROC counts), on top
        of the worker's own threads; None lifts the limit."""
        value = "max" if processes is None else str(self.current() + max(processes - 1, 0))
        (self.path / "pids.max").write_text(value)

    def kill_all(self) -> None:
        """SIGKILL every task in the group (children that changed session included)."""
        with contextlib.suppress(OSError):
            for line in (self.path / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(line), signal.SIGKILL)

    def remove(self) -> None:
        """Delete the group once its tasks are gone (best effort)."""
        with contextlib.suppress(OSError):
            self.path.rmdir()
