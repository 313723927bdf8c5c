"""``/admin``: the operator's dashboard, for callers with an admin role only.

Jobs of every process, tenant and owner (filters: process, state, owner),
counts per state and per resource class, the queue's depth, the workers and
their memory, the latest failures with their messages, and buttons to cancel
or dismiss a job. The page follows ``/admin/events`` (Server-Sent Events, the same
filters as the page): a ``summary`` event with the counts and the job list at once and
after every change of any job, woken by the recorder's writes in this front
(``core.changes.ANY_JOB``) and re-read every ``REREAD`` seconds for other fronts' writes.
Only a browser without ``EventSource``, or whose stream is refused, falls back to
reading ``/admin/summary`` every few seconds. The buttons POST to
``/admin/jobs/{id}/cancel`` and
``/dismiss``. Anonymous callers get 401, others without an admin role
(``settings.admin_roles``) 403, as JSON problems or a page for a browser.

A ``token`` in the query string (how a browser carries a server token, as on
ArcGIS Server) is kept on every link and request the page makes.
"""

from __future__ import annotations

import collections
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from honua.core.changes import ANY_JOB
from honua.core.jobs import Job, JobStatus
from honua.errors import HonuaError, NoSuchJob
from honua.settings import Settings
from honua.types import JobService
from honua.web.events import KEEPALIVE, REREAD, frame, sse_response
from honua.web.identity import principal_of
from honua.web.negotiate import wants_html
from honua.web.pages import environment

__all__ = ["Dashboard", "routes"]

STATES = [s for s in JobStatus if s is not JobStatus.DISMISSED]
QUEUED = [JobStatus.ACCEPTED, JobStatus.SUBMITTED, JobStatus.WAITING]
ACTIVE = [*QUEUED, JobStatus.RUNNING, JobStatus.CANCELLING]
FAILED = [JobStatus.FAILED, JobStatus.TIMED_OUT]
PAGE_SIZE = 50


def _rss_mb(pid: int) -> float | None:
    """Resident memory of process ``pid`` in MB (Linux ``/proc``), None when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def _job_row(job: Job) -> dict[str, Any]:
    return {"id": job.id, "process": job.process_id, "status": job.status.value,
            "owner": job.owner, "tenant": job.tenant, "progress": job.progress,
            "message": job.message, "created": job.created.isoformat()[:19].replace("T", " "),
            "finished": job.status.finished}


class AdminServices(Protocol):
    """What the dashboard needs of the app's services."""

    @property
    def settings(self) -> Settings: ...

    @property
    def manager(self) -> JobService: ...


class Dashboard:
    def __init__(self, services: AdminServices) -> None:
        self.services = services
        self.manager = services.manager
        self.env = environment("admin")

    # -- who may ------------------------------------------------------------------------------
    def _refusal(self, request: Request) -> Response | None:
        caller = principal_of(request)
        if caller.is_admin(self.services.settings):
            return None
        status, title = (401, "Authentication required") if caller.anonymous else (
            403, "Forbidden")
        detail = ("the dashboard is for administrators: send an admin's API key or token"
                  if caller.anonymous else "the dashboard is for callers with an admin role")
        if wants_html(request):
            return HTMLResponse(self.env.get_template("refused.html").render(
                crumbs=[("Admin", "")], surface="admin", title=title, detail=detail,
                status=status), status_code=status)
        return Response(orjson.dumps({"type": f"urn:honua:problem:{title.lower().replace(' ', '-')}",
                                      "title": title, "status": status, "detail": detail}),
                        status_code=status, media_type="application/problem+json",
                        headers={"WWW-Authenticate": 'Bearer realm="honua"'} if status == 401
                        else None)

    # -- what it shows ------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        manager = self.manager
        counts = {s.value: manager.list(statuses=[s], limit=1)[1] for s in STATES}
        active, _ = manager.list(statuses=ACTIVE, limit=10_000)
        classes: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter)
        for job in active:
            try:
                kind = manager.registry.get(job.process_id).description.resource_class.value
            except HonuaError:
                kind = "unknown"
            classes[kind]["queued" if job.status in QUEUED else "running"] += 1
        failures, _ = manager.list(statuses=FAILED, limit=10)
        executor = getattr(manager, "executor", None)
        pids: list[int] = getattr(executor, "worker_pids", lambda: [])()
        return {
            "counts": counts,
            "queueDepth": sum(counts[s.value] for s in QUEUED),
            "resourceClasses": {k: dict(v) for k, v in sorted(classes.items())},
            "workers": [{"pid": pid, "rssMB": _rss_mb(pid)} for pid in pids],
            "failures": [_job_row(job) for job in failures],
        }

    def jobs(self, request: Request) -> tuple[list[dict[str, Any]], int, dict[str, str]]:
        params = request.query_params
        filters = {name: params.get(name, "").strip()[:200] for name in ("process", "state",
                                                                          "owner")}
        query: dict[str, Any] = {"limit": PAGE_SIZE}
        if filters["process"]:
            query["process_id"] = filters["process"]
        if filters["owner"]:
            query["owner"] = filters["owner"]
        if filters["state"]:
            if filters["state"] not in {s.value for s in STATES}:
                return [], 0, filters
            query["statuses"] = [JobStatus(filters["state"])]
        jobs, total = self.manager.list(**query)
        return [_job_row(job) for job in jobs], total, filters

    # -- handlers -----------------------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        summary = await run_in_threadpool(self.summary)
        jobs, total, filters = await run_in_threadpool(self.jobs, request)
        if not wants_html(request):
            return Response(orjson.dumps({**summary, "jobs": jobs, "numberMatched": total}),
                            media_type="application/json", headers={"Vary": "Accept"})
        token = request.query_params.get("token", "")
        html = self.env.get_template("dashboard.html").render(
            crumbs=[("Honua", "/api?f=html"), ("Admin", "")], surface="admin",
            title="Operator dashboard", summary=summary, jobs=jobs, total=total,
            filters=filters, states=[s.value for s in STATES], token=token,
            events=f"/admin/events?{request.url.query}",
            processes=sorted(d.id for d in self.manager.registry))
        return HTMLResponse(html, headers={"Vary": "Accept", "Cache-Control": "no-store"})

    async def summary_json(self, request: Request) -> Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        return Response(orjson.dumps(await run_in_threadpool(self.summary)),
                        media_type="application/json", headers={"Cache-Control": "no-store"})

    async def events(self, request: Request) -> Response:
        """The dashboard's live feed (module docstring); refused like the page."""
        if (refused := self._refusal(request)) is not None:
            return refused
        return sse_response(self._stream(request))

    async def _stream(self, request: Request) -> AsyncIterator[bytes]:
        last: dict[str, Any] | None = None
        quiet_since = time.monotonic()
        while True:  # ends when the browser goes: Starlette cancels the stream
            summary = await run_in_threadpool(self.summary)
            jobs, total, _ = await run_in_threadpool(self.jobs, request)
            state = {**summary, "jobs": jobs, "numberMatched": total}
            if state != last:
                yield frame("summary", state)
                last, quiet_since = state, time.monotonic()
            elif time.monotonic() - quiet_since >= KEEPALIVE:
                yield b": nothing new\n\n"
                quiet_since = time.monotonic()
            await self.manager.changed(ANY_JOB, REREAD)

    def _action(self, act: Callable[[str], Job]) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            if (refused := self._refusal(request)) is not None:
                return refused
            job_id = request.path_params["job_id"]
            try:
                job = await run_in_threadpool(act, job_id)
            except NoSuchJob as exc:
                return Response(orjson.dumps({"title": "No such job", "status": 404,
                                              "detail": exc.message}), status_code=404,
                                media_type="application/problem+json")
            return Response(orjson.dumps(_job_row(job)), media_type="application/json")

        return handler


def routes(services: AdminServices) -> list[Route]:
    dashboard = Dashboard(services)
    return [
        Route("/admin", dashboard.page, methods=["GET"]),
        Route("/admin/summary", dashboard.summary_json, methods=["GET"]),
        Route("/admin/events", dashboard.events, methods=["GET"]),
        Route("/admin/jobs/{job_id}/cancel", dashboard._action(services.manager.cancel),
              methods=["POST"]),
        Route("/admin/jobs/{job_id}/dismiss", dashboard._action(services.manager.dismiss),
              methods=["POST"]),
    ]
