"""``/health`` and ``/ready``: what a load balancer or Kubernetes asks before sending work.

``/health`` (liveness) only says the process answers HTTP: restarting a server
because its database is down would not help. ``/ready`` (readiness) checks
what a request needs, each for real and each within ``CHECK_TIMEOUT`` seconds
so the probe itself never hangs: the job store takes a write (a rolled-back
insert, ``JobStore.probe_write``), worker processes are alive, the catalog can
be listed, the artifact store answers (its folder is writable, its bucket
exists). A failure answers 503 with a JSON body naming the failing check and
why, which is what an operator reads first. Both paths are open to anonymous
callers (``web.identity.OPEN_PATHS``) and say nothing secret.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from honua.errors import HonuaError
from honua.types import ArtifactStore, Catalog, Executor, JobStore

__all__ = ["CHECK_TIMEOUT", "Readiness", "health_routes"]

log = logging.getLogger(__name__)
CHECK_TIMEOUT = 3.0
"""Seconds one readiness check may take before it counts as failed."""
NO_CACHE = {"Cache-Control": "no-store"}


class CheckFailed(Exception):
    """A readiness check that does not hold, with the reason an operator reads."""


class Readiness:
    """The readiness checks over the server's parts."""

    def __init__(self, store: JobStore, executor: Executor, catalog: Catalog,
                 artifacts: ArtifactStore) -> None:
        self.checks: dict[str, Callable[[], str]] = {
            "job_store": lambda: _job_store(store),
            "workers": lambda: _workers(executor),
            "catalog": lambda: _catalog(catalog),
            "artifacts": artifacts.check,
        }

    async def run(self) -> tuple[bool, dict[str, dict[str, Any]]]:
        """Every check, concurrently; ``(all passed, name -> {status, detail, ms})``."""
        names = list(self.checks)
        outcomes = await asyncio.gather(*(self._one(self.checks[name]) for name in names))
        results = dict(zip(names, outcomes, strict=True))
        return all(result["status"] == "pass" for result in results.values()), results

    async def _one(self, check: Callable[[], str]) -> dict[str, Any]:
        began = time.perf_counter()
        try:
            detail = await asyncio.wait_for(run_in_threadpool(check), CHECK_TIMEOUT)
            status = "pass"
        except TimeoutError:
            status, detail = "fail", f"no answer within {CHECK_TIMEOUT:g} s"
        except CheckFailed as exc:
            status, detail = "fail", str(exc)
        except HonuaError as exc:
            status, detail = "fail", exc.message
        except Exception as exc:  # the probe must answer whatever broke
            log.warning("readiness check raised", exc_info=True)
            status, detail = "fail", f"{type(exc).__name__}: {exc}"
        return {"status": status, "detail": detail,
                "ms": round((time.perf_counter() - began) * 1000, 1)}


def _job_store(store: JobStore) -> str:
    store.probe_write()
    return "takes writes"


def _workers(executor: Executor) -> str:
    pids = getattr(executor, "worker_pids", None)
    if pids is None:  # a distributed executor: its workers are watched by the broker
        return f"{type(executor).__name__} (workers not watched from here)"
    alive = [pid for pid in pids() if _alive(pid)]
    if not alive:
        raise CheckFailed("no worker process is running")
    return f"{len(alive)} worker process(es) running"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a worker switched to another user: it exists
        return True
    return True


def _catalog(catalog: Catalog) -> str:
    return f"{len(catalog.list())} collection(s) listed"


def health_routes(readiness: Readiness) -> list[BaseRoute]:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "pass"}, headers=NO_CACHE)

    async def ready(request: Request) -> Response:
        ok, checks = await readiness.run()
        failing = [name for name, result in checks.items() if result["status"] != "pass"]
        body: dict[str, Any] = {"status": "pass" if ok else "fail", "checks": checks}
        if failing:
            body["failing"] = failing
            log.warning("not ready: %s", "; ".join(
                f"{name}: {checks[name]['detail']}" for name in failing))
        return JSONResponse(body, status_code=200 if ok else 503, headers=NO_CACHE)

    return [Route("/health", health, methods=["GET", "HEAD"]),
            Route("/ready", ready, methods=["GET", "HEAD"])]
