"""Turning a request's inputs into the core's raw inputs: inline data, references, chains.

* Inline data is decoded by ``payloads``.
* A reference to this server's own resources is resolved *internally*, with
  no HTTP round trip, through ``InternalTable``: a small table of path
  templates, each with a function that returns the value (a typed core value,
  or ``Fetched`` bytes). Other parts of Honua add their resources there
  (``internal_resources`` lists them).
* Any other URL goes through ``fetch.Fetcher`` (allow-list, address checks).
* A reference whose body is a nested Execute runs that process first, through
  the ``run_nested`` callback the glue supplies, and feeds its output in; an
  error says which process and which input it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from honua.adapters.wps import payloads
from honua.adapters.wps.errors import OwsException
from honua.adapters.wps.fetch import Fetched, Fetcher
from honua.adapters.wps.model import Data, ExecuteRequest, InputItem, Reference
from honua.core.description import ProcessDescription
from honua.core.invoke import Repeated
from honua.core.parameters import DataType, Parameter
from honua.core.provenance import sha256
from honua.core.references import UploadReference
from honua.core.values import Geometry
from honua.errors import HonuaError, InvalidParameter, Unauthenticated
from honua.geo.features import FeatureCollection
from honua.web.own_urls import reference_from_url

ResourceResolver = Callable[[Mapping[str, str]], Any]
NestedRunner = Callable[[ExecuteRequest, str], Any]


class InternalTable:
    """Path templates of this server's resources, e.g. ``/wps/outputs/{job_id}/{output}``."""

    def __init__(self) -> None:
        self._entries: list[tuple[re.Pattern[str], ResourceResolver]] = []

    def add(self, template: str, resolver: ResourceResolver) -> None:
        pattern = re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._entries.append((re.compile(f"^{pattern}$"), resolver))

    def match(self, path: str) -> tuple[ResourceResolver, dict[str, str]] | None:
        for pattern, resolver in self._entries:
            found = pattern.match(path)
            if found:
                return resolver, found.groupdict()
        return None


def internal_resources(manager: Any) -> InternalTable:
    """This server's resources a WPS input may reference (one line per kind of resource)."""
    table = InternalTable()

    def job_output(params: Mapping[str, str]) -> Any:
        outputs = manager.results(params["job_id"])
        name = params.get("output")
        if name is None:
            if len(outputs) != 1:
                raise InvalidParameter(f"job {params['job_id']} has several outputs; reference one")
            return next(iter(outputs.values()))
        if name not in outputs:
            raise InvalidParameter(f"job {params['job_id']} has no output {name!r}")
        return outputs[name]

    table.add("/wps/outputs/{job_id}/{output}", job_output)
    table.add("/api/jobs/{job_id}/results/{output}", job_output)
    table.add("/api/jobs/{job_id}/results", job_output)
    # a two-step upload: the core reads it (and checks it exists) like an {"uploadId"} input
    table.add("/api/uploads/{upload_id}", lambda params: UploadReference(params["upload_id"]))
    return table


@dataclass
class InputResolver:
    """Resolves every input of one request (runs in a worker thread: it may block)."""

    table: InternalTable
    fetcher: Fetcher
    own_bases: tuple[str, ...]
    run_nested: NestedRunner
    origins: dict[str, Any] = field(default_factory=dict)
    """Each input read by URL: ``{"url", "sha256", "bytes"}`` (a list when repeated), for
    the provenance ledger (``ExecutionOptions.origins``)."""

    def inputs(self, request: ExecuteRequest, description: ProcessDescription) -> dict[str, Any]:
        """Raw inputs for the job manager: an input repeated in the request gives all its
        values (the core checks how many it takes); an unknown one is passed on unread
        for the core to refuse."""
        given: dict[str, list[Any]] = {}
        for item in request.inputs:
            parameter = description.input(item.name)
            given.setdefault(item.name, []).append(
                None if parameter is None else self.value(parameter, item))
        return {name: values[0] if len(values) == 1 and not _multiple(description, name)
                else Repeated(values) for name, values in given.items()}

    def value(self, parameter: Parameter, item: InputItem) -> Any:
        if isinstance(item.value, Data):
            return payloads.decode(parameter, item.value)
        nested = self.chained(item)
        if nested is not None:
            return adapt(parameter, self._chain(nested, item.name))
        return self._referenced(parameter, item.value)

    def chained(self, item: InputItem) -> ExecuteRequest | None:
        """The Execute that ``item`` is the output of, when it is one run on this server."""
        reference = item.value
        if isinstance(reference, Reference) and reference.execute is not None and (
                self._own(reference.href) is not None or _geoserver_chain(reference.href)):
            return reference.execute
        return None

    def _own(self, href: str) -> str | None:
        """The path of ``href`` under this server's base URL, if it is one of ours."""
        for base in self.own_bases:
            if href == base or href.startswith(base + "/") or href.startswith(base + "?"):
                return urlsplit(href).path[len(urlsplit(base).path):] or "/"
        return None

    def _referenced(self, parameter: Parameter, reference: Reference) -> Any:
        name = parameter.name
        path = self._own(reference.href)
        if path is not None and parameter.data_type is DataType.FEATURES:
            for base in self.own_bases:  # a catalog collection: the core reads it, filter pushed down
                layer = reference_from_url(reference.href, base)
                if layer is not None:
                    self._origin(name, {"url": reference.href})
                    return layer
        if path is not None:
            found = self.table.match(path)
            if found is None:
                raise OwsException("InvalidParameterValue", f"input {name!r}: {reference.href} is "
                                   "not a resource of this server that can be used as an input "
                                   "(job outputs such as /wps/outputs/<job>/<output> can)",
                                   locator=name, code2="DataNotAccessible")
            resolver, params = found
            try:
                value = resolver(params)
            except HonuaError as exc:
                raise OwsException("InvalidParameterValue", f"input {name!r}: {exc.message}",
                                   locator=name, code2="DataNotAccessible") from None
        else:
            body = reference.body
            if reference.body_href is not None:
                body = self._fetch(reference.body_href, name).content
            value = self._fetch(reference.href, name, reference.method, body, reference.headers)
        if isinstance(value, Fetched):
            self._origin(name, {"url": reference.href, "sha256": sha256(value.content),
                                "bytes": len(value.content)})
            return payloads.decode_bytes(parameter, value.content,
                                         reference.mime_type or value.media_type,
                                         reference.encoding, reference.schema)
        return adapt(parameter, value)

    def _origin(self, name: str, origin: dict[str, Any]) -> None:
        """Note where input ``name`` came from (a repeated input: each value's, in order)."""
        known = self.origins.get(name)
        if known is None:
            self.origins[name] = origin
        else:
            self.origins[name] = [*(known if isinstance(known, list) else [known]), origin]

    def _fetch(self, url: str, name: str, method: str = "GET", body: bytes | None = None,
               headers: tuple[tuple[str, str], ...] = ()) -> Fetched:
        return self.fetcher.fetch(url, name=name, method=method, body=body, headers=headers)

    def _chain(self, nested: ExecuteRequest, input_name: str) -> Any:
        try:
            return self.run_nested(nested, input_name)
        except HonuaError as error:
            raise chain_error(error, nested.process_id, input_name) from None


def _multiple(description: ProcessDescription, name: str) -> bool:
    parameter = description.input(name)
    return parameter is not None and parameter.multiple


def _geoserver_chain(href: str) -> bool:
    """GeoServer's name for "this server's WPS" in a chained Execute (``http://geoserver/wps``,
    as its request builder writes it): never fetched, always run here."""
    try:
        parts = urlsplit(href)
    except ValueError:  # not a URL at all: the fetcher refuses it with its reason
        return False
    return (parts.scheme in ("http", "https") and parts.hostname == "geoserver"
            and parts.path.rstrip("/") in ("/wps", "/geoserver/wps", "/ows", "/geoserver/ows"))


def chain_error(error: HonuaError, process_id: str, input_name: str) -> HonuaError:
    """``error`` of a chained process, saying which process and which input it fed."""
    message = f"process {process_id!r} (chained into input {input_name!r}) failed: {error.message}"
    if isinstance(error, OwsException):
        return OwsException(error.code, message, locator=error.parameter or input_name,
                            status=error.status, code2=error.code2)
    if isinstance(error, Unauthenticated):  # still a 401 with its WWW-Authenticate challenge
        return type(error)(message, parameter=error.parameter or input_name)
    wrapped = HonuaError(message, parameter=error.parameter or input_name)
    wrapped.kind = error.kind
    return wrapped


def adapt(parameter: Parameter, value: Any) -> Any:
    """A value produced elsewhere (a job output) as ``parameter`` takes it."""
    if parameter.data_type is DataType.FEATURES and isinstance(value, Geometry):
        return FeatureCollection.from_geometries([value.shape], crs=value.crs)
    if parameter.data_type is DataType.GEOMETRY and isinstance(value, FeatureCollection):
        return Geometry.only_one(value, parameter.name)
    return value
