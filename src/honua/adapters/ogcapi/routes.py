"""Starlette routes of OGC API - Processes: glue between HTTP and the job manager."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Collection, Mapping
from functools import partial
from typing import Any, cast

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from honua.adapters.ogcapi import decode, encode, nested, streamed
from honua.adapters.ogcapi.collections import Collections
from honua.adapters.ogcapi.docs import docs_asset, docs_page
from honua.adapters.ogcapi.errors import problem, problem_from_error
from honua.adapters.ogcapi.html import Pages, form_fields
from honua.adapters.ogcapi.openapi import openapi_document
from honua.adapters.ogcapi.responses import json_response, results_response
from honua.adapters.ogcapi.uploads import Uploads
from honua.core.json_text import JSONText
from honua.core.parameters import DataType
from honua.core.planning import Plan
from honua.core.provenance import prov_document
from honua.core.references import can_read, is_reference
from honua.core.requests import ExecutionOptions
from honua.errors import Forbidden, HonuaError, InvalidParameter
from honua.geo.precision import DEFAULT, parse_decimals
from honua.settings import Settings
from honua.types import Catalog, JobService, Services, SubscriptionSecrets
from honua.web.access import processes_for
from honua.web.body import public_base, public_url, read_body
from honua.web.callbacks import SECRET_HEADER
from honua.web.downloads import download_response, requested_download
from honua.web.events import event_stream, last_event_id, sse_response
from honua.web.identity import principal_of
from honua.web.json_body import OFFLOAD_BYTES, load_json
from honua.web.negotiate import wants_html
from honua.web.preview import PreviewCache, view
from honua.web.runs import start_run

Handler = Callable[[Request], Awaitable[Response]]
PROV_JSON = "application/json"
"""PROV-JSON has no registered media type of its own; it is JSON."""


class OgcApi:
    def __init__(self, manager: JobService, settings: Settings,
                 catalog: Catalog | None = None,
                 secrets: SubscriptionSecrets | None = None) -> None:
        self.manager = manager
        self.secrets = secrets
        self.settings = settings
        self.catalog = catalog
        self.pages = Pages()
        self.previews = PreviewCache()

    def _layers(self) -> list[Any]:
        """The catalog layers the caller may read (the process form's layer picker)."""
        if self.catalog is None:
            return []
        return [layer for layer in self.catalog.list() if can_read(layer, "", "")]

    def base(self, request: Request) -> str:
        return public_base(request, self.settings.base_url)

    def url(self, request: Request, url: URL | None = None) -> str:
        return public_url(request, self.settings.base_url, url)

    # -- capabilities -------------------------------------------------------------------------
    async def landing(self, request: Request) -> Response:
        document = encode.landing(self.base(request))
        if wants_html(request):
            layers = await run_in_threadpool(self._layers)
            return self.pages.page(request, "landing.html", [("Honua", "")], document=document,
                                   title="Honua", collection_count=len(layers),
                                   process_count=len(processes_for(request,
                                                                   self.manager.registry)))
        return json_response(document)

    def _document_page(self, request: Request, document: Any, title: str) -> Response:
        return self.pages.page(request, "document.html", self.pages.crumbs((title, "")),
                               document=document, title=title)

    async def conformance(self, request: Request) -> Response:
        if wants_html(request):
            return self._document_page(request, encode.conformance(), "Conformance")
        return json_response(encode.conformance())

    async def openapi(self, request: Request) -> Response:
        if request.query_params.get("f") == "html":
            return RedirectResponse(f"{request.scope.get('root_path', '')}/api/docs",
                                    status_code=303)
        descriptions = [d.description for d in processes_for(request, self.manager.registry)]
        document = openapi_document(descriptions, self.base(request))
        if wants_html(request):
            return self._document_page(request, document, "OpenAPI definition")
        return json_response(document, media_type=encode.OPENAPI)

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
        document = {"processes": summaries, "links": links}
        if wants_html(request):
            return self.pages.page(request, "processes.html",
                                   self.pages.crumbs(("Processes", "")), document=document,
                                   title="Processes")
        return json_response(document)

    async def process(self, request: Request) -> Response:
        definition = processes_for(request, self.manager.registry).get(
            request.path_params["process_id"])
        description = definition.description
        document = encode.process_description(description, self.base(request))
        if wants_html(request):
            layers = await run_in_threadpool(self._layers)
            return self.pages.page(
                request, "process.html", self.pages.crumbs(("Processes", "/api/processes?f=html"),
                                                           (description.id, "")),
                document=document, fields=form_fields(description), layers=layers,
                modes=[mode.value for mode in description.job_control],
                title=description.title or description.id)
        return json_response(document)

    async def execute(self, request: Request) -> Response:
        definition = processes_for(request, self.manager.registry).get(
            request.path_params["process_id"])
        body = await read_body(request, self.settings.max_body_bytes)
        if b'"process"' in body:  # maybe OGC API Part 3 nested processes: run as a workflow
            document = await run_in_threadpool(load_json, body,
                                               max_depth=self.settings.json_max_depth)
            if nested.has_nested(document):
                processes = processes_for(request, self.manager.registry)
                workflow, execute = nested.nested_workflow(
                    definition.id, document,
                    lambda pid: [p.name for p in processes.get(pid).description.outputs])
                definition = await run_in_threadpool(self.manager.workflow, workflow, processes)
                body = orjson.dumps(execute)
        return await self._execute(request, definition, body)

    async def deploy(self, request: Request) -> Response:
        """OGC API - Processes Part 2 (deploy, replace, undeploy) style: a workflow document
        becomes a process; admin role only."""
        self._admin(request)
        body = await read_body(request, self.settings.max_body_bytes)
        document = await run_in_threadpool(load_json, body,
                                           max_depth=self.settings.json_max_depth)
        definition = await run_in_threadpool(self.manager.deploy, document)
        base = self.base(request)
        return json_response(encode.process_summary(definition.description, base), status=201,
                             headers={"Location": f"{base}/api/processes/{definition.id}"})

    async def undeploy(self, request: Request) -> Response:
        self._admin(request)
        process_id = request.path_params["process_id"]
        processes_for(request, self.manager.registry).get(process_id)
        await run_in_threadpool(self.manager.undeploy, process_id)
        return Response(status_code=204)

    def _admin(self, request: Request) -> None:
        if not principal_of(request).is_admin(self.settings):
            raise Forbidden("deploying and undeploying processes needs the admin role (a key "
                            "made with `honua keys create --role admin`)")

    # -- workflows ----------------------------------------------------------------------------
    async def _workflow(self, request: Request) -> tuple[Any, bytes, bool | None]:
        """The checked workflow of a ``{"workflow", "inputs", ...}`` body, the execute body
        that remains, and the ``reuse`` asked for."""
        body = await read_body(request, self.settings.max_body_bytes)
        document = await run_in_threadpool(load_json, body,
                                           max_depth=self.settings.json_max_depth)
        if not isinstance(document, dict) or not isinstance(document.get("workflow"), dict):
            raise InvalidParameter('the body must be {"workflow": {...}, "inputs": {...}}',
                                   parameter="workflow")
        reuse = document.pop("reuse", None)
        if reuse is not None and not isinstance(reuse, bool):
            raise InvalidParameter("reuse must be true or false", parameter="reuse")
        workflow = document.pop("workflow")
        definition = await run_in_threadpool(
            self.manager.workflow, workflow, processes_for(request, self.manager.registry))
        return definition, orjson.dumps(document), reuse

    async def workflow_execution(self, request: Request) -> Response:
        definition, body, reuse = await self._workflow(request)
        return await self._execute(request, definition, body, reuse=reuse)

    async def workflow_validation(self, request: Request) -> Response:
        """Check a workflow (and its inputs) without running it."""
        definition, body, _ = await self._workflow(request)
        inputs, options = decode.decode_execute(body, definition.description, None,
                                                self.base(request), self.settings.json_max_depth)
        caller = principal_of(request)
        await run_in_threadpool(partial(self.manager.prepare, definition.id, inputs, options,
                                        owner=caller.subject, tenant=caller.tenant))
        workflow = definition.workflow
        return json_response({
            "valid": True, "processID": definition.id, "steps": list(workflow.order),
            "process": encode.process_description(definition.description, self.base(request))})

    async def _execute(self, request: Request, definition: Any, body: bytes, *,
                       reuse: bool | None = None) -> Response:
        precision = DEFAULT.asking(parse_decimals(request.query_params.get("precision")))
        base = self.base(request)
        prefer = request.headers.get("prefer")
        large = len(body) > OFFLOAD_BYTES
        arguments = (body, definition.description, prefer, base, self.settings.json_max_depth)
        if large:
            inputs, options = await run_in_threadpool(decode.decode_execute, *arguments)
        else:
            inputs, options = decode.decode_execute(*arguments)
        if reuse is not None:
            options = dataclasses.replace(options, reuse=reuse)
        # big inputs and references (CQL2 parsing, catalog reads) are checked off the loop
        offload = large or any(is_reference(v) for v in _items(inputs))
        caller = principal_of(request)
        run = await start_run(self.manager, definition.id, inputs, options, offload=offload,
                              owner=caller.subject, tenant=caller.tenant)
        secret = ({SECRET_HEADER: self.secrets.secret_for(run.job.id)}
                  if options.subscriber and self.secrets is not None else {})
        if run.handed_over:  # a job to follow: asked for, or still running at the sync limit
            headers = {"Location": f"{base}/api/jobs/{run.job.id}", **secret}
            if run.plan is Plan.ASYNC:
                headers["Preference-Applied"] = "respond-async"
            return json_response(encode.status_info(run.job, base), status=201, headers=headers)
        if run.stored:  # kept with the job (by reference, chunk by chunk): answered from there
            answer = await self._job_results(run.job.id, base)
            answer.headers.append("Link", f'<{base}/api/jobs/{run.job.id}>; rel="monitor"')
            for name, value in secret.items():
                answer.headers.append(name, value)
            return answer
        assert run.outputs is not None
        headers = {"Link": f'<{base}/api/jobs/{run.job.id}>; rel="monitor"', **secret}
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
        if wants_html(request):
            return self.pages.page(request, "jobs.html", self.pages.crumbs(("Jobs", "")),
                                   document=document, title="Jobs")
        return json_response(document)

    async def job(self, request: Request) -> Response:
        job = await run_in_threadpool(self.manager.get, request.path_params["job_id"])
        if wants_html(request):
            return await self._job_page(request, job)
        info = encode.status_info(job, self.base(request))
        worker = await run_in_threadpool(self.manager.ran_on, job)
        if worker is not None:  # where it ran (a Celery worker: that worker's process)
            info["worker"] = worker
        return json_response(info)

    async def _job_page(self, request: Request, job: Any) -> Response:
        base = self.base(request)
        messages = await run_in_threadpool(self.manager.messages, job.id)
        results = []
        if job.status.value == "succeeded" and job.has_outputs:
            results = await run_in_threadpool(self._result_rows, job, base)
        return self.pages.job(request, encode.status_info(job, base), messages,
                              job.status.finished, results)

    def _result_rows(self, job: Any, base: str) -> list[dict[str, Any]]:
        """What the job page shows of each output: features as a count and a map (drawn
        from ``.../map``, never shipped whole), files as a link, other values inline."""
        description = self.manager.registry.get(job.process_id).description
        href = f"{base}/api/jobs/{job.id}/results"
        rows: list[dict[str, Any]] = []
        neutral: dict[str, Any] | None = None
        for parameter in description.outputs:
            row: dict[str, Any] = {"name": parameter.name, "type": parameter.data_type.value,
                                   "href": f"{href}/{parameter.name}"}
            if parameter.data_type in (DataType.FEATURES, DataType.GEOMETRY):
                try:
                    features, _, bounds = self.previews.features(self.manager, job.id,
                                                                 parameter.name)
                except HonuaError:
                    continue
                row.update(features=True, count=len(features), bbox=bounds,
                           map=f"/api/jobs/{job.id}/results/{parameter.name}/map")
            elif parameter.data_type is not DataType.FILE:
                if neutral is None:
                    neutral = cast(dict[str, Any], orjson.loads(self.manager.results_json(job.id)))
                if parameter.name not in neutral:
                    continue
                row["value"] = orjson.dumps(neutral[parameter.name]).decode()[:2000]
                row["href"] = ""
            rows.append(row)
        return rows

    async def result_map(self, request: Request) -> Response:
        """The part of a feature output a map draws (``web/preview.py``)."""
        body = await run_in_threadpool(view, self.previews, self.manager,
                                       request.path_params["job_id"],
                                       request.path_params["output"], request.query_params)
        return Response(body, media_type="application/geo+json")

    async def events(self, request: Request) -> Response:
        """The job live, as Server-Sent Events (``web/events.py``); an unknown job, or one
        the caller may not see, is a 404 before the stream starts."""
        job_id = request.path_params["job_id"]
        await run_in_threadpool(self.manager.get, job_id)
        base = self.base(request)

        def describe(job: Any) -> dict[str, Any]:
            info = encode.status_info(job, base)
            info.pop("links", None)
            info.pop("updated", None)  # moves with every write; the rest says what changed
            return info

        def links(job: Any) -> list[dict[str, Any]]:
            return cast(list[dict[str, Any]], encode.status_info(job, base)["links"])

        after = last_event_id(request.headers.get("last-event-id"))
        return sse_response(event_stream(self.manager, job_id, describe, links, after=after))

    async def dismiss(self, request: Request) -> Response:
        job = await run_in_threadpool(self.manager.dismiss, request.path_params["job_id"])
        return json_response(encode.status_info(job, self.base(request)))

    async def provenance(self, request: Request) -> Response:
        """The job's ledger entry as W3C PROV-JSON (a workflow's steps included)."""
        record, children = await run_in_threadpool(self.manager.provenance,
                                                   request.path_params["job_id"])
        document = prov_document(record, children=children,
                                 namespace=f"{self.base(request)}/api/")
        return json_response(document, media_type=PROV_JSON)

    async def reproduce(self, request: Request) -> Response:
        """Run the job again with its recorded inputs; say whether each output matches."""
        caller = principal_of(request)
        answer = await run_in_threadpool(partial(
            self.manager.reproduce, request.path_params["job_id"], owner=caller.subject,
            tenant=caller.tenant))
        return json_response(answer)

    async def cancel(self, request: Request) -> Response:
        """``POST /api/jobs/{id}/cancel`` (Honua's extension; Part 1 has only DELETE, which
        removes the job): stop it and keep it, as GPServer's ``cancel`` does."""
        job = await run_in_threadpool(self.manager.cancel, request.path_params["job_id"])
        return json_response(encode.status_info(job, self.base(request)))

    async def results(self, request: Request) -> Response:
        job_id = request.path_params["job_id"]
        if wants_html(request):  # a person asking for results sees them on the job's page
            job = await run_in_threadpool(self.manager.get, job_id)
            return await self._job_page(request, job)
        download = requested_download(request)
        if download is not None:  # a file of the one feature output
            job = await run_in_threadpool(self.manager.get, job_id)
            description = self.manager.registry.get(job.process_id).description
            features = [p.name for p in description.outputs if p.data_type is DataType.FEATURES]
            if len(features) != 1:
                return problem("invalid-parameter", f"f={download.key} downloads one feature "
                               "output; ask /results/{output} for the one you want")
            name = features[0]
            if download.key == "geojson":
                stored = await run_in_threadpool(self.manager.result_values, job_id)
                sent = streamed.geojson_download(_output(description, name), stored.get(name),
                                                 f"{job_id}-{name}")
                if sent is not None:
                    return sent
            values = await run_in_threadpool(self.manager.results, job_id)
            return await download_response(values.get(name), download, f"{job_id}-{name}")
        return await self._job_results(job_id, self.base(request))

    async def _job_results(self, job_id: str, base: str) -> Response:
        job = await run_in_threadpool(self.manager.get, job_id)
        wanted = list(job.options.outputs) or [
            p.name for p in self.manager.registry.get(job.process_id).description.outputs]
        if job.options.response == "raw" and len(wanted) == 1:
            from_file = await self._stored_file(job_id, wanted[0])
            if from_file is not None:
                return from_file
        definition = self.manager.registry.get(job.process_id)
        signed = await run_in_threadpool(self._signed_urls, job_id, wanted)
        href = f"{base}/api/jobs/{job_id}/results"
        stored = await run_in_threadpool(self.manager.result_values, job_id)
        sent = streamed.results_document(definition.description, job.options, stored, href,
                                         signed)
        if sent is None and job.options.response == "raw" and len(wanted) == 1 \
                and not signed and set(stored) == set(wanted) \
                and not any(spec.by_reference for spec in job.options.outputs.values()):
            sent = streamed.raw_output(_output(definition.description, wanted[0]),
                                       stored[wanted[0]])
        if sent is not None:  # the stored JSON as it is kept, never decoded here
            return sent
        outputs = await run_in_threadpool(self._stored_outputs, job_id, definition.description,
                                          signed)
        return await run_in_threadpool(results_response, definition.description, job.options,
                                       outputs, href, {}, DEFAULT, signed)

    def _signed_urls(self, job_id: str, names: list[str]) -> dict[str, str]:
        """Output name -> signed URL, for the big outputs an object store hands out."""
        return {name: url for name in names
                if (url := self.manager.result_url(job_id, name)) is not None}

    def _stored_outputs(self, job_id: str, description: Any,
                        skip: Collection[str] = ()) -> dict[str, Any]:
        """A job's outputs for the wire (but ``skip``, sent as links). They are stored as
        neutral JSON (GeoJSON for features), which the encoders take as it is: no round
        trip through shapely; only files are read back as values (their bytes go out raw)."""
        if any(p.data_type is DataType.FILE for p in description.outputs):
            return self.manager.results(job_id, skip)
        return cast(dict[str, Any], orjson.loads(self.manager.results_json(job_id, skip)))

    async def result(self, request: Request) -> Response:
        """One output of a job, raw: where outputs sent by reference point to."""
        job_id, name = request.path_params["job_id"], request.path_params["output"]
        job = await run_in_threadpool(self.manager.get, job_id)
        if wants_html(request):
            return await self._job_page(request, job)
        definition = self.manager.registry.get(job.process_id)
        if definition.description.output(name) is None:
            return problem("not-found", f"process {job.process_id!r} has no output {name!r}")
        parameter = _output(definition.description, name)
        download = requested_download(request)
        if download is not None:  # FlatGeobuf / GeoPackage (or f=geojson) of a feature output
            if download.key == "geojson":
                stored = await run_in_threadpool(self.manager.result_values, job_id)
                sent = streamed.geojson_download(parameter, stored.get(name),
                                                 f"{job_id}-{name}")
                if sent is not None:
                    return sent
            values = await run_in_threadpool(self.manager.results, job_id)
            return await download_response(values.get(name), download, f"{job_id}-{name}")
        from_file = await self._stored_file(job_id, name)
        if from_file is not None:
            return from_file
        stored = await run_in_threadpool(self.manager.result_values, job_id)
        sent = streamed.raw_output(parameter, stored.get(name))
        if sent is not None:
            return sent
        outputs = await run_in_threadpool(self._stored_outputs, job_id, definition.description)
        return await run_in_threadpool(
            results_response, definition.description, ExecutionOptions(),
            {name: outputs[name]}, "", {})

    async def _stored_file(self, job_id: str, name: str) -> Response | None:
        """An output kept as a file (a chunked run's GeoJSON), streamed as it is; a big one
        in an object store is a redirect to its signed URL (the bytes bypass this server)."""
        url = await run_in_threadpool(self.manager.result_url, job_id, name)
        if url is not None:
            return RedirectResponse(url, status_code=303)
        path = await run_in_threadpool(self.manager.result_file, job_id, name)
        if path is None:
            return None
        return FileResponse(path, media_type="application/geo+json")


def _output(description: Any, name: str) -> Any:
    """The declared output ``name`` (asked for by a route that checked it exists)."""
    parameter = description.output(name)
    assert parameter is not None, name
    return parameter


def _items(inputs: Mapping[str, Any]) -> list[Any]:
    return [item for value in inputs.values()
            for item in (value if isinstance(value, list) else [value])]


def _is_large(outputs: Mapping[str, Any]) -> bool:
    return any((hasattr(v, "geometry") and len(v) > 1000)
               or (isinstance(v, JSONText) and len(v) > OFFLOAD_BYTES) for v in outputs.values())



def _guard(handler: Handler, pages: Pages) -> Handler:
    """Turn every error into problem+json (a page for a browser); never a stack trace.
    Answers that depend on ``Accept`` say so (``Vary``), for caches."""

    async def guarded(request: Request) -> Response:
        try:
            response = await handler(request)
        except HonuaError as error:
            response = problem_from_error(error, instance=request.url.path)
        except Exception:
            import logging

            logging.getLogger(__name__).exception("unexpected error on %s", request.url.path)
            response = problem("internal", "the server hit an unexpected error; it has been "
                               "logged", instance=request.url.path)
        if response.status_code >= 400 and wants_html(request) and \
                response.media_type == "application/problem+json":
            document = orjson.loads(bytes(response.body))
            page = pages.error(request, document)
            for name in ("www-authenticate", "retry-after"):
                if name in response.headers:
                    page.headers[name] = response.headers[name]
            return page
        if request.method == "GET" and "vary" not in response.headers:
            response.headers["Vary"] = "Accept"
        return response

    return guarded


def refusal(request: Request, error: HonuaError) -> Response:
    """The answer to a request refused before it reached a handler (no or bad credentials):
    problem+json, 401 with ``WWW-Authenticate``."""
    return problem_from_error(error, instance=request.url.path)


PUBLIC_ROUTES = frozenset({
    "/api/processes", "/api/processes/{process_id}", "/api/processes/{process_id}/execution",
    "/api/jobs/{job_id}", "/api/jobs/{job_id}/events", "/api/jobs/{job_id}/results",
    "/api/jobs/{job_id}/results/{output}", "/api/jobs/{job_id}/results/{output}/map",
})
"""Routes an anonymous caller reaches on a server that refuses anonymity but has public
processes (``web.identity``): the processes (narrowed to the public ones) and the jobs it
made; never the job list, uploads or collections."""


def routes(services: Services) -> list[Route]:
    """The ``/api`` routes."""
    api = OgcApi(services.manager, services.settings, services.catalog, services.callbacks)
    table: list[tuple[str, Handler, list[str]]] = [
        ("/api", api.landing, ["GET"]),
        ("/api/", api.landing, ["GET"]),
        ("/api/conformance", api.conformance, ["GET"]),
        ("/api/openapi", api.openapi, ["GET"]),
        ("/api/processes", api.processes, ["GET"]),
        ("/api/processes", api.deploy, ["POST"]),
        ("/api/processes/{process_id}", api.process, ["GET"]),
        ("/api/processes/{process_id}/execution", api.execute, ["POST"]),
        ("/api/workflows/execution", api.workflow_execution, ["POST"]),
        ("/api/workflows/validation", api.workflow_validation, ["POST"]),
        ("/api/jobs", api.jobs, ["GET"]),
        ("/api/jobs/{job_id}", api.job, ["GET"]),
        ("/api/jobs/{job_id}/events", api.events, ["GET"]),
        ("/api/jobs/{job_id}/results", api.results, ["GET"]),
        ("/api/jobs/{job_id}/provenance", api.provenance, ["GET"]),
        ("/api/jobs/{job_id}/reproduce", api.reproduce, ["POST"]),
        ("/api/jobs/{job_id}/results/{output}", api.result, ["GET"]),
        ("/api/jobs/{job_id}/results/{output}/map", api.result_map, ["GET"]),
    ]
    collections = Collections(services.catalog, services.settings, api.pages,
                              services.manager)
    uploads = Uploads(services.uploads, services.settings, api.pages)
    table += [
        ("/api/collections", collections.collections, ["GET"]),
        ("/api/collections/{collection_id}", collections.collection, ["GET"]),
        ("/api/collections/{collection_id}/queryables", collections.queryables, ["GET"]),
        ("/api/collections/{collection_id}/items", collections.items, ["GET"]),
        ("/api/collections/{collection_id}/items/{feature_id}", collections.item, ["GET"]),
        ("/api/uploads", uploads.create, ["POST"]),
        ("/api/uploads/{upload_id}", uploads.get, ["GET"]),
    ]
    guard = partial(_guard, pages=api.pages)
    out = [Route(path, guard(handler), methods=methods) for path, handler, methods in table]
    out.append(Route("/api/jobs/{job_id}", guard(api.dismiss), methods=["DELETE"]))
    out.append(Route("/api/jobs/{job_id}/cancel", guard(api.cancel), methods=["POST"]))
    out.append(Route("/api/docs", guard(docs_page), methods=["GET"]))
    out.append(Route("/api/docs/static/{name}", guard(docs_asset), methods=["GET"]))
    out.append(Route("/api/uploads/{upload_id}", guard(uploads.delete), methods=["DELETE"]))
    out.append(Route("/api/processes/{process_id}", guard(api.undeploy), methods=["DELETE"]))
    out.append(Route("/api/collections/{collection_id}", guard(collections.delete),
                     methods=["DELETE"]))
    return out
