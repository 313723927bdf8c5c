"""The job sandbox: what a plugin running in a worker can reach, and what it cannot.

A worker process confines itself once, after importing the process modules
and before it takes its first job, in layers, each used where this machine
allows it (``sandbox = "auto"``), all demanded (``"required"``), or none
(``"off"``):

1. **Mount namespace** (root only; ``namespaces.isolate_mounts``): the data
   folder (job store, artifacts, uploads, catalog), the other workers' scratch
   folders, ``/root`` and ``/run`` disappear from the worker's view; the
   interpreter and ``sys.path`` are bound back read-only where ``nobody`` can
   reach them, so workers really drop to ``worker_user`` even when Python
   lives under a mode-700 home (``/root/.pyenv``).
2. **Network namespace** (root only): no interface up, every connection fails.
3. **Landlock** (no root needed, Linux 5.13+; ``landlock.py``): read-only
   access to the system folders, the interpreter and ``sys.path`` (less the
   data folder), write access to the worker's own scratch folder only, TCP
   bind/connect refused (ABI 4+), signals and abstract Unix sockets kept inside
   the sandbox (ABI 6+). The second layer for root, the only one elsewhere.
4. **Unprivileged user**: no supplementary groups, ``worker_user``'s group
   and uid, and no_new_privs (a setuid program gains nothing).

What is missing is reported by every worker (``Report``) and logged by the
pool as one WARNING at start; ``required`` makes the pool refuse to start.

Measured on this machine (Linux 6.18, root, Python 3.11 under /root/.pyenv,
2 shared cores; ``python bench/worker_start.py --repeat 25``, modes
interleaved): a worker is ready (fresh interpreter, modules imported) in a
median 0.66 s without the sandbox and 0.64 s with it -- no difference within
the noise; the confinement itself (two unshares, ~12 mounts, a Landlock
ruleset of ~15 rules, the user switch) takes 5-7 ms.
Bubblewrap was not used: it is not
installed here, and it would have to start the worker through an extra
executable, for the same namespaces this module enters in-process.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from honua.executors import landlock, namespaces
from honua.executors import limits as oslimits
from honua.executors.cgroup import PidsGroup
from honua.settings import Settings

MODES = ("auto", "required", "off")
SYSTEM = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc", "/proc", "/sys")
"""Read-only for jobs under Landlock; DAC still guards e.g. /etc/shadow."""
DATA_VARIABLES = ("PROJ_DATA", "PROJ_LIB", "GDAL_DATA", "GDAL_DRIVER_PATH", "SSL_CERT_FILE",
                  "SSL_CERT_DIR")
"""Environment variables naming data the geo libraries read lazily."""
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


class SandboxUnavailable(Exception):
    """``sandbox = "required"`` and some layer is missing; the message says which."""


@dataclass(frozen=True)
class Plan:
    """What the pool tells a worker to hide and to keep (absolute paths)."""

    mode: str
    hidden: tuple[str, ...]
    """The data folder, artifacts, layers and the job store's files."""
    workdir: str
    """The worker's scratch folder: the one place jobs may write."""


def check_mode(mode: str) -> str:
    """``mode`` if it is a sandbox mode; ``ValueError`` naming the choices if not."""
    if mode not in MODES:
        raise ValueError(f"sandbox must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def plan(settings: Settings, workdir: str) -> Plan:
    """The plan for a worker of a pool with ``settings``; ``ValueError`` for a bad mode."""
    mode = check_mode(settings.sandbox)
    folders = [settings.data_dir, settings.resolved_artifacts_dir, settings.resolved_layers_dir]
    database = _sqlite_file(settings.resolved_database_url)
    if database is not None:
        folders.extend(Path(f"{database}{suffix}") for suffix in SQLITE_SUFFIXES)
    hidden = tuple(dict.fromkeys(os.path.realpath(folder) for folder in folders))
    return Plan(mode, hidden, os.path.realpath(workdir))


def _sqlite_file(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    with contextlib.suppress(Exception):
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            return str(parsed.database)
    return None


@dataclass(frozen=True)
class Report:
    """The layers a worker got, and what is missing (empty: fully sandboxed)."""

    layers: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    uid: int = field(default=-1)

    def warning(self) -> str:
        """The one WARNING the server logs at start ('' when nothing is missing)."""
        if not self.missing:
            return ""
        return ("JOB SANDBOX INCOMPLETE: plugin code in worker processes can reach what is not "
                f"its own; missing: {'; '.join(self.missing)}. "
                f"In place: {', '.join(self.layers) or 'nothing'}. "
                "Set sandbox = \"required\" to refuse to start without it.")


def needed_paths() -> list[str]:
    """What the interpreter may still read after the switch: itself, ``sys.path``, data."""
    paths = [sys.base_prefix, sys.prefix, sys.exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable)), *sys.path,
             *(os.environ[name] for name in DATA_VARIABLES if os.environ.get(name))]
    real = (os.path.realpath(path) for path in paths if path)
    return list(dict.fromkeys(path for path in real if os.path.exists(path)))


def confine(plan: Plan, user: str) -> Report:
    """Confine this worker process for good, as far as ``plan.mode`` asks and the machine
    allows; raises ``SandboxUnavailable`` if ``required`` and a layer is missing."""
    if plan.mode == "off":
        _confine_unsandboxed(user)
        return Report(("user " + _name(os.getuid()),) if os.getuid() else (),
                      ("all of it: sandbox = \"off\"",), os.getuid())
    ids = oslimits.worker_ids(user)
    needed = needed_paths()
    layers: list[str] = []
    failed: dict[str, str] = {}
    threads = _threads()
    if threads > 1:  # unshare and Landlock confine only the calling thread
        failed["a single thread"] = f"{threads} threads run while the worker confines itself"
    if os.geteuid() == 0:
        _try(layers, failed, "mount namespace",
             lambda: namespaces.isolate_mounts(plan.hidden, needed, plan.workdir))
        _try(layers, failed, "network namespace", namespaces.isolate_network)
    else:
        failed["mount namespace"] = failed["network namespace"] = "needs root"
    _private_temp(plan.workdir)
    stays_root = ids is not None and "mount namespace" in failed \
        and not all(map(_world_readable, needed))
    group = _pids_group(ids, stays_root)
    oslimits.forbid_new_privileges()
    abi = landlock.abi_version()
    if abi:
        writable = (str(group.path),) if group is not None else ()
        _try(layers, failed, f"Landlock ABI {abi}",
             lambda: landlock.restrict(abi, rules(plan, needed, writable)))
    else:
        failed["Landlock"] = "not offered by this kernel"
    if group is not None:
        oslimits.confine_with_cgroup(group)
    if group is None or not stays_root:
        oslimits.drop_privileges(user)
    if os.getuid() != 0:
        layers.append(f"user {_name(os.getuid())}")
    report = Report(tuple(layers), _missing(layers, failed, abi, user), os.getuid())
    if plan.mode == "required" and report.missing:
        raise SandboxUnavailable(f"sandbox = \"required\" but {'; '.join(report.missing)}")
    return report


def _try(layers: list[str], failed: dict[str, str], name: str,
         step: Callable[[], None]) -> None:
    try:
        step()
    except OSError as exc:
        failed[name] = exc.strerror or str(exc)
    else:
        layers.append(name)


def _missing(layers: list[str], failed: dict[str, str], abi: int, user: str) -> tuple[str, ...]:
    missing = [f"a single thread ({failed['a single thread']})"] if "a single thread" in failed \
        else []
    unprivileged = os.getuid() != 0
    landlocked = any(layer.startswith("Landlock") for layer in layers)
    if not landlocked and not ("mount namespace" in layers and unprivileged):
        missing.append("file isolation (" + "; ".join(
            f"{name}: {why}" for name, why in failed.items()
            if name not in ("network namespace", "a single thread")) + ")")
    if "network namespace" not in layers and not (landlocked and abi >= 4):
        why = failed.get("network namespace", "")
        missing.append(f"network isolation (network namespace: {why}; Landlock ABI {abi} < 4)")
    if not unprivileged:
        missing.append("an unprivileged user (jobs run as root: "
                       + ("worker_user is empty)" if not user else
                          f"{user!r} could not read Python, so a pids cgroup stands in)"))
    return tuple(missing)


def rules(plan: Plan, needed: Sequence[str], writable: Sequence[str] = ()) \
        -> list[tuple[str, int]]:
    """The Landlock rules of a worker: read the system and Python, less ``plan.hidden``;
    write the scratch folder (and ``writable``); use devices such as /dev/null."""
    readable = [path for root in (*SYSTEM, *needed) if os.path.exists(root)
                for path in namespaces.outside(root, plan.hidden)]
    everything = landlock.Handled(7).fs
    return [*((path, landlock.READ) for path in readable),
            ("/dev", landlock.READ | landlock.WRITE_FILE | landlock.IOCTL_DEV),
            *((path, everything) for path in (plan.workdir, *writable))]


def _private_temp(workdir: str) -> None:
    """Temporary files of the job go to its scratch folder (emptied after every job)."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        os.environ[name] = workdir
    tempfile.tempdir = workdir


def _confine_unsandboxed(user: str) -> None:
    """The user switch alone -- unless that user could not read Python itself and a pids
    cgroup can confine the worker as root instead (lazy imports keep working)."""
    ids = oslimits.worker_ids(user)
    stays_root = ids is not None and not all(map(_world_readable, needed_paths()))
    group = _pids_group(ids, stays_root)
    if group is not None:
        oslimits.confine_with_cgroup(group)
    if group is None or not stays_root:
        oslimits.drop_privileges(user)


def _pids_group(ids: tuple[int, int] | None, stays_root: bool) -> PidsGroup | None:
    """A pids cgroup of this worker's own, for a worker started by root (None otherwise, or
    where the machine has none): it counts the worker's jobs' processes per worker, where
    RLIMIT_NPROC would count them per user, across every slot sharing ``worker_user``.
    A worker that switches user is handed the group's ``pids.max`` first."""
    if ids is None:
        return None
    group = PidsGroup.for_worker(os.getpid())
    if group is not None and not stays_root:
        try:
            group.delegate(*ids)
        except OSError:
            return None  # RLIMIT_NPROC, per user, as without a controller
    return group


def _world_readable(path: str) -> bool:
    """Whether any user may list ``path`` (every parent searchable, the folder readable)."""
    target = Path(path).resolve()
    if target.is_file():
        target = target.parent
    return namespaces.blocked_at(str(target)) is None and bool(
        os.stat(target).st_mode & 0o005 == 0o005)


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _name(uid: int) -> str:
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"
