"""Starlette routes of the GPServer REST API: glue between HTTP and the job manager.

Every resource answers GET and POST (query string or form-encoded body) and
``OPTIONS`` preflights; a service may sit in a folder, so each route exists
with and without the ``{folder}`` segment.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from honua.adapters.gpserver import catalog as gpcatalog
from honua.adapters.gpserver import decode, encode, form, gptypes, streamed_featureset
from honua.adapters.gpserver.call import Call
from honua.adapters.gpserver.catalog import Service, Task
from honua.adapters.gpserver.errors import from_error
from honua.adapters.gpserver.examples import examples
from honua.adapters.gpserver.html import Pages
from honua.adapters.gpserver.responses import (
    JSON,
    JSONP,
    error_response,
    json_response,
    jsonp_callback,
)
from honua.adapters.gpserver.tokens import TOKENS_PATH, TokenService
from honua.adapters.gpserver.uploads import UploadResources, open_uploads
from honua.core.access import needs_credentials
from honua.core.description import ProcessDefinition
from honua.core.esri_outputs import EsriFeatures, answered
from honua.core.jobs import Job, JobStatus
from honua.core.json_text import JSONText
from honua.core.parameters import DataType, Parameter
from honua.core.planning import RunResult
from honua.core.references import is_reference
from honua.core.requests import ExecutionOptions, Mode
from honua.core.stored_outputs import StoredValue
from honua.core.values import File, Geometry
from honua.errors import (
    Busy,
    Conflict,
    HonuaError,
    InvalidParameter,
    JobFailed,
    ModeNotAllowed,
    NotFound,
    NotSupported,
)
from honua.geo.features import FeatureCollection
from honua.geo.precision import DEFAULT, rounded
from honua.geo.reproject import to_crs
from honua.types import Services
from honua.web import geojson_stream, splice
from honua.web.access import processes_for
from honua.web.body import public_base, read_body
from honua.web.downloads import FORMATS, download_response, layer_name
from honua.web.events import event_stream, last_event_id, sse_response
from honua.web.identity import principal_of
from honua.web.json_body import OFFLOAD_BYTES
from honua.web.preview import PreviewCache, view
from honua.web.runs import start_run

log = logging.getLogger(__name__)
FORM = "application/x-www-form-urlencoded"


Handler = Callable[[Call], Awaitable[Response]]


class GPServer:
    def __init__(self, services: Services) -> None:
        self.manager = services.manager
        self.settings = services.settings
        self.registry = services.registry
        self._catalog = gpcatalog.build(self.settings.gp_services, self.registry,
                                        self.settings.gp_maximum_records)
        self._generation = self.registry.generation
        self.pages = Pages()
        self.uploads = UploadResources(open_uploads(services), self.pages)
        self.tokens = TokenService(services.authenticator)
        self.layer_catalog = services.catalog
        self.previews = PreviewCache()

    # -- locating ---------------------------------------------------------------------------
    @property
    def catalog(self) -> gpcatalog.Catalog:
        """The GP services, rebuilt when workflows were deployed or undeployed meanwhile."""
        if self._generation != self.registry.generation:
            self._generation = self.registry.generation
            self._catalog = gpcatalog.build(self.settings.gp_services, self.registry,
                                            self.settings.gp_maximum_records)
        return self._catalog

    def service(self, call: Call) -> Service:
        """The service with only the tasks the caller may use (the others are absent)."""
        service = self.catalog.service(call.path("folder"), call.path("service"))
        visible = processes_for(call.request, self.registry)
        return dataclasses.replace(service, tasks={
            name: task for name, task in service.tasks.items() if task.process_id in visible})

    def task(self, call: Call) -> tuple[Service, Task, ProcessDefinition]:
        service = self.service(call)
        try:
            task = service.task(call.path("task"))
        except NotFound:  # an anonymous caller let in for the public tasks: the others need a token
            if principal_of(call.request).public_only:
                raise needs_credentials(call.path("task")) from None
            raise
        return service, task, self.registry.get(task.process_id)

    def service_url(self, call: Call, service: Service) -> str:
        return f"{call.root}/{service.path}/GPServer"

    def crumbs(self, call: Call, service: Service | None = None, task: Task | None = None,
               job: str | None = None) -> list[tuple[str, str]]:
        crumbs = [("Home", f"{call.root}?f=html")]
        if service is not None:
            if service.folder:
                crumbs.append((service.folder, f"{call.root}/{service.folder}?f=html"))
            crumbs.append((f"{service.name} (GPServer)",
                           f"{self.service_url(call, service)}?f=html"))
        if service is not None and task is not None:
            task_url = f"{self.service_url(call, service)}/{task.name}"
            crumbs.append((task.name, f"{task_url}?f=html"))
            if job:
                crumbs.append((job, f"{task_url}/jobs/{job}?f=html"))
        return crumbs

    def answer(self, call: Call, document: Any, template: str, crumbs: list[tuple[str, str]],
               **context: Any) -> Response:
        if call.f == "html":
            return HTMLResponse(self.pages.render(template, call.request, crumbs,
                                                  document=document, **context))
        return json_response(document, call.f, call.params)

    # -- catalog ----------------------------------------------------------------------------
    async def nowhere(self, call: Call) -> Response:
        raise NotFound(f"there is no GPServer resource at {call.request.url.path}; start at "
                       f"{call.root}")

    async def info(self, call: Call) -> Response:
        document = encode.info(await self.tokens.auth_info(call.base))
        return self.answer(call, document, "info.html", self.crumbs(call), root=call.root)

    async def services(self, call: Call) -> Response:
        folder = call.path("folder")
        if folder and folder not in self.catalog.folders and any(
                s.name == folder for s in self.catalog.services_in("")):
            raise NotFound(f"{folder!r} is a GP service, not a folder: its URL is "
                               f"{call.root}/{folder}/GPServer")
        document = encode.catalog(self.catalog, folder)
        crumbs = self.crumbs(call) + ([(folder, f"{call.root}/{folder}?f=html")] if folder else [])
        return self.answer(call, document, "catalog.html", crumbs, folder=folder, root=call.root)

    async def gp_service(self, call: Call) -> Response:
        service = self.service(call)
        document = encode.service(service, uploads=self.uploads.enabled)
        return self.answer(call, document, "service.html", self.crumbs(call, service),
                           service=service, service_url=self.service_url(call, service))

    async def gp_task(self, call: Call) -> Response:
        service, task, definition = self.task(call)
        description = definition.description
        return self.answer(call, encode.task(task, description), "task.html",
                           self.crumbs(call, service, task),
                           task_url=f"{self.service_url(call, service)}/{task.name}",
                           # ArcGIS offers the one operation of the task's execution type
                           allows_sync=description.allows_sync and task.mode == "sync",
                           allows_async=description.allows_async and task.mode == "async")

    # -- running ----------------------------------------------------------------------------
    def _operation_page(self, call: Call, service: Service, task: Task,
                        definition: ProcessDefinition, operation: str,
                        results: list[Any] | None = None, messages: Any = None) -> Response:
        document = encode.task(task, definition.description)
        inputs = [p for p in document["parameters"] if p["direction"] == encode.INPUT]
        title = "Execute Task" if operation == "execute" else "Submit Job"
        layers = [layer.id for layer in self.layer_catalog.list()][:50]
        hints = examples(inputs, call.base, layers, self.uploads.enabled,
                              f"{self.service_url(call, service)}/uploads")
        values = {**{name: h["example"] for name, h in hints.items() if h["example"]},
                  **call.params} if results is None else call.params
        html = self.pages.render(
            "operation.html", call.request, self.crumbs(call, service, task), document=document,
            task=task, parameters=inputs, operation_title=title, values=values, hints=hints,
            action=f"{self.service_url(call, service)}/{task.name}/{operation}",
            results=results, messages=messages or [])
        return HTMLResponse(html)

    @staticmethod
    def _is_form_view(call: Call) -> bool:
        """A browser opening the operation (nothing but ``f``): show its form."""
        return call.f == "html" and call.request.method == "GET" and set(call.params) <= {"f"}

    async def _inputs(self, call: Call, definition: ProcessDefinition,
                      env: decode.Environment) -> dict[str, Any]:
        size = sum(len(v) for v in call.params.values())
        args = (definition.description, call.params, env, self.uploads.source_for(call),
                call.base)
        if size > OFFLOAD_BYTES:
            inputs = await run_in_threadpool(decode.read_inputs, *args)
        else:
            inputs = decode.read_inputs(*args)
        for name, value in inputs.items():
            if decode.needs_features(value, env):
                inputs[name] = await run_in_threadpool(self._read_references, call, name, value,
                                                       env)
        return inputs

    def _read_references(self, call: Call, name: str, value: Any,
                         env: decode.Environment) -> Any:
        """Referenced features read by the core now, so that processSR/extent apply to them."""
        layers = self.manager.layers
        if layers is None:
            raise NotSupported(f"input {name!r}: this server has no catalog or uploads to read")
        items = value if isinstance(value, list) else [value]
        caller = principal_of(call.request)
        try:
            read = [layers.read(v, caller.subject, caller.tenant) if is_reference(v) else v
                    for v in items]
        except NotFound as exc:
            raise InvalidParameter(f"input {name!r}: {exc.message}", parameter=name) from None
        return decode.apply_environment(read if isinstance(value, list) else read[0], env)

    async def execute(self, call: Call) -> Response:
        service, task, definition = self.task(call)
        if self._is_form_view(call):
            return self._operation_page(call, service, task, definition, "execute")
        env = decode.environment(call.params)
        inputs = await self._inputs(call, definition, env)
        options = decode.options(Mode.SYNC, env, service.path, task.name,
                                 decode.registered_outputs(call.params, definition.description),
                                 call.params)
        options = dataclasses.replace(options, esri=env.encoding(service.maximum_records))
        run = await self._run(call, task, definition, inputs, options)
        outputs = run.require_outputs()
        if any(isinstance(v, JSONText) for v in outputs.values()):  # written by the worker
            outputs = await run_in_threadpool(_answered, definition, outputs)
        document = await run_in_threadpool(
            encode.execute, task, definition.description, outputs, run.messages, env,
            service.maximum_records, _inline_files(outputs))
        over = encode.over_limit(task, definition.description, outputs, service.maximum_records)
        if over:
            if not run.stored:  # a synchronous run keeps its outputs only when linked to
                await run_in_threadpool(self.manager.keep_results, run.job.id, {
                    name: value.whole if isinstance(value, EsriFeatures) else value
                    for name, value in outputs.items()})
            job_url = f"{self.service_url(call, service)}/{task.name}/jobs/{run.job.id}"
            document["messages"].extend(
                encode.limit_warning(name, count, service.maximum_records,
                                     f"{job_url}/results/{name}/data")
                for name, count in over.items())
        if call.f == "html":
            document = orjson.loads(orjson.dumps(document))  # the worker's text as values
            return self._operation_page(call, service, task, definition, "execute",
                                        document["results"], document["messages"])
        return json_response(document, call.f, call.params)

    async def submit_job(self, call: Call) -> Response:
        service, task, definition = self.task(call)
        if self._is_form_view(call):
            return self._operation_page(call, service, task, definition, "submitJob")
        env = decode.environment(call.params)
        inputs = await self._inputs(call, definition, env)
        options = decode.options(Mode.ASYNC, env, service.path, task.name,
                                 decode.registered_outputs(call.params, definition.description),
                                 call.params)
        job = (await self._run(call, task, definition, inputs, options)).job
        if call.f == "html":
            url = f"{self.service_url(call, service)}/{task.name}/jobs/{job.id}?f=html"
            return RedirectResponse(url, status_code=303)
        return json_response(encode.job(job, task, definition.description, []), call.f,
                             call.params)

    async def _run(self, call: Call, task: Task, definition: ProcessDefinition,
                   inputs: dict[str, Any], options: ExecutionOptions) -> RunResult:
        caller = principal_of(call.request)
        try:
            offload = any(is_reference(v) for value in inputs.values()
                          for v in (value if isinstance(value, list) else [value]))
            return await start_run(self.manager, definition.id, inputs, options,
                                   offload=offload or _big(inputs),
                                   owner=caller.subject, tenant=caller.tenant)
        except ModeNotAllowed as exc:  # say which operation the task does take
            other = ("submitJob, then poll jobs/<jobId>" if exc.mode == "sync" else "execute")
            raise NotSupported(f"task {task.name!r} {_MODE_WORDS[exc.mode]}: call {other}"
                               ) from None

    # -- jobs -------------------------------------------------------------------------------
    async def _job(self, call: Call) -> tuple[Service, Task, ProcessDefinition, Job]:
        service, task, definition = self.task(call)
        job_id = call.path("job_id")
        job = await run_in_threadpool(self.manager.get, job_id)
        if job.process_id != task.process_id:
            raise NotFound(f"task {task.name!r} has no job {job_id!r}")
        return service, task, definition, job

    def _job_answer(self, call: Call, service: Service, task: Task,
                    definition: ProcessDefinition, job: Job, messages: Any) -> Response:
        document = encode.job(job, task, definition.description, messages)
        job_url = f"{self.service_url(call, service)}/{task.name}/jobs/{job.id}"
        maps = []
        if call.f == "html" and job.status is JobStatus.SUCCEEDED and job.has_outputs:
            maps = self._result_maps(task, definition, job, job_url)
        return self.answer(call, document, "job.html", self.crumbs(call, service, task, job.id),
                           job_url=job_url, cancellable=not job.status.finished
                           and job.status is not JobStatus.CANCELLING, maps=maps,
                           finished=job.status.finished, percent=job.progress,
                           status_message=job.message, live_messages=[
                               {"time": m.time.isoformat(), "level": m.level.value,
                                "text": m.text} for m in messages])

    def _result_maps(self, task: Task, definition: ProcessDefinition, job: Job,
                     job_url: str) -> list[dict[str, Any]]:
        """The feature outputs of a job, for its page: a count and a map drawn from a
        limited, simplified view (``web/preview.py``), never the whole result."""
        out = []
        for parameter in definition.description.outputs:
            try:
                features, _, bounds = self.previews.features(self.manager, job.id,
                                                             parameter.name)
            except HonuaError:
                continue
            name = task.output_name(parameter.name)
            out.append({"name": name, "count": len(features), "bbox": bounds,
                        "url": f"{job_url}/results/{name}/map"})
        return out

    async def job_events(self, call: Call) -> Response:
        """The job live as Server-Sent Events (its page follows it with this)."""
        service, task, definition, job = await self._job(call)

        def describe(current: Job) -> dict[str, Any]:
            document = encode.job(current, task, definition.description, [])
            progress = document.get("progress") or {}
            return {"jobId": current.id, "jobStatus": document["jobStatus"],
                    "progress": {"percent": current.progress,
                                 "message": progress.get("message", current.message)},
                    "message": current.message}

        def links(current: Job) -> list[dict[str, Any]]:
            return [{"href": f"{self.service_url(call, service)}/{task.name}/jobs/{current.id}",
                     "rel": "self"}]

        after = last_event_id(call.request.headers.get("last-event-id"))
        return sse_response(event_stream(self.manager, job.id, describe, links, after=after))

    async def result_map(self, call: Call) -> Response:
        """The part of a feature result a map draws (bbox, limit, tolerance)."""
        _, task, _, job = await self._job(call)
        name = call.path("param")
        if name not in task.outputs:
            raise NotFound(f"task {task.name!r} has no output parameter {name!r}")
        body = await run_in_threadpool(view, self.previews, self.manager, job.id,
                                       task.outputs[name], call.params)
        return Response(body, media_type="application/geo+json")

    async def job(self, call: Call) -> Response:
        service, task, definition, job = await self._job(call)
        messages = []
        if decode.flag(call.params, "returnMessages", True):
            messages = await run_in_threadpool(self.manager.messages, job.id)
        return self._job_answer(call, service, task, definition, job, messages)

    async def cancel(self, call: Call) -> Response:
        service, task, definition, job = await self._job(call)
        if job.status.finished and job.status is not JobStatus.CANCELLED:
            raise Conflict(f"job {job.id} has already ended ({encode.JOB_STATUS[job.status]}); "
                           "only a submitted, waiting or executing job can be cancelled")
        job = await run_in_threadpool(self.manager.cancel, job.id)
        messages = await run_in_threadpool(self.manager.messages, job.id)
        return self._job_answer(call, service, task, definition, job, messages)

    async def delete(self, call: Call) -> Response:
        if call.request.method != "POST":
            raise NotSupported("delete changes the server: send it as a POST request")
        _, _, _, job = await self._job(call)
        await run_in_threadpool(self.manager.dismiss, job.id)
        return json_response({"success": True, "jobId": job.id,
                              "jobStatus": encode.JOB_STATUS[JobStatus.DISMISSED]},
                             "json" if call.f == "html" else call.f, call.params)

    async def result(self, call: Call) -> Response:
        service, task, definition, job = await self._job(call)
        name = call.path("param")
        if name not in task.outputs:
            raise NotFound(f"task {task.name!r} has no output parameter {name!r}; its outputs "
                           f"are: {', '.join(task.outputs)}")
        core = task.outputs[name]
        param = definition.description.output(core)
        assert param is not None, core  # the task's outputs are its process's
        env = decode.stored_environment(job.options.hints.get("gpserver", {}), call.params)
        if call.f == "geojson" and param.data_type in (DataType.FEATURES, DataType.GEOMETRY) \
                and not param.multiple:
            from_store = await self._stored_geojson(job, core, f"{job.id}-{name}", env)
            if from_store is not None:
                return from_store
        if call.f == "json" and param.data_type is DataType.FEATURES and not param.multiple:
            streamed = await self._streamed_featureset(call, service, task, job, core, param,
                                                       env)
            if streamed is not None:
                return streamed
        try:
            outputs = await run_in_threadpool(self.manager.results, job.id)
        except JobFailed:
            raise Conflict(f"job {job.id} ended {encode.JOB_STATUS[job.status]}; it has no "
                           "results (see its messages)") from None
        if param.data_type is DataType.FILE and call.f not in decode.FILE_FORMATS:
            try:
                url = await run_in_threadpool(self.manager.result_url, job.id, core)
            except JobFailed:
                raise Conflict(f"job {job.id} ended {encode.JOB_STATUS[job.status]}; it has no "
                               "results (see its messages)") from None
            if url is not None:  # a big file in an object store: its signed URL is the value
                signed: dict[str, Any] = {"paramName": name, "value": {"url": url},
                                          "dataType": gptypes.data_type(param)}
                return self.answer(call, signed, "param.html",
                                   self.crumbs(call, service, task, job.id), kind="Result")
        if call.f in decode.FILE_FORMATS:  # the feature result as a file, as ArcGIS offers
            return await self._file(outputs.get(core), env, f"{job.id}-{name}", call.f)
        job_url = f"{self.service_url(call, service)}/{task.name}/jobs/{job.id}"
        document = await run_in_threadpool(
            encode.result, param, outputs.get(core), env, service.maximum_records,
            lambda n: f"{job_url}/results/{n}/data", name)
        over = encode.over_limit(task, definition.description, {core: outputs.get(core)},
                                 service.maximum_records)
        if name in over:
            document["messages"] = [encode.limit_warning(
                name, over[name], service.maximum_records, f"{job_url}/results/{name}/data")]
        return self.answer(call, document, "param.html",
                           self.crumbs(call, service, task, job.id), kind="Result",
                           map_url=f"{job_url}/results/{name}/map"
                           if param.data_type is DataType.FEATURES else None)

    async def _stored_value(self, job: Job, core: str) -> StoredValue | None:
        """Output ``core`` of the job as its stored JSON in chunks; None for a file output
        or a job without results (the usual answer says why)."""
        try:
            return (await run_in_threadpool(self.manager.result_values, job.id)).get(core)
        except JobFailed:
            return None

    async def _streamed_featureset(self, call: Call, service: Service, task: Task, job: Job,
                                   core: str, param: Parameter, env: decode.Environment
                                   ) -> Response | None:
        """A feature result as its GP result document, written batch by batch from the
        stored GeoJSON (``streamed_featureset``); None where the whole way answers."""
        stored = await self._stored_value(job, core)
        if stored is None:
            return None
        limit = service.maximum_records
        prepared = await run_in_threadpool(streamed_featureset.prepare, stored, param,
                                           env.encoding(limit))
        if prepared is None:
            return None
        name = call.path("param")
        messages = None
        if prepared.count > limit:
            data_url = (f"{self.service_url(call, service)}/{task.name}/jobs/{job.id}/results/"
                        f"{name}/data")
            messages = [encode.limit_warning(name, prepared.count, limit, data_url)]
        callback = jsonp_callback(call.params)
        return splice.streamed(
            streamed_featureset.chunks(prepared, name, gptypes.data_type(param), messages,
                                       callback),
            JSONP if callback else JSON)

    async def _stored_geojson(self, job: Job, core: str, name: str,
                              env: decode.Environment) -> Response | None:
        """A feature result as GeoJSON from its stored form, in chunks: as it is kept when
        no ``outSR`` or ``geometryPrecision`` is asked, else converted batch by batch
        (``web.geojson_stream``); never decoded whole. None for a file output."""
        if env.out_sr is None and env.precision is None:
            return await self._stored_file(job, core, name)
        stored = await self._stored_value(job, core)
        if stored is None:
            return None
        return splice.streamed(
            geojson_stream.converted(stored, env.out_sr, DEFAULT.asking(env.precision)),
            FORMATS["geojson"].media_type,
            headers={"Content-Disposition": f'attachment; filename="{layer_name(name)}.geojson"'})

    async def _stored_file(self, job: Job, core: str, name: str) -> Response | None:
        """A feature result as the GeoJSON it is kept as, sent in chunks as it is (already
        at the default precision, in the job's own CRS), never read whole into the server:
        a chunked run's file, or a value's stored JSON. None for a file output."""
        try:
            path = await run_in_threadpool(self.manager.result_file, job.id, core)
        except JobFailed:
            return None  # the usual answer says why
        if path is not None:
            return FileResponse(path, media_type=FORMATS["geojson"].media_type,
                                filename=f"{name}.geojson")
        stored = await self._stored_value(job, core)
        if stored is None:
            return None
        # a value: the GeoJSON the worker wrote (default precision, the job's CRS), as kept
        return splice.streamed(stored.chunks(), FORMATS["geojson"].media_type, stored.size, {
            "Content-Disposition": f'attachment; filename="{layer_name(name)}.geojson"'})

    async def _file(self, value: Any, env: decode.Environment, name: str,
                    key: str) -> Response:
        if isinstance(value, Geometry):
            value = FeatureCollection.from_geometries([value.shape], crs=value.crs)
        if not isinstance(value, FeatureCollection):
            raise InvalidParameter(f"f={key} is offered for feature results only; use f=json",
                                   parameter="f")
        if env.out_sr is not None:
            value = await run_in_threadpool(to_crs, value, env.out_sr)
        download = FORMATS[key]
        return await download_response(
            rounded(value, DEFAULT.asking(env.precision)), download, name)

    async def result_data(self, call: Call) -> Response:
        """The bytes of a data-file output (its ``url`` points here), or the whole of a
        feature output, whatever ``maximumRecords`` says (the limit's warning links here)."""
        _, task, definition, job = await self._job(call)
        name = call.path("param")
        core = task.outputs.get(name, "")
        param = definition.description.output(core)
        if param is not None and param.data_type is DataType.FILE:
            try:
                url = await run_in_threadpool(self.manager.result_url, job.id, core)
            except JobFailed:
                url = None  # answered below, as for any output
            if url is not None:  # the bytes come from the object store, not through here
                return RedirectResponse(url, status_code=302)
        try:
            outputs = await run_in_threadpool(self.manager.results, job.id)
        except JobFailed:
            raise Conflict(f"job {job.id} ended {encode.JOB_STATUS[job.status]}; it has no "
                           "results (see its messages)") from None
        value = outputs.get(core)
        if param is not None and isinstance(value, FeatureCollection | list):
            env = decode.stored_environment(job.options.hints.get("gpserver", {}), call.params)
            document = await run_in_threadpool(encode.result, param, value, env, sys.maxsize,
                                               lambda n: "", name)
            return json_response(document, "json" if call.f == "html" else call.f, call.params,
                                 headers={"Content-Disposition":
                                          f'attachment; filename="{name}.json"'})
        if not isinstance(value, File):
            raise NotFound(f"output {name!r} of job {job.id} is not a file")
        return Response(value.read(), media_type=value.media_type, headers={
            "Content-Disposition": f'attachment; filename="{value.name}"'})

    async def job_input(self, call: Call) -> Response:
        service, task, definition, job = await self._job(call)
        name = call.path("param")
        param = definition.description.input(name)
        if param is None:
            raise NotFound(f"task {task.name!r} has no input parameter {name!r}; its inputs are: "
                           f"{', '.join(p.name for p in definition.description.inputs)}")
        inputs = await run_in_threadpool(self.manager.inputs, job.id)
        document = await run_in_threadpool(
            encode.result, param, inputs.get(name), decode.Environment(), service.maximum_records,
            lambda n: "")
        return self.answer(call, document, "param.html",
                           self.crumbs(call, service, task, job.id), kind="Input")

    # -- uploads ----------------------------------------------------------------------------
    async def gp_uploads(self, call: Call) -> Response:
        service = self.service(call)
        url = f"{self.service_url(call, service)}/uploads"
        return await self.uploads.dispatch(call, url, self.crumbs(call, service))


_MODE_WORDS = {"sync": "runs only as a job", "async": "runs only synchronously"}


def _big(inputs: Mapping[str, Any]) -> bool:
    """Inputs whose checking (or encoding, for text) is worth doing on the thread pool."""
    return any((hasattr(v, "geometry") and len(v) > 1000) or isinstance(v, JSONText)
               for v in inputs.values())


def _answered(definition: ProcessDefinition, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs the worker sent as JSON text: feature sets it wrote as Esri JSON stay text
    (``EsriFeatures``), answered as they are; the rest are read back as values."""
    out = dict(outputs)
    for parameter in definition.description.outputs:
        value = out.get(parameter.name)
        if isinstance(value, JSONText):
            out[parameter.name] = answered(parameter, value)
    return out


def _inline_files(outputs: Mapping[str, Any]) -> Callable[[str], str]:
    """Files of a synchronous run are not kept: their ``url`` carries the bytes (data: URL)."""

    def url(name: str) -> str:
        value = outputs.get(name)
        if isinstance(value, File):
            data = base64.b64encode(value.read()).decode("ascii")
            return f"data:{value.media_type};base64,{data}"
        return ""

    return url


async def _params(request: Request, limit: int) -> dict[str, str]:
    body: list[tuple[str, str]] = []
    if request.method == "POST":
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == FORM or (not media and request.headers.get("content-length")):
            raw = await read_body(request, limit)
            body = await run_in_threadpool(form.parse, raw) if len(raw) > OFFLOAD_BYTES else \
                form.parse(raw)
    return decode.merge(form.parse(request.scope.get("query_string", b"")), body)


def _guard(gp: GPServer, handler: Handler, *, multipart: bool = False,
           formats: tuple[str, ...] = decode.FORMATS) -> Callable[
        [Request], Awaitable[Response]]:
    """Decode the request, run the handler, turn every error into ArcGIS error JSON."""

    async def guarded(request: Request) -> Response:
        if request.method == "OPTIONS":  # CORS preflights are answered by web.cors
            return Response(status_code=204, headers={"Allow": ", ".join(METHODS)})
        f = "json"
        params: dict[str, str] = dict(request.query_params)
        try:
            streamed = multipart and request.headers.get("content-type", "").startswith(
                "multipart/form-data")  # an upload: its handler reads the body
            if not streamed:
                params = await _params(request, gp.settings.max_body_bytes)
            f = decode.response_format(params, "json" if streamed else "html", formats)
            base = public_base(request, gp.settings.base_url)
            response = await handler(Call(request, params, f, base))
        except HonuaError as error:
            code, document = from_error(error)
            body = document["error"]
            response = error_response(code, body["message"], body["details"], f, params,
                                      lambda c, m, d: gp.pages.error(request, c, m, d))
            if isinstance(error, Busy):  # 429 in the body; the header tells when to retry
                response.headers["Retry-After"] = str(error.retry_after)
        except Exception:
            log.exception("unexpected error on %s", request.url.path)
            response = error_response(500, "The server hit an unexpected error; it has been "
                                      "logged.", [], f, params,
                                      lambda c, m, d: gp.pages.error(request, c, m, d))
        return response

    return guarded


@functools.cache
def _pages() -> Pages:
    return Pages()


def refusal(request: Request, error: HonuaError) -> Response:
    """The answer to a request refused before it reached a handler (no or bad credentials):
    ArcGIS error JSON (499 Token Required, 498 Invalid Token), an HTML page for ``f=html``."""
    f = request.query_params.get("f", "json").strip().lower()
    f = f if f in decode.FORMATS else "json"
    code, document = from_error(error)
    body = document["error"]
    response = error_response(code, body["message"], body["details"], f,
                              dict(request.query_params),
                              lambda c, m, d: _pages().error(request, c, m, d))
    return response  # CORS headers come from web.cors, outside the identity middleware


SERVICE = "/{service}/GPServer"
FOLDER_SERVICE = "/{folder}/{service}/GPServer"
METHODS = ["GET", "POST", "OPTIONS"]


_PUBLIC_SUFFIXES = ("", "/{task}", "/{task}/execute", "/{task}/submitJob", "/{task}/jobs/{job_id}",
                    "/{task}/jobs/{job_id}/cancel", "/{task}/jobs/{job_id}/delete",
                    "/{task}/jobs/{job_id}/results/{param}",
                    "/{task}/jobs/{job_id}/results/{param}/data",
                    "/{task}/jobs/{job_id}/inputs/{param}",
                    "/{task}/jobs/{job_id}/results/{param}/map", "/{task}/jobs/{job_id}/events")
PUBLIC_ROUTES = frozenset(f"/arcgis/rest/services{prefix}{suffix}"
                          for prefix in (SERVICE, FOLDER_SERVICE) for suffix in _PUBLIC_SUFFIXES)
"""Routes an anonymous caller reaches on a server that refuses anonymity but has public
processes (``web.identity``): a service's task list and its tasks (narrowed to the public
ones), their operations and jobs; never uploads (matched first, by their own route)."""


def routes(services: Services) -> list[BaseRoute]:
    """The ``/arcgis/rest`` routes."""
    gp = GPServer(services)
    under_service: list[tuple[str, Handler, bool]] = [
        ("", gp.gp_service, False),
        ("/uploads", gp.gp_uploads, True),
        ("/uploads/{item:path}", gp.gp_uploads, True),
        ("/{task}", gp.gp_task, False),
        ("/{task}/execute", gp.execute, False),
        ("/{task}/submitJob", gp.submit_job, False),
        ("/{task}/jobs/{job_id}", gp.job, False),
        ("/{task}/jobs/{job_id}/cancel", gp.cancel, False),
        ("/{task}/jobs/{job_id}/delete", gp.delete, False),
        ("/{task}/jobs/{job_id}/results/{param}", gp.result, False),
        ("/{task}/jobs/{job_id}/results/{param}/data", gp.result_data, False),
        ("/{task}/jobs/{job_id}/results/{param}/map", gp.result_map, False),
        ("/{task}/jobs/{job_id}/events", gp.job_events, False),
        ("/{task}/jobs/{job_id}/inputs/{param}", gp.job_input, False),
    ]
    out: list[BaseRoute] = [
        Route("/arcgis/rest/info", _guard(gp, gp.info), methods=METHODS),
        Route(TOKENS_PATH, _guard(gp, gp.tokens.generate), methods=METHODS),
        Route("/arcgis/tokens", _guard(gp, gp.tokens.generate), methods=METHODS),
        Route("/arcgis/tokens/", _guard(gp, gp.tokens.generate), methods=METHODS),
        Route("/arcgis/rest/services", _guard(gp, gp.services), methods=METHODS),
        Route("/arcgis/rest/services/", _guard(gp, gp.services), methods=METHODS),
    ]
    for prefix in (SERVICE, FOLDER_SERVICE):
        for suffix, handler, multipart in under_service:
            out.append(Route(f"/arcgis/rest/services{prefix}{suffix}",
                             _guard(gp, handler, multipart=multipart,
                                    formats=decode.RESULT_FORMATS if handler == gp.result
                                    else decode.FORMATS), methods=METHODS))
    out.append(Route("/arcgis/rest/services/{folder}", _guard(gp, gp.services), methods=METHODS))
    out.append(Route("/arcgis/{rest:path}", _guard(gp, gp.nowhere), methods=METHODS))
    return out
