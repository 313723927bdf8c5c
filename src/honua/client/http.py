"""A small, synchronous OGC API - Processes client over httpx.

It speaks only the standard API, so it works against any OGC API - Processes
server, and Honua's own CLI uses it so that the CLI exercises what users do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, cast

import httpx
import orjson

FINISHED = ("successful", "failed", "dismissed")


class RemoteError(Exception):
    """The server answered with an error (its problem details are kept)."""

    def __init__(self, status: int, detail: str, problem: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.problem = dict(problem or {})


class HonuaClient:
    def __init__(self, base_url: str = "http://127.0.0.1:8080", *, timeout: float = 600.0,
                 transport: httpx.BaseTransport | None = None, api_key: str = "") -> None:
        self.base = base_url.rstrip("/")
        headers = {"X-API-Key": api_key} if api_key else None
        self.http = httpx.Client(base_url=self.base, timeout=timeout, transport=transport,
                                 headers=headers)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> HonuaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            try:
                problem = response.json()
                detail = problem.get("detail") or problem.get("title") or response.text
            except ValueError:
                problem, detail = None, response.text
            raise RemoteError(response.status_code, detail, problem)
        return response

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        """The checked response's JSON document (an object in every OGC API answer used here)."""
        return cast(dict[str, Any], self._check(response).json())

    def processes(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self._json(self.http.get("/api/processes"))["processes"])

    def describe(self, process_id: str) -> dict[str, Any]:
        return self._json(self.http.get(f"/api/processes/{process_id}"))

    def execute(self, process_id: str, inputs: Mapping[str, Any], *,
                response: str = "document") -> Any:
        """Run synchronously; with ``response='document'`` returns {output: value}."""
        body = orjson.dumps({"inputs": inputs, "response": response})
        reply = self._check(self.http.post(f"/api/processes/{process_id}/execution", content=body,
                                           headers={"Content-Type": "application/json"}))
        return _unqualify(reply.json()) if response == "document" else reply.content

    def submit(self, process_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Queue an asynchronous job; returns its status info."""
        body = orjson.dumps({"inputs": inputs, "response": "document"})
        reply = self._check(self.http.post(
            f"/api/processes/{process_id}/execution", content=body,
            headers={"Content-Type": "application/json", "Prefer": "respond-async"}))
        return self._json(reply)

    def job(self, job_id: str) -> dict[str, Any]:
        return self._json(self.http.get(f"/api/jobs/{job_id}"))

    def jobs(self, *, status: str | None = None, process_id: str | None = None,
             limit: int = 50) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        if process_id:
            params["processID"] = process_id
        return cast(list[dict[str, Any]],
                    self._json(self.http.get("/api/jobs", params=params))["jobs"])

    def wait(self, job_id: str, *, timeout: float = 3600.0, interval: float = 0.2,
             on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Poll until the job has finished (or ``timeout``); returns the last status info."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.job(job_id)
            if on_progress:
                on_progress(info)
            if info["status"] in FINISHED or time.monotonic() > deadline:
                return info
            time.sleep(interval)

    def results(self, job_id: str) -> dict[str, Any]:
        return _unqualify(self._check(self.http.get(f"/api/jobs/{job_id}/results")).json())

    def dismiss(self, job_id: str) -> dict[str, Any]:
        return self._json(self.http.delete(f"/api/jobs/{job_id}"))

    def provenance(self, job_id: str) -> dict[str, Any]:
        """The job's ledger entry as W3C PROV-JSON."""
        return self._json(self.http.get(f"/api/jobs/{job_id}/provenance"))

    def reproduce(self, job_id: str) -> dict[str, Any]:
        """Run the job again with its recorded inputs; per output, whether the hashes match."""
        return self._json(self.http.post(f"/api/jobs/{job_id}/reproduce"))


def _unqualify(document: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value.get("value", value) if isinstance(value, Mapping) else value
            for name, value in document.items()}
