"""What the job sandbox costs: time until a worker is ready, and the confinement alone.

    python bench/worker_start.py [--repeat 20]

For each ``sandbox`` mode (``off``, ``auto``, interleaved) it starts one worker
process at a time through the real ``WorkerHandle`` (fresh interpreter, process modules
imported, confined, ``Ready`` received) and reports the median and the best
start; then it times ``sandbox.confine`` itself in forked children of this
process (namespaces, Landlock ruleset, user switch), which is what ``auto``
adds to a start. Run as root to measure the namespaces; otherwise Landlock only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from honua.executors import sandbox
from honua.executors.handle import WorkerHandle
from honua.settings import Settings


def start_times(settings: Settings, repeat: int) -> tuple[list[float], sandbox.Report]:
    wake_r, _ = os.pipe()
    times, report = [], sandbox.Report()
    for _ in range(repeat):
        began = time.perf_counter()
        handle = WorkerHandle.launch(settings)
        handle.await_ready(60.0, wake_r, lambda: False)
        times.append(time.perf_counter() - began)
        report = handle.sandbox
        handle.terminate()
    return times, report


def confine_times(settings: Settings, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        workdir = tempfile.mkdtemp(prefix="honua-worker-")
        if os.geteuid() == 0:
            os.chown(workdir, 65534, 65534)
        plan = sandbox.plan(settings, workdir)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            began = time.perf_counter()
            sandbox.confine(plan, settings.worker_user)
            os.write(write, str(time.perf_counter() - began).encode())
            os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        times.append(float(os.read(read, 64)))
        os.close(read)
        os.rmdir(workdir)
    return times


def line(name: str, times: list[float]) -> str:
    return (f"{name:<34} median {statistics.median(times) * 1000:7.1f} ms   "
            f"best {min(times) * 1000:7.1f} ms   (n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    base = Settings(data_dir=Path(tempfile.mkdtemp()), workers=1)
    times: dict[str, list[float]] = {"off": [], "auto": []}
    reports: dict[str, sandbox.Report] = {}
    for _ in range(args.repeat):  # interleaved, so that a busy moment hits both alike
        for mode in times:
            took, reports[mode] = start_times(base.replace(sandbox=mode), 1)
            times[mode] += took
    for mode, took in times.items():
        print(line(f"worker ready, sandbox = {mode}", took))
        print("   layers:", ", ".join(reports[mode].layers) or "none")
    auto = base.replace(sandbox="auto")
    print(line("sandbox.confine alone (auto)", confine_times(auto, args.repeat)))


if __name__ == "__main__":
    main()
