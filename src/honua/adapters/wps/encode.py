"""Execute responses: WPS 1.0.0 ExecuteResponse (also the status document), WPS 2.0
StatusInfo and Result (pure functions over neutral values and rendered outputs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from lxml import etree

from honua.adapters.wps import errors, formats, payloads
from honua.adapters.wps.describe import NSMAP1, NSMAP2, identification
from honua.adapters.wps.model import V1, V2, Data, InputItem, OutputRequest, Reference
from honua.adapters.wps.payloads import Rendered
from honua.adapters.wps.safexml import OWS11, OWS20, WPS10, WPS20, XLINK, XML_NS, E, qname
from honua.core.description import ProcessDescription
from honua.core.jobs import Job, JobStatus
from honua.core.parameters import DataType, Parameter
from honua.core.tiers import shown

ACCEPTED, STARTED, SUCCEEDED, FAILED = "accepted", "started", "succeeded", "failed"
_PHASES = {JobStatus.ACCEPTED: ACCEPTED, JobStatus.SUBMITTED: ACCEPTED, JobStatus.WAITING: ACCEPTED,
           JobStatus.RUNNING: STARTED, JobStatus.CANCELLING: STARTED,
           JobStatus.SUCCEEDED: SUCCEEDED, JobStatus.FAILED: FAILED, JobStatus.TIMED_OUT: FAILED,
           JobStatus.CANCELLED: FAILED, JobStatus.DISMISSED: FAILED}
STATUS20 = {ACCEPTED: "Accepted", STARTED: "Running", SUCCEEDED: "Succeeded", FAILED: "Failed"}


@dataclass(frozen=True)
class State:
    """Where an execution stands, in WPS terms."""

    phase: str
    message: str = ""
    percent: int = 0
    time: dt.datetime | None = None
    failure: errors.Exceptional | None = None
    dismissed: bool = False


@dataclass(frozen=True)
class OutputValue:
    """One output of a response: a rendered value or a reference to one."""

    parameter: Parameter
    rendered: Rendered | None = None
    href: str | None = None
    request: OutputRequest | None = None


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def state_of(job: Job) -> State:
    phase = _PHASES[job.status]
    failure = None
    if phase == FAILED:
        kind = job.error_kind if job.error_kind in errors.TABLE else "job-failed"
        status, code1, _, _ = errors.TABLE[kind]
        text = job.message or f"the job {job.status.value}"
        failure = errors.Exceptional(status, code1, text)
    # creationTime: when it finished; while it runs, when this document is made (None = now)
    message = job.message
    if phase in (STARTED, SUCCEEDED) and job.started is not None:  # which tier ran it
        message = f"{message or phase} (tier {shown(job.tier)})"
    return State(phase, message, min(int(job.progress), 99), job.finished, failure,
                 dismissed=job.status in (JobStatus.CANCELLED, JobStatus.DISMISSED))


# -- WPS 1.0.0 ------------------------------------------------------------------------------

def _w(name: str) -> str:
    return qname(WPS10, name)


def _status10(state: State) -> etree._Element:
    when = stamp(state.time or dt.datetime.now(dt.UTC))
    if state.phase == ACCEPTED:
        inner = E(_w("ProcessAccepted"), text=state.message or "Queued for execution")
    elif state.phase == STARTED:
        inner = E(_w("ProcessStarted"), {"percentCompleted": str(state.percent)},
                  text=state.message or "Running")
    elif state.phase == SUCCEEDED:
        inner = E(_w("ProcessSucceeded"), text=state.message or "Succeeded")
    else:
        failure = state.failure or errors.Exceptional(500, "NoApplicableCode", "the job failed")
        inner = E(_w("ProcessFailed"), None, errors.report_element(
            V1, failure.code, failure.text, failure.locator))
    return E(_w("Status"), {"creationTime": when}, inner)


def _bbox(version: str, rendered: Rendered, tag: str) -> etree._Element:
    ows = OWS20 if version == V2 else OWS11
    lower, upper = rendered.corners or ((0.0, 0.0), (0.0, 0.0))
    return E(tag, {"crs": rendered.crs, "dimensions": str(len(lower))},
             E(qname(ows, "LowerCorner"), text=" ".join(repr(float(v)) for v in lower)),
             E(qname(ows, "UpperCorner"), text=" ".join(repr(float(v)) for v in upper)))


def _complex_content(element: etree._Element, rendered: Rendered) -> etree._Element:
    if rendered.element is not None:
        element.append(rendered.element)
    elif rendered.encoding != "base64" and (rendered.text or "").lstrip().startswith(("{", "[")):
        element.text = etree.CDATA(rendered.text or "")  # JSON stays readable
    else:
        element.text = rendered.text
    return element


def data10(rendered: Rendered) -> etree._Element:
    if rendered.kind == "literal":
        inner = E(_w("LiteralData"), {"dataType": rendered.data_type, "uom": rendered.uom},
                  text=rendered.text)
    elif rendered.kind == "bbox":
        inner = _bbox(V1, rendered, _w("BoundingBoxData"))
    else:
        inner = _complex_content(E(_w("ComplexData"), {
            "mimeType": rendered.mime_type, "encoding": rendered.encoding,
            "schema": rendered.schema}), rendered)
    return E(_w("Data"), None, inner)


def _output10(value: OutputValue) -> etree._Element:
    p = value.parameter
    element = E(_w("Output"), None, *identification(V1, p.title, p.description, p.name))
    if value.href is not None:
        rendered = value.rendered
        element.append(E(_w("Reference"), {
            "href": value.href, "mimeType": rendered.mime_type if rendered else None,
            "encoding": rendered.encoding if rendered else None,
            "schema": rendered.schema if rendered else None}))
    elif value.rendered is not None:
        element.append(data10(value.rendered))
    return element


def _output_definitions(description: ProcessDescription,
                        requested: Sequence[OutputRequest]) -> etree._Element:
    definitions = E(_w("OutputDefinitions"))
    for request in requested or [OutputRequest(p.name) for p in description.outputs]:
        definitions.append(E(_w("Output"), {
            "asReference": str(request.as_reference).lower(), "uom": request.uom,
            "mimeType": request.mime_type, "encoding": request.encoding, "schema": request.schema},
            E(qname(OWS11, "Identifier"), text=request.name)))
    return definitions


def execute_response(description: ProcessDescription, state: State, outputs: Iterable[OutputValue],
                     *, service_instance: str, status_location: str | None = None,
                     lineage: str | None = None,
                     requested: Sequence[OutputRequest] = ()) -> etree._Element:
    """The WPS 1.0.0 ExecuteResponse (also what a statusLocation serves)."""
    root = E(_w("ExecuteResponse"), {"service": "WPS", "version": V1, qname(XML_NS, "lang"): "en-US",
                                     "serviceInstance": service_instance,
                                     "statusLocation": status_location}, nsmap=NSMAP1)
    process = E(_w("Process"), {_w("processVersion"): description.version},
                *identification(V1, description.title, description.description, description.id))
    root.extend([process, _status10(state)])
    if lineage is not None:
        root.append(etree.fromstring(lineage))
        root.append(_output_definitions(description, requested))
    if state.phase == SUCCEEDED:
        rendered = [_output10(v) for v in outputs]
        if rendered:
            root.append(E(_w("ProcessOutputs"), None, *rendered))
    return root


def _lineage_data(parameter: Parameter | None, data: Data) -> etree._Element:
    kind = data.kind
    if kind == "any" and parameter is not None:
        kind = ("bbox" if parameter.data_type is DataType.ENVELOPE else
                "complex" if formats.is_complex(parameter.data_type) else "literal")
    if kind == "bbox":
        lower, upper, crs = payloads.bbox_corners(data, parameter.name if parameter else "bbox")
        return E(_w("Data"), None, _bbox(V1, Rendered("bbox", b"", "", crs=crs,
                                                      corners=(lower, upper)), _w("BoundingBoxData")))
    if kind == "complex":
        element = E(_w("ComplexData"), {"mimeType": data.mime_type, "encoding": data.encoding,
                                        "schema": data.schema})
        if data.element is not None:
            element.append(etree.fromstring(etree.tostring(data.element)))
        else:
            element.text = data.text
        return E(_w("Data"), None, element)
    return E(_w("Data"), None, E(_w("LiteralData"), {"uom": data.uom, "dataType": data.data_type},
                                 text=data.text))


def lineage_inputs(description: ProcessDescription, inputs: Iterable[InputItem]) -> str:
    """The request's inputs as a ``wps:DataInputs`` element, serialised (kept with async jobs)."""
    element = E(_w("DataInputs"), nsmap=NSMAP1)
    for item in inputs:
        parameter = description.input(item.name)
        entry = E(_w("Input"), None, E(qname(OWS11, "Identifier"), text=item.name))
        if parameter is not None and parameter.title:
            entry.append(E(qname(OWS11, "Title"), text=parameter.title))
        if isinstance(item.value, Reference):
            ref = item.value
            entry.append(E(_w("Reference"), {qname(XLINK, "href"): ref.href, "method": ref.method,
                                             "mimeType": ref.mime_type, "encoding": ref.encoding,
                                             "schema": ref.schema}))
        else:
            entry.append(_lineage_data(parameter, item.value))
        element.append(entry)
    return cast(bytes, etree.tostring(element)).decode()


# -- WPS 2.0 --------------------------------------------------------------------------------

def _w2(name: str) -> str:
    return qname(WPS20, name)


def status_info(job_id: str, state: State, *, expires: dt.datetime | None = None,
                next_poll: dt.datetime | None = None) -> etree._Element:
    status = "Dismissed" if state.dismissed else STATUS20[state.phase]
    root = E(_w2("StatusInfo"), None, E(_w2("JobID"), text=job_id), E(_w2("Status"), text=status),
             nsmap=NSMAP2)
    if expires is not None:
        root.append(E(_w2("ExpirationDate"), text=stamp(expires)))
    if state.phase in (ACCEPTED, STARTED):
        if next_poll is not None:
            root.append(E(_w2("NextPoll"), text=stamp(next_poll)))
        root.append(E(_w2("PercentCompleted"), text=str(state.percent)))
    return root


def _data20(rendered: Rendered) -> etree._Element:
    if rendered.kind == "literal":
        return E(_w2("Data"), {"mimeType": "text/xml"},
                 E(_w2("LiteralValue"), {"dataType": formats.XS + (rendered.data_type or "string"),
                                         "uom": rendered.uom}, text=rendered.text))
    if rendered.kind == "bbox":
        return E(_w2("Data"), {"mimeType": "text/xml"},
                 _bbox(V2, rendered, qname(OWS20, "BoundingBox")))
    return _complex_content(E(_w2("Data"), {"mimeType": rendered.mime_type,
                                            "encoding": rendered.encoding,
                                            "schema": rendered.schema}), rendered)


def result(outputs: Iterable[OutputValue], *, job_id: str | None = None,
           expires: dt.datetime | None = None) -> etree._Element:
    root = E(_w2("Result"), nsmap=NSMAP2)
    if job_id:
        root.append(E(_w2("JobID"), text=job_id))
    if expires is not None:
        root.append(E(_w2("ExpirationDate"), text=stamp(expires)))
    for value in outputs:
        element = E(_w2("Output"), {"id": value.parameter.name})
        if value.href is not None:
            rendered = value.rendered
            element.append(E(_w2("Reference"), {
                qname(XLINK, "href"): value.href,
                "mimeType": rendered.mime_type if rendered else None,
                "encoding": rendered.encoding if rendered else None,
                "schema": rendered.schema if rendered else None}))
        elif value.rendered is not None:
            element.append(_data20(value.rendered))
        root.append(element)
    return root
