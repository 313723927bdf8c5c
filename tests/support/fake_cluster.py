"""A fake cluster with a batch API, and the executor that runs Honua jobs on it.

This is how a tier-3 executor on Kubernetes Jobs (or AWS Batch, Google Cloud Batch...)
plugs in, at the smallest size that is still real: every Honua job becomes one *cluster
job*, a separate OS process started through ``BatchAPI`` -- the stand-in for
``batch/v1`` ``create_namespaced_job`` / ``read_namespaced_job_status`` /
``delete_namespaced_job`` -- never a thread or a mock. What crosses the API is what
would cross a real one: a spec file (the pickled work item, as a ConfigMap or object-store
object would hold it), the pod's status (pending, running, succeeded, failed with an exit
code) and the files it writes (events and its result, as a volume or bucket would hold).

``ClusterExecutor`` implements ``honua.types.Executor`` on top: ``free_slots`` is the
cluster quota left, ``submit`` queues and creates cluster jobs, a watch thread relays the
pod's progress and messages and turns its end into an ``Outcome``, ``cancel`` deletes the
cluster job, and the wall-clock limit is enforced by the executor the way
``activeDeadlineSeconds`` would be. The OS limits (memory, CPU, processes, file size) are
applied inside the pod by the same ``executors.job.run`` the local pool's workers use; on
a real cluster the pod's resource limits back them up.
"""

from __future__ import annotations

import collections
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from honua.core.context import Context, MessageLevel
from honua.core.execution import ExecutionListener, Outcome, WorkItem
from honua.core.registry import discover
from honua.executors import job as jobrun
from honua.executors import outcomes
from honua.executors.protocol import Done, dumps
from honua.settings import Settings

POLL_SECONDS = 0.05


@dataclass
class _Pod:
    process: subprocess.Popen[bytes]
    folder: Path
    deleted: bool = False


class BatchAPI:
    """The cluster: create a job from a spec, read its status, delete it. One process each."""

    def __init__(self, root: Path, *, process_modules: tuple[str, ...] = ()) -> None:
        self.root = root
        self._modules = process_modules
        self._pods: dict[str, _Pod] = {}
        self._lock = threading.Lock()

    def create_job(self, name: str, spec: bytes) -> None:
        folder = self.root / name
        folder.mkdir(parents=True)
        (folder / "spec").write_bytes(spec)
        env = {**os.environ, "FAKE_CLUSTER_MODULES": ",".join(self._modules)}
        process = subprocess.Popen([sys.executable, "-m", "tests.support.fake_cluster",
                                    str(folder)], env=env, cwd=os.getcwd(),
                                   stdout=subprocess.DEVNULL, stderr=(folder / "log").open("wb"),
                                   start_new_session=True)
        with self._lock:
            self._pods[name] = _Pod(process, folder)

    def status(self, name: str) -> tuple[str, int | None]:
        """``("running"|"succeeded"|"failed", exit code)``, as a Job's conditions say."""
        with self._lock:
            pod = self._pods[name]
        code = pod.process.poll()
        if code is None:
            return "running", None
        return ("succeeded" if code == 0 and (pod.folder / "result").exists() else "failed"), code

    def events(self, name: str) -> Path:
        return self._pods[name].folder / "events"

    def result(self, name: str) -> bytes:
        return (self._pods[name].folder / "result").read_bytes()

    def delete_job(self, name: str, *, grace_seconds: float = 0.0) -> None:
        """SIGTERM the pod's process group, then SIGKILL after the grace period (what the
        kubelet does on deletion with ``propagationPolicy=Foreground``)."""
        with self._lock:
            pod = self._pods.get(name)
        if pod is None or pod.deleted:
            return
        pod.deleted = True
        for signum, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pod.process.pid, signum)
            except ProcessLookupError:
                break
            try:
                pod.process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue

    def pids(self) -> list[int]:
        with self._lock:
            return [pod.process.pid for pod in self._pods.values() if pod.process.poll() is None]


@dataclass
class _Running:
    item: WorkItem
    listener: ExecutionListener
    started: float
    events_read: int = 0
    ending: Outcome | None = None


@dataclass
class _Queued:
    item: WorkItem
    listener: ExecutionListener
    priority: bool = field(default=False)


class ClusterExecutor:
    """``honua.types.Executor`` on a ``BatchAPI``: one cluster job per Honua job."""

    def __init__(self, settings: Settings, api: BatchAPI, *, quota: int) -> None:
        self._settings = settings
        self._api = api
        self._quota = quota
        self._queue: collections.deque[_Queued] = collections.deque()
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watch: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._watch = threading.Thread(target=self._loop, name="cluster-watch", daemon=True)
        self._watch.start()

    def stop(self) -> None:
        with self._lock:
            queued, self._queue = list(self._queue), collections.deque()
            running = dict(self._running)
        for entry in queued:
            entry.listener.on_finish(entry.item.job_id, outcomes.shutting_down())
        for job_id, run in running.items():
            run.ending = outcomes.shutting_down(time.monotonic() - run.started)
            self._api.delete_job(job_id)
        self._stop.set()
        if self._watch is not None:
            self._watch.join(10)
        self._check()  # report the deleted ones

    def free_slots(self) -> int:
        with self._lock:
            return max(0, self._quota - len(self._running) - len(self._queue))

    def submit(self, item: WorkItem, listener: ExecutionListener, *, priority: bool = False) -> None:
        with self._lock:
            entry = _Queued(item, listener, priority)
            if priority:
                self._queue.appendleft(entry)
            else:
                self._queue.append(entry)
        self._launch()

    def cancel(self, job_id: str) -> bool:
        with self._lock:
            for entry in list(self._queue):
                if entry.item.job_id == job_id:
                    self._queue.remove(entry)
                    break
            else:
                entry = None
            run = self._running.get(job_id)
        if entry is not None:
            entry.listener.on_finish(job_id, outcomes.cancelled())
            return True
        if run is None:
            return False
        run.ending = outcomes.cancelled(time.monotonic() - run.started)
        self._api.delete_job(job_id, grace_seconds=self._settings.cancel_grace_seconds)
        return True

    # -- the watch loop ---------------------------------------------------------------------
    def _launch(self) -> None:
        while True:
            with self._lock:
                if not self._queue or len(self._running) >= self._quota:
                    return
                entry = self._queue.popleft()
                self._running[entry.item.job_id] = _Running(entry.item, entry.listener,
                                                            time.monotonic())
            inputs = dumps(entry.item.inputs) if entry.item.inputs is not None else None
            self._api.create_job(entry.item.job_id, pickle.dumps((entry.item, inputs)))
            entry.listener.on_start(entry.item.job_id)

    def _loop(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._check()
            self._launch()

    def _check(self) -> None:
        with self._lock:
            running = dict(self._running)
        for job_id, run in running.items():
            self._relay(job_id, run)
            elapsed = time.monotonic() - run.started
            state, code = self._api.status(job_id)
            if state == "running":
                if run.ending is None and elapsed > run.item.limits.timeout_seconds:
                    run.ending = outcomes.timed_out(run.item.limits, elapsed)
                    self._api.delete_job(job_id)
                continue
            self._relay(job_id, run)
            outcome = run.ending or self._ended(job_id, state, code, run, elapsed)
            with self._lock:
                self._running.pop(job_id, None)
            run.listener.on_finish(job_id, outcome)

    def _ended(self, job_id: str, state: str, code: int | None, run: _Running,
               elapsed: float) -> Outcome:
        if state != "succeeded":
            return outcomes.from_exit(code, run.item.limits, elapsed)
        done: Done = pickle.loads(self._api.result(job_id))
        return outcomes.from_done(done, elapsed, {"kind": "cluster-job", "name": job_id})

    def _relay(self, job_id: str, run: _Running) -> None:
        path = self._api.events(job_id)
        try:
            lines = path.read_bytes().splitlines()
        except FileNotFoundError:
            return
        for line in lines[run.events_read:]:
            if not line.endswith(b"}"):
                break  # half written: read it next time
            event = json.loads(line)
            run.events_read += 1
            if event["kind"] == "progress":
                run.listener.on_progress(job_id, event["percent"], event["message"])
            else:
                run.listener.on_message(job_id, MessageLevel(event["level"]), event["text"])


def _pod_main(folder: Path) -> int:
    """The cluster job's container: run one work item, write events and the result."""
    item, inputs = pickle.loads((folder / "spec").read_bytes())
    modules = tuple(m for m in os.environ.get("FAKE_CLUSTER_MODULES", "").split(",") if m)
    registry = discover(modules)
    events = (folder / "events").open("ab", buffering=0)

    def emit(event: dict[str, object]) -> None:
        events.write(json.dumps(event).encode() + b"\n")

    cancel = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: cancel.set())
    context = Context(job_id=item.job_id, workdir=folder,
                      on_progress=lambda p, m: emit({"kind": "progress", "percent": p,
                                                     "message": m}),
                      on_message=lambda t, lv: emit({"kind": "message", "level": lv.value,
                                                     "text": t}),
                      cancel_event=cancel)
    done = jobrun.run(registry, item, inputs, context, os.getpid())
    (folder / "result.part").write_bytes(pickle.dumps(done))
    (folder / "result.part").rename(folder / "result")
    return 0


if __name__ == "__main__":
    sys.exit(_pod_main(Path(sys.argv[1])))
