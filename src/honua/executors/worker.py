"""The worker process: ``python -m honua.executors.worker FD``.

A fresh interpreter (never a fork of the server, which runs threads and an
event loop) that talks to its pool over the socket ``FD``. It builds its own
registry, switches to the unprivileged worker user, then runs one job at a
time on its main thread. A small reader thread takes frames from the pool
meanwhile, so a cancel reaches ``Context.cancelled`` while the job runs; if
the pool goes away, the reader kills the worker's whole process group.

Modules are imported *before* the worker confines itself (``sandbox.py``:
namespaces, Landlock, the switch of user), so imports cannot be blocked by the
sandbox; lazy imports (inside a process function) still work, since the
interpreter and ``sys.path`` stay readable to the worker user.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import faulthandler
import logging
import os
import queue
import shutil
import signal
import sys
import threading
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

from honua.core.context import Context, MessageLevel
from honua.core.registry import Registry, discover
from honua.executors import job, sandbox
from honua.executors import limits as oslimits
from honua.executors.protocol import Cancel, Done, Fatal, Hello, Note, Progress, Ready, Run, dumps, loads
from honua.executors.sandbox import Report

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class Worker:
    """The job loop of one worker process."""

    def __init__(self, conn: Connection, registry: Registry, workdir: Path,
                 problems: tuple[str, ...] = (), report: Report | None = None) -> None:
        self._conn = conn
        self._registry = registry
        self._workdir = workdir
        self._pid = os.getpid()
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Run, threading.Event]] = queue.SimpleQueue()
        self._cancel_events: dict[str, threading.Event] = {}
        self._threads = 0
        self._problems = problems
        self._report = report or Report()

    def serve(self) -> None:
        """Run jobs until the pool kills this process (it never asks nicely)."""
        threading.Thread(target=self._read, name="honua-worker-reader", daemon=True).start()
        self._threads = threading.active_count()
        self.send(Ready(self._pid, os.getuid(), self._problems, self._report))
        while True:
            run, cancel_event = self._jobs.get()
            done = self._run(run, cancel_event)
            if os.getpid() != self._pid:
                os._exit(0)  # a fork of the job got this far: only the worker answers
            self.send(done)

    def send(self, frame: object) -> None:
        data = dumps(frame)
        with self._send_lock:
            self._conn.send_bytes(data)

    def _run(self, run: Run, cancel_event: threading.Event) -> Done:
        job_id = run.item.job_id
        context = Context(job_id=job_id, workdir=self._workdir,
                          on_progress=partial(self._progress, job_id),
                          on_message=partial(self._message, job_id),
                          cancel_event=cancel_event)
        done = job.run(self._registry, run.item, run.inputs, context, self._pid)
        with self._lock:
            self._cancel_events.pop(job_id, None)
        clean = self._reset()
        if not clean and not done.recycle:
            done = dataclasses.replace(done, recycle=True)
        return done

    def _progress(self, job_id: str, percent: float, message: str | None) -> None:
        with contextlib.suppress(OSError):  # the pool is gone; the reader ends us
            self.send(Progress(job_id, percent, message))

    def _message(self, job_id: str, text: str, level: MessageLevel) -> None:
        with contextlib.suppress(OSError):
            self.send(Note(job_id, str(level), text))

    def _read(self) -> None:
        while True:
            try:
                data = self._conn.recv_bytes()
            except Exception:  # the pool is gone (or the stream is broken): end it all
                os.killpg(0, signal.SIGKILL)  # including whatever the job started
                os._exit(1)
            try:
                self._take(loads(data))
            except Exception:  # e.g. MemoryError while a job holds all there is; the pool
                logging.getLogger(__name__).exception("frame dropped")  # kills on timeout

    def _take(self, frame: object) -> None:
        if isinstance(frame, Run):
            event = threading.Event()
            with self._lock:
                self._cancel_events[frame.item.job_id] = event
            self._jobs.put((frame, event))
        elif isinstance(frame, Cancel):
            with self._lock:
                cancelled = self._cancel_events.get(frame.job_id)
            if cancelled is not None:
                cancelled.set()

    def _reset(self) -> bool:
        """Put the worker back as it was for the next job; False if it cannot be."""
        clean = threading.active_count() <= self._threads and not _children_running()
        try:
            os.chdir(self._workdir)
            for entry in os.scandir(self._workdir):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
        except OSError:
            return False
        return clean


def _children_running() -> bool:
    """Reap the job's finished children; True if some still run."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def _build(conn: Connection, hello: Hello) -> Worker:
    sys.path[:] = hello.sys_path
    logging.basicConfig(level=logging.WARNING,
                        format="honua worker %(process)d: %(levelname)s %(name)s: %(message)s")
    logging.getLogger("honua.core.registry").setLevel(logging.ERROR)  # the pool reports them
    oslimits.prepare_process()
    faulthandler.enable()  # a native crash leaves a Python stack in the server's log
    registry = discover(hello.settings.process_modules)
    report = _confine(hello)
    die_with_parent()
    workdir = Path(hello.workdir)
    os.chdir(workdir)
    existing = [entry for entry in sys.path if os.path.isdir(entry)]
    return Worker(conn, registry, workdir, (*registry.problems, *_unreadable(existing)), report)


def _confine(hello: Hello) -> Report:
    """Confine this worker before its first job: sandbox (as far as the settings ask and
    the machine allows), then the unprivileged worker user."""
    return sandbox.confine(hello.sandbox, hello.settings.worker_user)


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the server dies, even by SIGKILL (no orphans
    holding memory or a job). Set after the user switch, which clears it."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the server died before the request took effect
        os._exit(1)


def _unreadable(paths: list[str]) -> list[str]:
    """A warning if the worker user cannot read some of ``paths`` (e.g. Python under /root)."""
    hidden = [path for path in paths if not os.access(path, os.R_OK | os.X_OK)]
    if not hidden:
        return []
    return [f"worker user uid {os.getuid()} cannot read {', '.join(hidden)}: a process that "
            "imports a module from there lazily (inside its function) will fail; make them "
            "readable, or import at module level"]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    conn = Connection(int(args[0]))
    try:
        worker = _build(conn, loads(conn.recv_bytes()))
    except BaseException as exc:  # tell the pool why, then go
        with contextlib.suppress(OSError):
            conn.send_bytes(dumps(Fatal(f"{type(exc).__name__}: {exc}")))
        os._exit(1)
    worker.serve()


if __name__ == "__main__":
    main()
