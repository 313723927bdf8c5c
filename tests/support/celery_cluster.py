"""A Celery-mode Honua in processes: ``honua serve`` fronts and ``honua worker``s on a
fresh PostgreSQL database and the test RabbitMQ, with queues of their own.

``make test`` checks RabbitMQ (``scripts/services.py``) and exports its URL as
``HONUA_TEST_BROKER_URL``; each ``Cluster`` uses a unique ``queue_prefix``, so runs never
share queues, and deletes its queues afterwards. Used by ``tests/executors/test_celery*.py``
(and meant for anything else that needs fronts and workers, such as a benchmark).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import postgres
from tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672//"
RESOURCE_CLASSES = ("cpu-burst", "db-heavy", "gpu", "long-tail")


def broker_url() -> str:
    """The test broker; fails the test (never skips) when it cannot be reached."""
    url = os.environ.get("HONUA_TEST_BROKER_URL") or DEFAULT_BROKER
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(f"RabbitMQ is required by this test but cannot be reached at {url} "
                    f"({exc}); `make test` starts it", pytrace=False)
    return url


class Cluster:
    """Fronts and workers of one Celery-mode installation (see the module docstring)."""

    def __init__(self, database: str, log_dir: Path, **settings: str) -> None:
        self.database = database
        self.prefix = f"honuatest{secrets.token_hex(4)}"
        self.broker = broker_url()
        self.log_dir = log_dir
        self.env = {**os.environ, "PYTHONPATH": str(REPO),
                    "HONUA_EXECUTOR": "celery", "HONUA_BROKER_URL": self.broker,
                    "HONUA_QUEUE_PREFIX": self.prefix,
                    "HONUA_DATABASE_URL": postgres.url(database),
                    "HONUA_DATA_DIR": str(log_dir / "data"),
                    "HONUA_PROCESS_MODULES": "tests.plugins.celery_jobs",
                    "HONUA_WORKERS": "1", "HONUA_LOG_LEVEL": "info",
                    **{f"HONUA_{k.upper()}": v for k, v in settings.items()}}
        self.processes: list[subprocess.Popen[bytes]] = []
        self.base = ""

    def _start(self, name: str, *arguments: str, env: dict[str, str] | None = None
               ) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}-{len(self.processes)}.log", "ab")  # noqa: SIM115
        process = subprocess.Popen([sys.executable, "-m", "honua.cli", *arguments], cwd=REPO,
                                   env=env or self.env, stdout=log, stderr=log,
                                   start_new_session=True)
        log.close()
        self.processes.append(process)
        return process

    def front(self) -> str:
        """Start one front (``honua serve --processes 1``); returns its base URL."""
        port = free_port()
        process = self._start("front", "serve", "--processes", "1",
                              env={**self.env, "HONUA_PORT": str(port)})
        base = f"http://127.0.0.1:{port}"
        self._wait(process, lambda: _answers(base), "front")
        self.base = self.base or base
        return base

    def worker(self, queues: Sequence[str] = ("cpu-burst",), concurrency: int = 1
               ) -> subprocess.Popen[bytes]:
        """Start a ``honua worker``; returns once it is registered as a live front."""
        process = self._start("worker", "worker", "--queues", ",".join(queues),
                              "--concurrency", str(concurrency))
        self._wait(process, lambda: process.pid in self.registered(), "worker")
        return process

    def _wait(self, process: subprocess.Popen[bytes], ready: Any, what: str) -> None:
        deadline = time.monotonic() + 120
        while not ready():
            assert process.poll() is None, f"the {what} stopped; see {self.log_dir}"
            assert time.monotonic() < deadline, f"the {what} did not start; see {self.log_dir}"
            time.sleep(0.2)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with postgres.connect(self.database) as connection:
            try:
                return connection.execute(sql, params).fetchall()
            except Exception:  # tables not created yet
                return []

    def registered(self) -> set[int]:
        return {row[0] for row in self.query("SELECT pid FROM honua_fronts")}

    def attempts(self, job_id: str) -> int:
        return int(self.query("SELECT attempts FROM honua_jobs WHERE id = %s", job_id)[0][0])

    def submit(self, process_id: str, inputs: dict[str, Any], base: str = "") -> str:
        response = httpx.post(f"{base or self.base}/api/processes/{process_id}/execution",
                              json={"inputs": inputs}, headers={"Prefer": "respond-async"},
                              timeout=30)
        assert response.status_code == 201, response.text
        return str(response.json()["jobID"])

    def status(self, job_id: str) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base}/api/jobs/{job_id}", timeout=30).json())

    def wait(self, job_id: str, wanted: set[str], timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        info: dict[str, Any] = {}
        while time.monotonic() < deadline:
            info = self.status(job_id)
            if info.get("status") in wanted:
                return info
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} stayed {info.get('status')}: {info}; logs in "
                             f"{self.log_dir}")

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL a worker or front (its job children die with it)."""
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self._delete_queues()

    def _delete_queues(self) -> None:
        from kombu import Connection

        with Connection(self.broker, connect_timeout=5) as connection:
            channel = connection.default_channel
            for name in (f"{self.prefix}.{c}" for c in RESOURCE_CLASSES):
                try:
                    channel.queue_delete(name)
                    channel.exchange_delete(name)
                except Exception:  # never declared: nothing to delete
                    channel = connection.channel()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/conformance", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def cluster(log_dir: Path, **settings: str) -> Iterator[Cluster]:
    """A ``Cluster`` on a fresh database, stopped and cleaned up afterwards."""
    with postgres.fresh_database("honua_celery") as database:
        running = Cluster(database, log_dir, **settings)
        try:
            yield running
        finally:
            running.stop()


HOST = socket.gethostname()
