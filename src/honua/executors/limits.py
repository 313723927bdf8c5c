"""OS limits for one job, and the worker's switch to an unprivileged user.

Limits are set in the worker for the duration of one job and then restored,
so a warm worker can serve the next job with other limits. Only the *soft*
limits are lowered: an unprivileged process can raise a soft limit back up to
the hard one but could never raise a lowered hard limit, which would force a
new worker per job. These limits stop runaway code (a leak, an endless loop,
a fork bomb, a file that never stops growing); they are not a sandbox against
hostile code, which could raise its own soft limits. The parent's wall-clock
timeout and process-group kill do not depend on the worker's cooperation.

``RLIMIT_NPROC`` counts every process and thread of the worker's *user*, and
the kernel ignores it for root: that is why workers started by root switch to
``worker_user``. Every process of that user counts, machine-wide, so with one
user for all workers a fork bomb in one job (held at its limit) would leave no
room for the job of another worker to fork. Where the kernel offers a writable
pids cgroup, each root-started worker is counted in a group of its own instead
(``confine_with_cgroup``); elsewhere ``worker_uid_base`` gives each worker slot
a uid of its own (``slot_user``), written ``#<uid>`` where a user name goes.
"""

from __future__ import annotations

import ctypes
import math
import os
import pwd
import resource
import signal
from collections.abc import Callable

from honua.core.execution import RunLimits
from honua.executors.cgroup import PidsGroup

MIB = 1024 * 1024
PR_SET_NO_NEW_PRIVS = 38  # <linux/prctl.h>
_SAVED = (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_NPROC, resource.RLIMIT_FSIZE)


def cpu_seconds_used() -> float:
    """CPU time this process (all its threads) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_pids_group: PidsGroup | None = None


def confine_with_cgroup(group: PidsGroup) -> None:
    """Count this worker's processes with ``group`` instead of RLIMIT_NPROC, which counts
    per user and would let one slot's fork bomb stop the other slots' jobs from forking."""
    global _pids_group
    _pids_group = group


def apply(limits: RunLimits) -> Callable[[], None]:
    """Lower the soft limits for one job; returns the function that restores them.

    RLIMIT_CPU is cumulative over the life of the process, so the job's budget
    is added to what the worker has used already. A limit of zero or less
    means "no limit".
    """
    saved = {res: resource.getrlimit(res) for res in _SAVED}
    _lower(resource.RLIMIT_AS, limits.memory_mb * MIB)
    if limits.cpu_seconds > 0:
        _lower(resource.RLIMIT_CPU, math.ceil(cpu_seconds_used() + limits.cpu_seconds))
    group = _pids_group
    if group is None:
        _lower(resource.RLIMIT_NPROC, limits.max_processes)
    _lower(resource.RLIMIT_FSIZE, limits.max_file_mb * MIB)
    if group is not None and limits.max_processes > 0:
        group.limit(limits.max_processes)

    def restore() -> None:
        for res, (soft, hard) in saved.items():
            resource.setrlimit(res, (soft, hard))
        if group is not None:
            group.limit(None)

    return restore


def _lower(res: int, value: int) -> None:
    if value <= 0:
        return
    soft, hard = resource.getrlimit(res)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    if soft == resource.RLIM_INFINITY or value < soft:
        resource.setrlimit(res, (value, hard))


def prepare_process() -> None:
    """Process-wide settings of a worker, made once at start-up.

    SIGXFSZ is ignored so that a write past RLIMIT_FSIZE fails with an
    ``OSError`` the job can report, instead of killing the worker; core dumps
    are off, since a crashing job must not leave gigabytes behind.
    """
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


MAX_UID = 65533
"""Highest uid handed to a worker slot (65534 is nobody, 65535 the kernel's "no uid")."""


def slot_user(user: str, uid_base: int, slot: int) -> str:
    """The user the workers of ``slot`` switch to: ``#<uid_base + slot>`` (a uid of their own,
    its own group too, no passwd entry needed) when ``uid_base`` is set, else ``user``."""
    if uid_base <= 0:
        return user
    uid = uid_base + slot
    if uid_base < 1000 or uid > MAX_UID:
        raise ValueError(f"worker_uid_base {uid_base} gives slot {slot} uid {uid}; use a "
                         f"range above the system users and below {MAX_UID + 1} "
                         "(e.g. 60000)")
    return f"#{uid}"


def worker_ids(user: str) -> tuple[int, int] | None:
    """(uid, gid) the workers should switch to, or None to stay as we are.

    Only root switches; ``user`` empty means stay; ``#<uid>`` is that uid with the group
    of the same number. Raises ``ValueError`` for an unknown user, so a misconfigured
    pool fails at start-up, loudly.
    """
    if not user or os.geteuid() != 0:
        return None
    if user.startswith("#") and user[1:].isdigit():
        return int(user[1:]), int(user[1:])
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise ValueError(f"worker_user {user!r} does not exist on this machine") from None
    return entry.pw_uid, entry.pw_gid


def forbid_new_privileges() -> None:
    """Set no_new_privs: no program this process runs (a setuid one included) can gain
    privileges, for good; also what lets an unprivileged process enter Landlock."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(error)}")


def drop_privileges(user: str) -> None:
    """Become ``user`` for good: no supplementary groups, then group, then user."""
    ids = worker_ids(user)
    if ids is None:
        return
    uid, gid = ids
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid or os.getgroups():
        raise OSError(f"could not switch to {user!r} (uid {uid}, gid {gid})")
