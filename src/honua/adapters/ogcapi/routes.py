"""Starlette routes of OGC API - Processes: glue between HTTP and the job manager."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, cast

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from honua.adapters.ogcapi import decode, encode
from honua.adapters.ogcapi.collections import Collections
from honua.adapters.ogcapi.docs import docs_asset, docs_page
from honua.adapters.ogcapi.errors import problem, problem_from_error
from honua.adapters.ogcapi.openapi import openapi_document
from honua.adapters.ogcapi.responses import json_response, results_response
from honua.adapters.ogcapi.uploads import Uploads
from honua.core.parameters import DataType
from honua.core.planning import Plan
from honua.core.references import is_reference
from honua.core.requests import ExecutionOptions
from honua.errors import HonuaError
from honua.geo.precision import DEFAULT, parse_decimals
from honua.settings import Settings
from honua.types import JobService, Services
from honua.web.access import processes_for
from honua.web.body import public_base, public_url, read_body
from honua.web.downloads import download_response, requested_download
from honua.web.identity import principal_of
from honua.web.json_body import OFFLOAD_BYTES
from honua.web.runs import start_run

Handler = Callable[[Request], Awaitable[Response]]


class OgcApi:
    def __init__(self, manager: JobService, settings: Settings) -> None:
        self.manager = manager
        self.settings = settings

    def base(self, request: Request) -> str:
        return public_base(request, self.settings.base_url)

    def url(self, request: Request, url: URL | None = None) -> str:
        return public_url(request, self.settings.base_url, url)

    # -- capabilities -------------------------------------------------------------------------
    async def landing(self, request: Request) -> Response:
        return json_response(encode.landing(self.base(request)))

    async def conformance(self, request: Request) -> Response:
        return json_response(encode.conformance())

    async def openapi(self, request: Request) -> Response:
        if request.query_params.get("f") == "html":
            return RedirectResponse(f"{request.scope.get('root_path', '')}/api/docs",
                                    status_code=303)
        descriptions = [d.description for d in processes_for(request, self.manager.registry)]
        return json_response(openapi_document(descriptions, self.base(request)),
                             media_type=encode.OPENAPI)

    # -- processes ----------------------------------------------------------------------------
    async def processes(self, request: Request) -> Response:
        base = self.base(request)
        limit = decode.int_param(request.query_params, "limit", 10_000, 1, 10_000)
        offset = decode.int_param(request.query_params, "offset", 0, 0, 10**9)
        definitions = list(processes_for(request, self.manager.registry))
        summaries = [encode.process_summary(d.description, base)
                     for d in definitions[offset:offset + limit]]
        query = request.url.remove_query_params("offset")
        links = [encode.link(f"{base}/api/processes", "self", "Process list")]
        if offset + limit < len(definitions):
            links.append(encode.link(self.url(request, query.include_query_params(
                offset=offset + limit)), "next", "Next page"))
        if offset > 0:
            links.append(encode.link(self.url(request, query.include_query_params(
                offset=max(0, offset - limit))), "prev", "Previous page"))
        return json_response({"processes": summaries, "links": links})

    async def process(self, request: Request) -> Response:
        definition = processes_for(request, self.manager.registry).get(
            request.path_params["process_id"])
        return json_response(encode.process_description(definition.description,
                                                        self.base(request)))

    async def execute(self, request: Request) -> Response:
        base = self.base(request)
        definition = processes_for(request, self.manager.registry).get(
            request.path_params["process_id"])
        precision = DEFAULT.asking(parse_decimals(request.query_params.get("precision")))
        body = await read_body(request, self.settings.max_body_bytes)
        prefer = request.headers.get("prefer")
        large = len(body) > OFFLOAD_BYTES
        arguments = (body, definition.description, prefer, base, self.settings.json_max_depth)
        if large:
            inputs, options = await run_in_threadpool(decode.decode_execute, *arguments)
        else:
            inputs, options = decode.decode_execute(*arguments)
        # big inputs and references (CQL2 parsing, catalog reads) are checked off the loop
        offload = large or any(is_reference(v) for v in _items(inputs))
        caller = principal_of(request)
        run = await start_run(self.manager, definition.id, inputs, options, offload=offload,
                              owner=caller.subject, tenant=caller.tenant)
        if run.handed_over:  # a job to follow: asked for, or still running at the sync limit
            headers = {"Location": f"{base}/api/jobs/{run.job.id}"}
            if run.plan is Plan.ASYNC:
                headers["Preference-Applied"] = "respond-async"
            return json_response(encode.status_info(run.job, base), status=201, headers=headers)
        if run.stored:  # kept with the job (by reference, chunk by chunk): answered from there
            return await self._job_results(run.job.id, base)
        assert run.outputs is not None
        headers = {"Link": f'<{base}/api/jobs/{run.job.id}>; rel="monitor"'}
        if prefer:
            headers["Preference-Applied"] = "wait"
        href = f"{base}/api/jobs/{run.job.id}/results"
        if _is_large(run.outputs):
            return await run_in_threadpool(results_response, definition.description, options,
                                           run.outputs, href, headers, precision)
        return results_response(definition.description, options, run.outputs, href, headers,
                                precision)

    # -- jobs ---------------------------------------------------------------------------------
    async def jobs(self, request: Request) -> Response:
        base = self.base(request)
        limit = decode.int_param(request.query_params, "limit", 100, 1, 10_000)
        offset = decode.int_param(request.query_params, "offset", 0, 0, 10**9)
        filters = decode.job_filters(request.query_params, encode.CORE_STATUSES)
        jobs, total = ([], 0) if filters is None else await run_in_threadpool(
            partial(self.manager.list, limit=limit, offset=offset, **filters))
        query = request.url.remove_query_params("offset")
        links = [encode.link(self.url(request), "self", "This page")]
        if offset + len(jobs) < total:
            links.append(encode.link(self.url(request, query.include_query_params(
                offset=offset + limit)), "next", "Next page"))
        if offset > 0:
            links.append(encode.link(self.url(request, query.include_query_params(
                offset=max(0, offset - limit))), "prev", "Previous page"))
        document = encode.job_list(jobs, base, links)
        document["numberMatched"] = total
        return json_response(document)

    async def job(self, request: Request) -> Response:
        job = await run_in_threadpool(self.manager.get, request.path_params["job_id"])
        return json_response(encode.status_info(job, self.base(request)))

    async def dismiss(self, request: Request) -> Response:
        job = await run_in_threadpool(self.manager.dismiss, request.path_params["job_id"])
        return json_response(encode.status_info(job, self.base(request)))

    async def cancel(self, request: Request) -> Response:
        """``POST /api/jobs/{id}/cancel`` (Honua's extension; Part 1 has only DELETE, which
        removes the job): stop it and keep it, as GPServer's ``cancel`` does."""
        job = await run_in_threadpool(self.manager.cancel, request.path_params["job_id"])
        return json_response(encode.status_info(job, self.base(request)))

    async def results(self, request: Request) -> Response:
        job_id = request.path_params["job_id"]
        download = requested_download(request)
        if download is not None:  # a file of the one feature output
            job = await run_in_threadpool(self.manager.get, job_id)
            description = self.manager.registry.get(job.process_id).description
            features = [p.name for p in description.outputs if p.data_type is DataType.FEATURES]
            if len(features) != 1:
                return problem("invalid-parameter", f"f={download.key} downloads one feature "
                               "output; ask /results/{output} for the one you want")
            values = await run_in_threadpool(self.manager.results, job_id)
            return await download_response(values.get(features[0]), download,
                                           f"{job_id}-{features[0]}")
        return await self._job_results(job_id, self.base(request))

    async def _job_results(self, job_id: str, base: str) -> Response:
        job = await run_in_threadpool(self.manager.get, job_id)
        wanted = list(job.options.outputs) or [
            p.name for p in self.manager.registry.get(job.process_id).description.outputs]
        if job.options.response == "raw" and len(wanted) == 1:
            streamed = await self._stored_file(job_id, wanted[0])
            if streamed is not None:
                return streamed
        definition = self.manager.registry.get(job.process_id)
        outputs = await run_in_threadpool(self._stored_outputs, job_id, definition.description)
        href = f"{base}/api/jobs/{job_id}/results"
        return await run_in_threadpool(results_response, definition.description, job.options,
                                       outputs, href, {})

    def _stored_outputs(self, job_id: str, description: Any) -> dict[str, Any]:
        """A job's outputs for the wire. They are stored as neutral JSON (GeoJSON for
        features), which the encoders take as it is: no round trip through shapely; only
        files are read back as values (their bytes go out raw)."""
        if any(p.data_type is DataType.FILE for p in description.outputs):
            return self.manager.results(job_id)
        return cast(dict[str, Any], orjson.loads(self.manager.results_json(job_id)))

    async def result(self, request: Request) -> Response:
        """One output of a job, raw: where outputs sent by reference point to."""
        job_id, name = request.path_params["job_id"], request.path_params["output"]
        job = await run_in_threadpool(self.manager.get, job_id)
        definition = self.manager.registry.get(job.process_id)
        if definition.description.output(name) is None:
            return problem("not-found", f"process {job.process_id!r} has no output {name!r}")
        download = requested_download(request)
        if download is not None:  # FlatGeobuf / GeoPackage (or f=geojson) of a feature output
            values = await run_in_threadpool(self.manager.results, job_id)
            return await download_response(values.get(name), download, f"{job_id}-{name}")
        streamed = await self._stored_file(job_id, name)
        if streamed is not None:
            return streamed
        outputs = await run_in_threadpool(self._stored_outputs, job_id, definition.description)
        return await run_in_threadpool(
            results_response, definition.description, ExecutionOptions(),
            {name: outputs[name]}, "", {})

    async def _stored_file(self, job_id: str, name: str) -> Response | None:
        """An output kept as a file (a chunked run's GeoJSON), streamed as it is."""
        path = await run_in_threadpool(self.manager.result_file, job_id, name)
        if path is None:
            return None
        return FileResponse(path, media_type="application/geo+json")


def _items(inputs: Mapping[str, Any]) -> list[Any]:
    return [item for value in inputs.values()
            for item in (value if isinstance(value, list) else [value])]


def _is_large(outputs: Mapping[str, Any]) -> bool:
    return any(hasattr(v, "geometry") and len(v) > 1000 for v in outputs.values())



def _guard(handler: Handler) -> Handler:
    """Turn every error into problem+json; never a stack trace."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except HonuaError as error:
            return problem_from_error(error, instance=request.url.path)
        except Exception:
            import logging

            logging.getLogger(__name__).exception("unexpected error on %s", request.url.path)
            return problem("internal", "the server hit an unexpected error; it has been logged",
                           instance=request.url.path)

    return guarded


def refusal(request: Request, error: HonuaError) -> Response:
    """The answer to a request refused before it reached a handler (no or bad credentials):
    problem+json, 401 with ``WWW-Authenticate``."""
    return problem_from_error(error, instance=request.url.path)


def routes(services: Services) -> list[Route]:
    """The ``/api`` routes."""
    api = OgcApi(services.manager, services.settings)
    table: list[tuple[str, Handler, list[str]]] = [
        ("/api", api.landing, ["GET"]),
        ("/api/", api.landing, ["GET"]),
        ("/api/conformance", api.conformance, ["GET"]),
        ("/api/openapi", api.openapi, ["GET"]),
        ("/api/processes", api.processes, ["GET"]),
        ("/api/processes/{process_id}", api.process, ["GET"]),
        ("/api/processes/{process_id}/execution", api.execute, ["POST"]),
        ("/api/jobs", api.jobs, ["GET"]),
        ("/api/jobs/{job_id}", api.job, ["GET"]),
        ("/api/jobs/{job_id}/results", api.results, ["GET"]),
        ("/api/jobs/{job_id}/results/{output}", api.result, ["GET"]),
    ]
    collections = Collections(services.catalog, services.settings)
    uploads = Uploads(services.uploads, services.settings)
    table += [
        ("/api/collections", collections.collections, ["GET"]),
        ("/api/collections/{collection_id}", collections.collection, ["GET"]),
        ("/api/collections/{collection_id}/queryables", collections.queryables, ["GET"]),
        ("/api/collections/{collection_id}/items", collections.items, ["GET"]),
        ("/api/collections/{collection_id}/items/{feature_id}", collections.item, ["GET"]),
        ("/api/uploads", uploads.create, ["POST"]),
        ("/api/uploads/{upload_id}", uploads.get, ["GET"]),
    ]
    out = [Route(path, _guard(handler), methods=methods) for path, handler, methods in table]
    out.append(Route("/api/jobs/{job_id}", _guard(api.dismiss), methods=["DELETE"]))
    out.append(Route("/api/jobs/{job_id}/cancel", _guard(api.cancel), methods=["POST"]))
    out.append(Route("/api/docs", _guard(docs_page), methods=["GET"]))
    out.append(Route("/api/docs/static/{name}", _guard(docs_asset), methods=["GET"]))
    out.append(Route("/api/uploads/{upload_id}", _guard(uploads.delete), methods=["DELETE"]))
    out.append(Route("/api/collections/{collection_id}", _guard(collections.delete),
                     methods=["DELETE"]))
    return out
