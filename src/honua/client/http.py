"""A small, synchronous OGC API - Processes client over httpx.

It speaks only the standard API, so it works against any OGC API - Processes
server, and Honua's own CLI uses it so that the CLI exercises what users do.
"""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, cast

import httpx
import orjson

FINISHED = ("successful", "failed", "dismissed")
FULL_ID_LENGTH = 22
"""Job ids are 128 random bits in URL-safe base64: 22 characters; shorter is a prefix."""
PREFIX_SCAN = 10_000
"""Newest jobs searched for a prefix."""
Progress = Callable[[int, int | None], None]
"""Called with (bytes received so far, bytes expected or None) during a download."""


class AmbiguousPrefix(ValueError):
    """A job id prefix that matches several jobs (they are listed)."""


try:  # httpx decodes Brotli when the brotli package is there (a Honua dependency)
    import brotli  # noqa: F401

    ACCEPT_ENCODING = "br, gzip"
except ImportError:  # pragma: no cover
    ACCEPT_ENCODING = "gzip"


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

    @contextlib.contextmanager
    def _stream(self, path: str) -> Iterator[tuple[httpx.Response, int | None]]:
        """A streamed GET of ``path`` (an error answer raised as the client's error) and the
        length the server announced, if any, for progress reports."""
        with self.http.stream("GET", path,
                              headers={"Accept-Encoding": ACCEPT_ENCODING}) as response:
            if response.status_code >= 400:
                response.read()
                self._check(response)
            length = response.headers.get("content-length")
            yield response, int(length) if length and length.isdigit() else None

    def download_results(self, job_id: str, target: BinaryIO, *,
                         on_progress: Progress | None = None) -> int:
        """Stream the job's results document into ``target`` as the server wrote it
        (compact, compressed on the wire, never whole in memory); returns bytes written."""
        written = 0
        with self._stream(f"/api/jobs/{job_id}/results") as (response, expected):
            for chunk in response.iter_bytes():
                target.write(chunk)
                written += len(chunk)
                if on_progress:
                    on_progress(response.num_bytes_downloaded, expected)
        return written

    def download_values(self, job_id: str, target: BinaryIO, *,
                        on_progress: Progress | None = None) -> int:
        """Write ``{output: value, ...}`` of a finished job into ``target``, each JSON
        output streamed from ``/results/{output}`` straight to the file (compact, as the
        server wrote it, never parsed or held whole); returns bytes written."""
        names = list(self.describe(self.job(job_id)["processID"]).get("outputs", {}))
        written = 0
        received = 0
        for index, name in enumerate(names):
            target.write((b"{" if index == 0 else b",") + orjson.dumps(name) + b":")
            with self._stream(f"/api/jobs/{job_id}/results/{name}") as (response, expected):
                media_type = response.headers.get("content-type", "")
                if "json" in media_type:
                    for chunk in response.iter_bytes():
                        target.write(chunk)
                        written += len(chunk)
                        if on_progress:
                            on_progress(received + response.num_bytes_downloaded, expected)
                else:  # text or a file: small, and not JSON as it is
                    body = response.read()
                    value: Any = (body.decode() if media_type.startswith("text/")
                                  else {"mediaType": media_type,
                                        "data": base64.b64encode(body).decode()})
                    target.write(orjson.dumps(value))
                received += response.num_bytes_downloaded
        target.write(b"}" if names else b"{}")
        return written

    def dismiss(self, job_id: str) -> dict[str, Any]:
        """Delete the job (stopping it if it runs) and everything stored for it."""
        return self._json(self.http.delete(f"/api/jobs/{job_id}"))

    def provenance(self, job_id: str) -> dict[str, Any]:
        """The job's ledger entry as W3C PROV-JSON."""
        return self._json(self.http.get(f"/api/jobs/{job_id}/provenance"))

    def reproduce(self, job_id: str) -> dict[str, Any]:
        """Run the job again with its recorded inputs; per output, whether the hashes match."""
        return self._json(self.http.post(f"/api/jobs/{job_id}/reproduce"))
    def cancel(self, job_id: str) -> dict[str, Any]:
        """Stop the job but keep it (status ``dismissed``/cancelled), as GPServer's cancel."""
        return self._json(self.http.post(f"/api/jobs/{job_id}/cancel"))

    def resolve(self, prefix: str) -> str:
        """The full id of the job whose id starts with ``prefix`` (what ``jobs list``
        shows may be cut); raises ``AmbiguousPrefix`` or ``RemoteError`` (404)."""
        prefix = prefix.strip()
        if len(prefix) >= FULL_ID_LENGTH:
            return prefix
        if not prefix:
            raise RemoteError(404, "give a job id (or the first characters of one)")
        matches = [info["jobID"] for info in self.jobs(limit=PREFIX_SCAN)
                   if info["jobID"].startswith(prefix)]
        if len(matches) > 1:
            shown = ", ".join(matches[:5]) + (" ..." if len(matches) > 5 else "")
            raise AmbiguousPrefix(f"{len(matches)} jobs start with {prefix!r}: {shown}; "
                                  "give more characters")
        if not matches:
            raise RemoteError(404, f"no job starts with {prefix!r} (among the newest "
                                   f"{PREFIX_SCAN})")
        return str(matches[0])

    def upload(self, path: str | Path, *, description: str = "") -> dict[str, Any]:
        """Upload a file (two-step inputs); returns the upload document (its ``id``)."""
        path = Path(path)
        with path.open("rb") as f:
            return self._json(self.http.post(
                "/api/uploads", files={"file": (path.name, f)},
                data={"description": description} if description else None))


def _unqualify(document: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value.get("value", value) if isinstance(value, Mapping) else value
            for name, value in document.items()}
