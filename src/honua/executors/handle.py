"""One worker process as its pool sees it: launch it, talk to it, kill it.

A worker is a fresh interpreter started with ``subprocess`` (never a fork of
the server, which runs threads and an event loop) in a session of its own,
so that killing its process group also kills whatever its job forked. It
talks over a socket pair passed as an extra file descriptor; its stdout and
stderr go to the server's stderr, where a job's prints cannot corrupt frames.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection, wait
from typing import Any, Final

from honua.executors import limits as oslimits
from honua.executors import sandbox
from honua.executors.cgroup import PidsGroup
from honua.executors.protocol import Fatal, Hello, Ready, dumps, loads
from honua.executors.sandbox import Report
from honua.settings import Settings

log = logging.getLogger(__name__)

EXITED: Final = "exited"
"""What ``next_event`` returns once the worker process has ended."""

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


class WorkerStartError(Exception):
    """A worker process could not be started; the message says why."""


def worker_environment() -> dict[str, str]:
    """The server's environment, with one thread per numeric library.

    The pool's parallelism is its number of workers; a BLAS spinning up a
    thread per core in every worker would oversubscribe the machine and blow
    the address-space limit. ``MALLOC_ARENA_MAX`` keeps glibc from reserving
    64 MB of address space per thread, which RLIMIT_AS would count.
    """
    env = dict(os.environ)
    env.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    env.setdefault("MALLOC_ARENA_MAX", "2")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _for_worker(settings: Settings) -> Settings:
    """The settings a worker gets: without the job store's URL (and its password)."""
    return dataclasses.replace(settings, database_url="")


def _absolute_sys_path() -> tuple[str, ...]:
    return tuple(os.path.abspath(entry) if entry else os.getcwd() for entry in sys.path)


class WorkerHandle:
    """A started worker process and the pool's end of its socket."""

    def __init__(self, popen: subprocess.Popen[bytes], conn: Connection, workdir: str) -> None:
        self.pid = popen.pid
        self.uid: int | None = None
        self.jobs = 0
        """Jobs sent to this worker so far (for recycling)."""
        self.problems: tuple[str, ...] = ()
        self.sandbox = Report()
        self._popen = popen
        self._conn = conn
        self._workdir = workdir
        self._pidfd = _pidfd(popen.pid)
        self._returncode: int | None = None
        self._closed = False

    @classmethod
    def launch(cls, settings: Settings, slot: int = 0) -> WorkerHandle:
        """Start the worker of ``slot`` and send it its settings (without waiting for it)."""
        try:
            settings = dataclasses.replace(settings, worker_user=oslimits.slot_user(
                settings.worker_user, settings.worker_uid_base, slot))
            ids = oslimits.worker_ids(settings.worker_user)
            sandbox.check_mode(settings.sandbox)
        except ValueError as exc:
            raise WorkerStartError(str(exc)) from exc
        workdir = os.path.realpath(tempfile.mkdtemp(prefix="honua-worker-"))
        plan = sandbox.plan(settings, workdir)
        if ids is not None:
            os.chown(workdir, *ids)
        ours, theirs = socket.socketpair()
        try:
            popen = subprocess.Popen(
                [sys.executable, "-m", "honua.executors.worker", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), start_new_session=True, cwd="/",
                stdin=subprocess.DEVNULL, stdout=_stderr_fd(), env=worker_environment())
        except OSError as exc:
            ours.close()
            shutil.rmtree(workdir, ignore_errors=True)
            raise WorkerStartError(f"cannot run {sys.executable}: {exc}") from exc
        finally:
            theirs.close()
        handle = cls(popen, Connection(ours.detach()), workdir)
        try:
            handle.send(Hello(_for_worker(settings), _absolute_sys_path(), workdir, plan))
        except OSError as exc:
            handle.terminate()
            raise WorkerStartError(f"the worker process exited at once: {exc}") from exc
        return handle

    def await_ready(self, timeout: float, wake_fd: int, give_up: Any) -> None:
        """Wait for the worker's ``Ready`` frame; terminate it and raise if it does not come.

        ``give_up()`` is asked whenever ``wake_fd`` wakes us (the pool is stopping).
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            event = self.next_event(remaining, wake_fd) if remaining > 0 else None
            if isinstance(event, Ready):
                self.uid, self.problems, self.sandbox = event.uid, event.problems, event.sandbox
                return
            if isinstance(event, Fatal):
                reason = event.message
            elif event == EXITED:
                reason = f"the worker process exited at start-up (status {self.terminate()})"
            elif remaining <= 0:
                reason = f"the worker process was not ready within {timeout:g} s"
            elif give_up():
                reason = "the pool is stopping"
            else:
                continue
            self.terminate()
            raise WorkerStartError(reason)

    def send(self, frame: object) -> None:
        self._conn.send_bytes(dumps(frame))

    def next_event(self, timeout: float, wake_fd: int) -> object | None:
        """The next frame, ``EXITED``, or None on timeout or when ``wake_fd`` was written."""
        watched: list[Any] = [self._conn, wake_fd]
        if self._pidfd is not None:
            watched.append(self._pidfd)
        else:
            timeout = min(timeout, 0.2)  # no pidfd: look now and then
        ready = wait(watched, max(0.0, min(timeout, 60.0)))  # the caller loops anyway
        if self._conn in ready:
            try:
                message: object = loads(self._conn.recv_bytes())
            except (EOFError, OSError):
                return EXITED
            return message
        if wake_fd in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_fd, 4096)
        return None if self.alive() else EXITED

    def alive(self) -> bool:
        """Whether the worker still runs (without reaping it, so its group stays ours)."""
        if self._closed:
            return False
        try:
            return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
        except ChildProcessError:
            return False

    def terminate(self) -> int | None:
        """Kill the worker's whole process group, reap it; its exit status (-N for signal N).

        The group is killed *before* the worker is reaped: until then its pid,
        and so its group id, cannot be reused by an unrelated process.
        """
        if self._closed:
            return self._returncode
        self._closed = True
        group = PidsGroup.of_worker(self.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if group is not None:
            group.kill_all()
        try:
            self._returncode = self._popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log.error("worker process %d did not end 10 s after SIGKILL", self.pid)
        if group is not None:
            group.remove()
        self._conn.close()
        if self._pidfd is not None:
            os.close(self._pidfd)
        shutil.rmtree(self._workdir, ignore_errors=True)
        return self._returncode


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` exits (Linux 5.3+)."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _stderr_fd() -> int:
    try:
        os.fstat(2)
    except OSError:
        return subprocess.DEVNULL
    return 2
