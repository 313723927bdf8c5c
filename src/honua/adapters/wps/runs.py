"""A WPS Execute through the job manager, and the documents that answer for its job.

``asked`` reads the request's response form into a mode for the core's run
planning: WPS 1.0.0 ``storeExecuteResponse`` + ``status`` (or WPS 2.0
``mode="async"``) ask for a job answered at once; a stored response or outputs
``asReference`` need kept results, so the job is waited for; anything else
runs synchronously where the process allows it. What the client asked for (formats,
transmission, lineage) is kept with the job, so its status document, its
results and its output references are answered from the job store alone,
by any front process, after any restart.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from honua.adapters.wps import encode, formats, payloads
from honua.adapters.wps.chains import ChainedWorkflow, chained_output, has_chain
from honua.adapters.wps.errors import OwsException
from honua.adapters.wps.fetch import Fetcher
from honua.adapters.wps.model import V1, ExecuteRequest, OutputRequest
from honua.adapters.wps.references import InputResolver, InternalTable
from honua.adapters.wps.safexml import to_bytes
from honua.core.description import ProcessDefinition, ProcessDescription
from honua.core.jobs import Job
from honua.core.parameters import DataType, Parameter
from honua.core.registry import Registry
from honua.core.requests import ExecutionOptions, Mode, OutputFormat, Transmission
from honua.core.requests import OutputRequest as CoreOutputRequest
from honua.core.stored_outputs import StoredValue
from honua.core.tiers import pinned_tier
from honua.core.values import File
from honua.errors import InvalidParameter
from honua.web.splice import marker

POLL_SECONDS = 1.0
SPLICE_BYTES = 1024 * 1024
"""Stored GeoJSON values at least this big are spliced into the documents as stored, not
decoded and rendered again (``result_values``)."""


@dataclass(frozen=True)
class Document:
    """An XML answer, and the stored values to splice into it by marker (``web.splice``)."""

    body: bytes
    splices: Mapping[bytes, StoredValue]


@dataclass(frozen=True)
class Prepared:
    definition: ProcessDefinition
    inputs: dict[str, Any]
    options: ExecutionOptions


def asked(request: ExecuteRequest) -> tuple[Mode, bool, bool]:
    """What the request asks, for ``core.planning``: the mode, whether it insists on it,
    and whether the response must be stored.

    WPS 1.0.0: ``storeExecuteResponse`` + ``status`` asks for a job; ``storeExecuteResponse``
    alone for a stored response (run as a job, answered when it ends); neither for the
    results, however the process runs. WPS 2.0: ``mode`` (sync, async, auto), insisted on.
    """
    if request.version == V1:
        if request.status and not request.store:
            raise OwsException("InvalidParameterValue", "status=true needs "
                               "storeExecuteResponse=true", locator="status")
        if request.store and request.status:
            return Mode.ASYNC, True, True
        return Mode.SYNC, False, request.store
    return Mode(request.mode), True, False


def output_spec(request: OutputRequest, raw: bool) -> CoreOutputRequest:
    by_reference = request.as_reference and not raw
    return CoreOutputRequest(Transmission.REFERENCE if by_reference else Transmission.VALUE,
                             OutputFormat(request.mime_type, request.encoding, request.schema),
                             uom=request.uom)


def output_request(name: str, spec: CoreOutputRequest) -> OutputRequest:
    """A stored job's output request in this adapter's terms."""
    return OutputRequest(name, as_reference=spec.by_reference, mime_type=spec.format.media_type,
                         encoding=spec.format.encoding, schema=spec.format.schema, uom=spec.uom)


def check_outputs(request: ExecuteRequest, description: ProcessDescription) -> None:
    """The formats asked of known outputs (the core refuses unknown outputs)."""
    for output in request.outputs:
        parameter = description.output(output.name)
        if parameter is not None and formats.is_complex(parameter.data_type):
            try:
                formats.choose(parameter.data_type, output.mime_type, output.schema, output=True,
                               name=output.name)
            except InvalidParameter as exc:
                raise OwsException("InvalidParameterValue", exc.message, locator=output.name,
                                   code2="NoSuchFormat") from None
    if request.raw and len(request.outputs or description.outputs) != 1:
        raise OwsException("InvalidParameterValue", f"a raw response holds one output; process "
                           f"{description.id!r} has several, name one", locator="response",
                           code2="TooManyOutputs")


class Runs:
    def __init__(self, manager: Any, settings: Any, table: InternalTable, fetcher: Fetcher) -> None:
        self.manager = manager
        self.settings = settings
        self.table = table
        self.fetcher = fetcher

    def own_bases(self, base: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(b for b in (base, self.settings.base_url.rstrip("/")) if b))

    def prepare(self, request: ExecuteRequest, base: str, *, processes: Any = None,
                owner: str = "", tenant: str = "") -> Prepared:
        """Resolve inputs and choose how to run (blocking: references may be fetched or chained).
        ``processes`` is the caller's view of the registry: a chained process the caller may
        not run is as unknown as it would be asked directly."""
        processes = processes if processes is not None else self.manager.registry
        definition = processes.get(request.process_id)
        description = definition.description
        check_outputs(request, description)
        mode, strict, keep = asked(request)
        resolver = InputResolver(self.table, self.fetcher, self.own_bases(base),
                                 lambda nested, _: self.run_nested(
                                     nested, base, processes=processes, owner=owner,
                                     tenant=tenant))
        hints: dict[str, Any] = {"wps": request.version, "store": request.store}
        if mode is Mode.ASYNC and has_chain(request, resolver):  # one job, answered at once
            chain = ChainedWorkflow(resolver, processes, check_outputs)
            document, inputs = chain.build(request)
            definition = self.manager.workflow(document, processes)
            hints["chained"] = description.id
            origins = chain.origins
        else:
            inputs = resolver.inputs(request, description)
            origins = resolver.origins
        if request.version == V1 and request.lineage:
            hints["lineage"] = encode.lineage_inputs(description, request.inputs)
        options = ExecutionOptions(
            mode=mode, strict=strict, keep=keep,
            outputs={o.name: output_spec(o, request.raw) for o in request.outputs},
            response="raw" if request.raw else "document", hints=hints,
            tier=pinned_tier(request.tier), origins=origins)
        return Prepared(definition, inputs, options)

    def run_nested(self, request: ExecuteRequest, base: str, *, processes: Any = None,
                   owner: str = "", tenant: str = "") -> Any:
        """Run a chained Execute synchronously, as the caller, and return the one output it
        feeds in (recorded as the caller's job, checked against the caller's access rules)."""
        processes = processes if processes is not None else self.manager.registry
        description = processes.get(request.process_id).description
        check_outputs(request, description)
        name = chained_output(request, description)
        prepared = self.prepare(request, base, processes=processes, owner=owner, tenant=tenant)
        options = ExecutionOptions(mode=Mode.SYNC, outputs={name: CoreOutputRequest()})
        future = self.manager.execute(description.id, prepared.inputs, options, owner=owner,
                                      tenant=tenant)
        limit = self.settings.sync_timeout_seconds
        try:
            execution = future.result(timeout=limit)
        except concurrent.futures.TimeoutError:
            raise OwsException("NoApplicableCode", f"process {description.id!r} did not finish "
                               f"within the synchronous limit of {limit:g} s", status=504) from None
        return execution.outputs[name]

    # -- answers ----------------------------------------------------------------------------

    def output_values(self, description: ProcessDescription, outputs: Mapping[str, Any],
                      options: ExecutionOptions, base: str, job_id: str | None) -> list[encode.OutputValue]:
        values = []
        for name, value in outputs.items():
            parameter = description.output(name)
            if parameter is None or value is None:
                continue
            request = output_request(name, options.output(name))
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                if request.as_reference and job_id:
                    href = f"{base}/wps/outputs/{job_id}/{name}"
                    values.append(encode.OutputValue(
                        parameter, reference_format(parameter, item, request),
                        href=f"{href}/{index}" if isinstance(value, list) else href, request=request))
                else:
                    values.append(encode.OutputValue(parameter, payloads.render(parameter, item, request),
                                                     request=request))
        return values

    def status_document(self, job: Job, base: str, *, location: bool = True) -> Document:
        """The WPS 1.0.0 ExecuteResponse of a stored job (what its statusLocation serves)."""
        description = self.description(job)
        state = encode.state_of(job)
        outputs: list[encode.OutputValue] = []
        splices: dict[bytes, StoredValue] = {}
        if state.phase == encode.SUCCEEDED and job.has_outputs:
            _, outputs, splices = self.result_values(job, base)
        hints = job.options.hints
        requested = [output_request(n, spec) for n, spec in job.options.outputs.items()]
        return Document(to_bytes(encode.execute_response(
            description, state, outputs, service_instance=service_instance(base),
            status_location=status_location(base, job.id) if location else None,
            lineage=hints.get("lineage"),
            requested=requested)), splices)

    def description(self, job: Job) -> ProcessDescription:
        """What a job's documents describe: the process asked for (for a chained Execute
        run as a workflow, the outer process, whose outputs the workflow's are)."""
        chained = job.options.hints.get("chained")
        registry: Registry = self.manager.registry
        if isinstance(chained, str) and chained in registry:
            return registry.get(chained).description
        return registry.get(job.process_id).description

    def result_values(self, job: Job, base: str) -> tuple[
            ProcessDescription, list[encode.OutputValue], dict[bytes, StoredValue]]:
        """A stored job's output values for its documents, and the stored JSON to splice
        into them (``web.splice``) by marker. Outputs sent by reference and big GeoJSON
        values are answered from their stored form alone: only the others are decoded."""
        description = self.description(job)
        stored = self.manager.result_values(job.id)
        light: dict[str, encode.OutputValue] = {}
        splices: dict[bytes, StoredValue] = {}
        for name, value in stored.items():
            parameter = description.output(name)
            if parameter is None or value is None or value.size <= len(b"null") or \
                    parameter.multiple or parameter.data_type is DataType.FILE:
                continue  # decoded below, as before
            request = output_request(name, job.options.output(name))
            if request.as_reference:
                light[name] = encode.OutputValue(
                    parameter, reference_format(parameter, None, request),
                    href=f"{base}/wps/outputs/{job.id}/{name}", request=request)
            elif value.size >= SPLICE_BYTES and formats.is_complex(parameter.data_type):
                fmt = formats.choose(parameter.data_type, request.mime_type, request.schema,
                                     output=True, name=name)
                if fmt.codec != "geojson":
                    continue
                mark = "{" + marker() + "}"  # JSON-looking, so it goes in CDATA as JSON does
                light[name] = encode.OutputValue(parameter, payloads.Rendered(
                    "complex", b"", fmt.mime_type, text=mark, encoding=fmt.encoding,
                    schema=fmt.schema), request=request)
                splices[mark.encode()] = value
        rest = self.manager.results(job.id, skip=set(light)) if len(light) < len(stored) else {}
        values: list[encode.OutputValue] = []
        for parameter in description.outputs:
            if parameter.name in light:
                values.append(light[parameter.name])
            elif parameter.name in rest:
                values += self.output_values(description, {parameter.name: rest[parameter.name]},
                                             job.options, base, job.id)
        return description, values, splices

    def next_poll(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=POLL_SECONDS)


def reference_format(parameter: Parameter, value: Any, request: OutputRequest) -> payloads.Rendered:
    """What a referenced output will be served as (without rendering it now)."""
    if isinstance(value, File):
        return payloads.Rendered("complex", b"", value.media_type)
    if formats.is_complex(parameter.data_type):
        fmt = formats.choose(parameter.data_type, request.mime_type, request.schema, output=True,
                             name=parameter.name)
        return payloads.Rendered("complex", b"", fmt.mime_type, encoding=fmt.encoding,
                                 schema=fmt.schema)
    return payloads.Rendered("literal", b"", "text/plain; charset=utf-8")


def status_location(base: str, job_id: str) -> str:
    return f"{base}/wps/status/{job_id}"


def service_instance(base: str) -> str:
    return f"{base}/wps?service=WPS&request=GetCapabilities"
