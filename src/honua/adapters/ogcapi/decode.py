"""OGC API - Processes execute requests -> core inputs and options (pure functions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from honua.adapters.ogcapi.schemas import accepted_media_types
from honua.core.description import ProcessDescription
from honua.core.json_text import JSONText, members
from honua.core.references import LayerReference, UploadReference
from honua.core.requests import (
    ExecutionOptions,
    LayerRegistration,
    Mode,
    OutputFormat,
    OutputRequest,
    Transmission,
    subscriber_from_json,
)
from honua.core.tiers import pinned_tier
from honua.errors import InvalidParameter, NotSupported
from honua.web.json_body import DEFAULT_MAX_DEPTH, TEXT_VALUE_BYTES, check_depth, load_json
from honua.web.own_urls import reference_from_url

TRANSMISSIONS = ("value", "reference")


def parse_json(body: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    if not body.strip():
        raise InvalidParameter("the request body is empty; send a JSON execute request "
                               'such as {"inputs": {...}}')
    return load_json(body, max_depth=max_depth)


def _reference(name: str, value: Mapping[str, Any]) -> Any:
    """``{"layerReference": ...}`` / ``{"uploadId": ...}`` as core references (else None)."""
    try:
        if "layerReference" in value:
            return LayerReference.from_json(value["layerReference"])
        if "uploadId" in value:
            if not isinstance(value["uploadId"], str):
                raise InvalidParameter("uploadId must be the id string POST /api/uploads returned")
            return UploadReference(value["uploadId"])
    except InvalidParameter as exc:
        raise InvalidParameter(f"input {name!r}: {exc.message}", parameter=name) from None
    return None


def _unwrap(name: str, value: Any, base_url: str = "") -> Any:
    """A qualified value gives its ``value``; a reference to this server's own collection
    becomes a layer reference; other links by reference are not resolved here."""
    if isinstance(value, Mapping):
        if "collection" in value and isinstance(value["collection"], str):  # Part 3
            own = reference_from_url(value["collection"], base_url)
            if own is None or set(value) - {"collection"}:
                raise InvalidParameter(
                    f"input {name!r}: a collection input is {{\"collection\": \"<this server's "
                    f"/api/collections/{{id}} URL>\"}}, got {str(value['collection'])[:200]!r}",
                    parameter=name)
            return own
        reference = _reference(name, value)
        if reference is not None:
            return reference
        if "href" in value and "value" not in value:
            own = reference_from_url(value["href"], base_url)
            if own is not None:
                return own
            raise NotSupported(
                f"input {name!r} is given by reference ({value['href']!r}); this server does "
                "not fetch remote references for OGC API inputs yet: send the value inline",
            )
        if "value" in value and ("mediaType" in value or "encoding" in value or "schema" in value
                                 or len(value) == 1):
            return value["value"]
    return value


def decode_inputs(document: Any, base_url: str = "") -> dict[str, Any]:
    if not isinstance(document, Mapping):
        raise InvalidParameter("the execute request must be a JSON object with an 'inputs' member")
    inputs = document.get("inputs", {})
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, Mapping):
        raise InvalidParameter("'inputs' must be an object mapping input names to values")
    decoded: dict[str, Any] = {}
    for name, value in inputs.items():
        if isinstance(value, list):
            decoded[name] = [_unwrap(name, v, base_url) for v in value]
        else:
            decoded[name] = _unwrap(name, value, base_url)
    return decoded


def decode_outputs(document: Mapping[str, Any]) -> dict[str, OutputRequest]:
    outputs = document.get("outputs") or {}
    if not isinstance(outputs, Mapping):
        raise InvalidParameter("'outputs' must be an object mapping output names to options")
    decoded: dict[str, OutputRequest] = {}
    for name, spec in outputs.items():
        spec = spec or {}
        if not isinstance(spec, Mapping):
            raise InvalidParameter(f"output {name!r}: options must be an object")
        mode = spec.get("transmissionMode", "value")
        if mode not in TRANSMISSIONS:
            raise InvalidParameter(
                f"output {name!r}: transmissionMode must be 'value' or 'reference', got {mode!r}")
        fmt = spec.get("format")
        media_type = fmt.get("mediaType") if isinstance(fmt, Mapping) else None
        registration = spec.get("registerAs")  # keep the output as a catalog layer
        decoded[name] = OutputRequest(
            Transmission(mode), OutputFormat(str(media_type) if media_type else None),
            register_as=None if registration is None else LayerRegistration.from_json(
                registration))
    return decoded


def _check_formats(outputs: Mapping[str, OutputRequest], description: ProcessDescription) -> None:
    """A requested output format this server cannot produce is refused, not ignored."""
    for name, spec in outputs.items():
        parameter = description.output(name)
        wanted = (spec.format.media_type or "").split(";")[0].strip().lower()
        if parameter is None or not wanted:
            continue  # unknown outputs are reported by the core
        accepted = accepted_media_types(parameter.data_type)
        if accepted is not None and wanted not in accepted:
            raise InvalidParameter(f"output {name!r} cannot be returned as {wanted!r}; it is "
                                   f"available as {', '.join(accepted)}", parameter=name)


def asked_mode(prefer: str | None) -> Mode:
    """``Prefer: respond-async`` asks for a job; otherwise the process's own preference
    (synchronous when it allows it). A preference, not a demand (RFC 7240)."""
    tokens = {t.strip().split("=")[0].lower() for t in (prefer or "").split(",") if t.strip()}
    return Mode.ASYNC if "respond-async" in tokens else Mode.AUTO


def url_origins(document: Any) -> dict[str, Any]:
    """The URL each input given by reference (``href``, ``collection``) named, for the
    ledger: the core records the layer it read, this adds the address the client gave."""
    def one(value: Any) -> dict[str, str] | None:
        if isinstance(value, Mapping) and "value" not in value:
            url = value.get("href", value.get("collection"))
            if isinstance(url, str):
                return {"url": url[:2048]}
        return None

    out: dict[str, Any] = {}
    inputs = document.get("inputs") if isinstance(document, Mapping) else None
    for name, value in (inputs.items() if isinstance(inputs, Mapping) else ()):
        if isinstance(value, list):
            found = [one(v) for v in value]
            if any(found):
                out[name] = found
        elif (origin := one(value)) is not None:
            out[name] = origin
    return out


QUALIFIERS = frozenset({"value", "mediaType", "encoding", "schema"})


def parse_execute(body: bytes, max_depth: int = DEFAULT_MAX_DEPTH,
                  text_bytes: int = TEXT_VALUE_BYTES) -> Any:
    """The execute document, with every input value of more than ``text_bytes`` of JSON
    left as ``JSONText`` (a qualified value's ``value`` likewise): decoded in the worker,
    never as Python objects in this process. Smaller bodies are parsed whole."""
    if len(body) <= text_bytes or not body.strip():
        return parse_json(body, max_depth)
    check_depth(body, max_depth)
    top = members(body)
    document = {name: load_json(text, max_depth=max_depth) for name, text in top.items()
                if name != "inputs"}
    text = top.get("inputs")
    if text is None or not text.startswith(b"{"):
        document["inputs"] = None if text is None else load_json(text, max_depth=max_depth)
        return document
    inputs: dict[str, Any] = {}
    for name, value in members(text, "'inputs'").items():
        inputs[name] = _text_value(value, max_depth, text_bytes)
    document["inputs"] = inputs
    return document


def _text_value(text: bytes, max_depth: int, text_bytes: int) -> Any:
    """One input's value: JSON text when it is a large object (GeoJSON), else decoded."""
    if len(text) <= text_bytes or not text.startswith(b"{"):
        return load_json(text, max_depth=max_depth)
    parts = members(text, "an input value")
    if "value" in parts and set(parts) <= QUALIFIERS:  # {"value": ..., "mediaType": ...}
        return {"value": JSONText(parts["value"]),
                **{k: load_json(v) for k, v in parts.items() if k != "value"}}
    if "type" not in parts:  # not GeoJSON: references and the like are read here
        return load_json(text, max_depth=max_depth)
    return JSONText(text)


def decode_execute(body: bytes, description: ProcessDescription, prefer: str | None,
                   base_url: str = "", max_depth: int = DEFAULT_MAX_DEPTH
                   ) -> tuple[dict[str, Any], ExecutionOptions]:
    document = parse_execute(body, max_depth)
    inputs = decode_inputs(document, base_url)
    outputs = decode_outputs(document)
    _check_formats(outputs, description)
    response = document.get("response", "raw")
    if response not in ("raw", "document"):
        raise InvalidParameter(f"'response' must be 'raw' or 'document', got {response!r}")
    return inputs, ExecutionOptions(mode=asked_mode(prefer), outputs=outputs, response=response,
                                    tier=pinned_tier(document.get("tier")),
                                    subscriber=subscriber_from_json(document.get("subscriber")),
                                    origins=url_origins(document))


def int_param(params: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]; absent gives ``default``."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(f"{name} must be an integer, got {raw!r}", parameter=name) from None
    if not low <= value <= high:
        raise InvalidParameter(f"{name} must be between {low} and {high}", parameter=name)
    return value


def _instant(text: str, name: str) -> dt.datetime | None:
    if text in ("", ".."):
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(f"{name}: {text!r} is not an RFC 3339 date-time such as "
                               "2026-05-01T12:00:00Z", parameter=name) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _seconds(params: Mapping[str, Any], name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameter(f"{name} is a number of seconds, got {raw!r}",
                               parameter=name) from None
    if not value >= 0:
        raise InvalidParameter(f"{name} must be 0 or more seconds", parameter=name)
    return value


def job_filters(params: Any, statuses: Mapping[str, tuple[Any, ...]]) -> dict[str, Any] | None:
    """The job-list query (``status``, ``processID``, ``datetime``, ``minDuration``,
    ``maxDuration``, ``type``) as manager filters; None when ``type`` excludes every job."""
    wanted: list[Any] = []
    for value in params.getlist("status"):
        for part in value.split(","):
            if part not in statuses:
                raise InvalidParameter(f"unknown job status {part!r}; use accepted, running, "
                                       "successful, failed or dismissed", parameter="status")
            wanted.extend(statuses[part])
    filters: dict[str, Any] = {"statuses": wanted or None,
                               "process_id": params.get("processID") or params.get("process"),
                               "min_duration": _seconds(params, "minDuration"),
                               "max_duration": _seconds(params, "maxDuration")}
    interval = params.get("datetime")
    if interval:
        start, _, end = interval.partition("/")
        filters["created_from"] = _instant(start, "datetime")
        filters["created_to"] = _instant(end, "datetime") if "/" in interval else filters[
            "created_from"]
    types = {t for value in params.getlist("type") for t in value.split(",")}
    if types and "process" not in types:
        return None  # every job here is an OGC API process job
    return filters
