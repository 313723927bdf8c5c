"""Starlette routes of the WPS adapter: glue between HTTP and the job manager.

``/wps`` takes KVP (GET) and XML (POST) requests of WPS 1.0.0 and 2.0.
``/wps/status/{job}`` is a WPS 1.0.0 statusLocation and ``/wps/outputs/...``
serves outputs sent by reference; both are answered from the job store.
Every error becomes an OWS ExceptionReport in the request's version.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from honua.adapters.wps import decode, describe, encode, errors, formats, kvp, payloads
from honua.adapters.wps.errors import XML_MEDIA_TYPE, OwsException, exception_response
from honua.adapters.wps.fetch import Fetcher
from honua.adapters.wps.model import V1, V2, ExecuteRequest, Operation, OutputRequest, Reference
from honua.adapters.wps.references import internal_resources
from honua.adapters.wps.runs import Document, Prepared, Runs, output_request
from honua.adapters.wps.safexml import WPS20, parse_xml, to_bytes
from honua.core.jobs import Job
from honua.core.parameters import DataType, Parameter
from honua.core.planning import Plan, RunResult
from honua.core.tiers import shown
from honua.errors import HonuaError, NotFound, ResultNotReady
from honua.types import Services
from honua.web import splice
from honua.web.access import processes_for
from honua.web.body import public_base, read_body
from honua.web.identity import principal_of
from honua.web.json_body import OFFLOAD_BYTES
from honua.web.runs import start_run

log = logging.getLogger(__name__)
Handler = Callable[[Request], Awaitable[Response]]


def xml(element: Any, status: int = 200) -> Response:
    return Response(to_bytes(element), status_code=status, media_type=XML_MEDIA_TYPE)


def document_response(document: Document) -> Response:
    """An XML document, streamed around the stored values spliced into it when it has
    any (each in its CDATA section, as a decoded value would be)."""
    if not document.splices:
        return Response(document.body, media_type=XML_MEDIA_TYPE)
    return splice.streamed(splice.spliced(document.body, document.splices, splice.cdata_text),
                           XML_MEDIA_TYPE)


class Wps:
    def __init__(self, services: Services) -> None:
        self.manager = services.manager
        self.settings = services.settings
        fetcher = Fetcher(self.settings.reference_allow_hosts, self.settings.max_body_bytes)
        self.runs = Runs(self.manager, self.settings, internal_resources(self.manager), fetcher)

    def base(self, request: Request) -> str:
        return public_base(request, self.settings.base_url)

    # -- entry points ------------------------------------------------------------------------
    async def get(self, request: Request) -> Response:
        params = kvp.lower_keys(request.query_params.multi_items())
        request.state.wps_version = errors.version_of(params.get("version"))
        operation = kvp.parse(request.query_params.multi_items())
        request.state.wps_version = operation.version
        return await self.dispatch(operation, request)

    async def post(self, request: Request) -> Response:
        body = await read_body(request, self.settings.max_body_bytes)
        request.state.wps_version = V2 if WPS20.encode() in body[:4096] else V1
        root = (await run_in_threadpool(parse_xml, body) if len(body) > OFFLOAD_BYTES
                else parse_xml(body))
        request.state.wps_version = decode.request_version(root) or V1
        request.state.wps_large = len(body) > OFFLOAD_BYTES
        operation = decode.operation(root)
        request.state.wps_version = operation.version
        return await self.dispatch(operation, request)

    async def dispatch(self, operation: Operation, request: Request) -> Response:
        handlers = {"GetCapabilities": self.capabilities, "DescribeProcess": self.describe,
                    "Execute": self.execute, "GetStatus": self.get_status,
                    "GetResult": self.get_result, "Dismiss": self.dismiss}
        return await handlers[operation.request](operation, request)

    # -- discovery ---------------------------------------------------------------------------
    async def capabilities(self, operation: Operation, request: Request) -> Response:
        descriptions = [d.description for d in processes_for(request, self.manager.registry)]
        return xml(describe.capabilities(descriptions, operation.version, self.base(request)))

    async def describe(self, operation: Operation, request: Request) -> Response:
        registry = processes_for(request, self.manager.registry)
        if any(i.lower() == "all" for i in operation.identifiers):
            descriptions = [d.description for d in registry]
        else:  # each process once, and few enough that the answer stays small
            identifiers = list(dict.fromkeys(operation.identifiers))
            limit = self.settings.describe_max_identifiers
            if len(identifiers) > limit:
                raise OwsException("InvalidParameterValue", f"a DescribeProcess request names "
                                   f"{len(identifiers)} processes; at most {limit} are answered "
                                   "at once (or ask for identifier=all)", locator="identifier")
            descriptions = [registry.get(i).description for i in identifiers]
        document = await run_in_threadpool(describe.process_descriptions, descriptions,
                                           operation.version, self.settings.max_body_mb)
        return xml(document)

    # -- execution ---------------------------------------------------------------------------
    async def execute(self, operation: Operation, request: Request) -> Response:
        execute = operation.execute
        assert execute is not None
        base = self.base(request)
        processes = processes_for(request, self.manager.registry)
        processes.get(execute.process_id)  # hidden = unknown
        blocking = getattr(request.state, "wps_large", False) or any(
            isinstance(i.value, Reference) for i in execute.inputs)  # fetches, chains, big inputs
        caller = principal_of(request)
        prepare = partial(self.runs.prepare, execute, base, processes=processes,
                          owner=caller.subject, tenant=caller.tenant)
        prepared = await run_in_threadpool(prepare) if blocking else prepare()
        run = await start_run(self.manager, prepared.definition.id, prepared.inputs,
                              prepared.options, offload=blocking, owner=caller.subject,
                              tenant=caller.tenant)
        if run.plan is not Plan.SYNC:  # a job: queued, or stored and waited for
            return await run_in_threadpool(self._job_answer, run.job, execute, base)
        if blocking or _is_large(run.outputs or {}):
            return await run_in_threadpool(self._sync_answer, execute, prepared, run, base)
        return self._sync_answer(execute, prepared, run, base)

    def _sync_answer(self, execute: ExecuteRequest, prepared: Prepared, run: RunResult,
                     base: str) -> Response:
        description = prepared.definition.description
        values = self.runs.output_values(description, run.outputs or {}, prepared.options, base,
                                         None)
        if execute.raw:
            return _raw(values)
        if execute.version == V2:
            return xml(encode.result(values))
        state = encode.State(encode.SUCCEEDED, f"{run.job.message} (tier {shown(run.job.tier)})",
                             100, run.job.finished)
        return xml(encode.execute_response(
            description, state, values, service_instance=_service(base),
            lineage=prepared.options.hints.get("lineage"), requested=execute.outputs))

    def _job_answer(self, job: Job, execute: ExecuteRequest, base: str) -> Response:
        if execute.version == V1:
            return document_response(self.runs.status_document(job, base,
                                                               location=execute.store))
        if not job.status.finished:
            return xml(encode.status_info(job.id, encode.state_of(job), expires=job.expires,
                                          next_poll=self.runs.next_poll()))
        return self._results(job, base)

    def _results(self, job: Job, base: str) -> Response:
        if not job.status.finished:
            raise ResultNotReady(f"job {job.id} is {job.status.value}; ask again after GetStatus "
                                 "reports Succeeded")
        _, values, splices = self.runs.result_values(job, base)
        if job.options.response == "raw" and job.options.hints.get("wps"):  # asked raw over WPS
            if len(values) == 1 and len(splices) == 1 and values[0].rendered is not None:
                (value,) = splices.values()  # a big GeoJSON output: its bytes as stored
                return splice.streamed(value.chunks(), values[0].rendered.mime_type,
                                       value.size)
            return _raw(values)
        return document_response(Document(to_bytes(encode.result(
            values, job_id=job.id, expires=job.expires)), splices))

    # -- jobs (WPS 2.0) ----------------------------------------------------------------------
    async def get_status(self, operation: Operation, request: Request) -> Response:
        job = await run_in_threadpool(self.manager.get, operation.job_id)
        return xml(encode.status_info(job.id, encode.state_of(job), expires=job.expires,
                                      next_poll=self.runs.next_poll()))

    async def get_result(self, operation: Operation, request: Request) -> Response:
        job = await run_in_threadpool(self.manager.get, operation.job_id)
        return await run_in_threadpool(self._results, job, self.base(request))

    async def dismiss(self, operation: Operation, request: Request) -> Response:
        job = await run_in_threadpool(self.manager.dismiss, operation.job_id)
        return xml(encode.status_info(job.id, encode.state_of(job)))

    # -- stored documents (WPS 1.0.0 statusLocation, outputs by reference) -------------------
    async def status(self, request: Request) -> Response:
        job = await run_in_threadpool(self.manager.get, request.path_params["job_id"])
        document = await run_in_threadpool(self.runs.status_document, job, self.base(request))
        return document_response(document)

    async def output(self, request: Request) -> Response:
        job_id, name = request.path_params["job_id"], request.path_params["output"]
        index = int(request.path_params.get("index", 0))
        job = await run_in_threadpool(self.manager.get, job_id)
        description = self.manager.registry.get(job.process_id).description
        parameter = description.output(name)
        spec = output_request(name, job.options.output(name))
        fmt = _geojson(parameter, spec) if index == 0 else None
        if fmt is not None:
            stored = (await run_in_threadpool(self.manager.result_values, job_id)).get(name)
            if stored is not None and stored.size > len(b"null"):  # GeoJSON as it is kept
                return splice.streamed(stored.chunks(), fmt.mime_type, stored.size)
        outputs = await run_in_threadpool(self.manager.results, job_id)
        value = outputs.get(name)
        items = value if isinstance(value, list) else [value]
        if parameter is None or value is None or index >= len(items):
            raise NotFound(f"job {job_id} has no output {name!r}")
        rendered = await run_in_threadpool(payloads.render, parameter, items[index], spec)
        return Response(rendered.body, media_type=rendered.mime_type)

    async def not_allowed(self, request: Request) -> Response:
        raise OwsException("OperationNotSupported", f"{request.method} is not allowed here; use "
                           "GET (KVP) or POST (XML)", locator=request.method, status=405)


def _raw(values: list[encode.OutputValue]) -> Response:
    if len(values) != 1 or values[0].rendered is None:
        raise OwsException("InvalidParameterValue", "a raw response holds exactly one output value",
                           locator="RawDataOutput", code2="TooManyOutputs")
    rendered = values[0].rendered
    return Response(rendered.body, media_type=rendered.mime_type)


def _geojson(parameter: Parameter | None, spec: OutputRequest) -> formats.Format | None:
    """The GeoJSON format ``spec`` asks of a single feature/geometry output (whose stored
    JSON is what it renders), else None."""
    if parameter is None or parameter.multiple or parameter.data_type not in (
            DataType.FEATURES, DataType.GEOMETRY):
        return None
    fmt = formats.choose(parameter.data_type, spec.mime_type, spec.schema, output=True,
                         name=parameter.name)
    return fmt if fmt.codec == "geojson" else None


def _is_large(outputs: Mapping[str, Any]) -> bool:
    """Outputs worth rendering off the event loop."""
    return any(len(v) > 1000 if hasattr(v, "geometry") else not isinstance(v, int | float | str)
               for v in outputs.values())


def _service(base: str) -> str:
    return f"{base}/wps?service=WPS&request=GetCapabilities"


def _guard(handler: Handler, *, resource: bool = False) -> Handler:
    """Every error as an ExceptionReport in the request's WPS version; never a stack trace."""

    async def guarded(request: Request) -> Response:
        try:
            response = await handler(request)
        except HonuaError as error:
            version = getattr(request.state, "wps_version", V1)
            status = 404 if resource and error.kind in ("no-such-job", "not-found") else None
            response = exception_response(error, version, status=status)
            if isinstance(error, OwsException) and error.status == 405:
                response.headers["Allow"] = "GET, POST"
        except Exception:
            log.exception("unexpected error on %s", request.url.path)
            response = errors.internal_error_response(getattr(request.state, "wps_version", V1))
        return response

    return guarded


def refusal(request: Request, error: HonuaError) -> Response:
    """The answer to a request refused before it reached a handler (no or bad credentials):
    an ExceptionReport, 401 with ``WWW-Authenticate``, in the version the request names."""
    params = {k.lower(): v for k, v in request.query_params.items()}
    version = params.get("version") or params.get("acceptversions", "").split(",")[0]
    return exception_response(error, errors.version_of(version))


PUBLIC_ROUTES = frozenset({"/wps", "/wps/status/{job_id}", "/wps/outputs/{job_id}/{output}",
                           "/wps/outputs/{job_id}/{output}/{index:int}"})
"""Routes an anonymous caller reaches on a server that refuses anonymity but has public
processes (``web.identity``): every WPS operation (GetCapabilities, DescribeProcess and
Execute narrowed to the public processes; the status and results of its own jobs)."""


def routes(services: Services) -> list[Route]:
    """The ``/wps`` routes."""
    wps = Wps(services)
    other = ["PUT", "DELETE", "PATCH"]
    return [
        Route("/wps", _guard(wps.get), methods=["GET"]),
        Route("/wps", _guard(wps.post), methods=["POST"]),
        Route("/wps", _guard(wps.not_allowed), methods=other),
        Route("/wps/status/{job_id}", _guard(wps.status, resource=True), methods=["GET"]),
        Route("/wps/outputs/{job_id}/{output}", _guard(wps.output, resource=True), methods=["GET"]),
        Route("/wps/outputs/{job_id}/{output}/{index:int}", _guard(wps.output, resource=True),
              methods=["GET"]),
    ]
