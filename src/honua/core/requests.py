"""What a client asks of a run besides its inputs, as frozen neutral values.

Each adapter's decoder builds these from its own wire form (OGC API output
objects, WPS ``ResponseDocument``/``RawDataOutput``, GPServer fields such as
``esri_out_feature_service_name``); the core reads only these types, never a
protocol's key names. ``ExecutionOptions`` is stored with the job, so its JSON
form (``to_json``/``from_json``) is the core's own and reads what earlier
versions stored.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from honua.core.catalog import check_layer_id, parse_duration
from honua.core.esri_values import EsriEncoding
from honua.errors import InvalidParameter

SUBSCRIBER_KEYS = ("successUri", "inProgressUri", "failedUri")

__all__ = ["SUBSCRIBER_KEYS", "ExecutionOptions", "LayerRegistration", "Mode", "OutputFormat",
           "OutputRequest", "Transmission", "subscriber_from_json"]


class Mode(enum.StrEnum):
    """How the client wants to be answered: with the results (``sync``), with a job to
    follow (``async``), or as the process prefers (``auto``: sync when it allows it)."""

    SYNC = "sync"
    ASYNC = "async"
    AUTO = "auto"


class Transmission(enum.StrEnum):
    VALUE = "value"
    REFERENCE = "reference"
    """A link to the stored output instead of the value: the results must be kept."""


@dataclass(frozen=True)
class OutputFormat:
    """The encoding asked for an output (any part may be left to the server)."""

    media_type: str | None = None
    encoding: str | None = None
    schema: str | None = None


@dataclass(frozen=True)
class LayerRegistration:
    """Keep a feature output as a catalog layer (OGC API ``registerAs``, GPServer
    ``esri_out_feature_service_name``). ``ttl`` None takes the server's default."""

    collection_id: str
    title: str = ""
    description: str = ""
    ttl: dt.timedelta | None = None
    overwrite: bool = False

    def __post_init__(self) -> None:
        check_layer_id(self.collection_id)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"collectionId": self.collection_id, "title": self.title,
                               "description": self.description, "overwrite": self.overwrite}
        if self.ttl is not None:
            out["ttl"] = f"{self.ttl.total_seconds():g}s"
        return out

    @classmethod
    def from_json(cls, spec: Any) -> LayerRegistration:
        """From ``"id"`` or ``{"collectionId", "title", "description", "ttl", "overwrite"}``."""
        if isinstance(spec, str):
            spec = {"collectionId": spec}
        if not isinstance(spec, Mapping) or "collectionId" not in spec:
            raise InvalidParameter('registerAs needs at least {"collectionId": "..."}',
                                   parameter="registerAs")
        unknown = set(spec) - {"collectionId", "title", "description", "ttl", "overwrite"}
        if unknown:
            raise InvalidParameter(f"registerAs has no member {sorted(unknown)[0]!r}; use "
                                   "collectionId, title, description, ttl, overwrite",
                                   parameter="registerAs")
        overwrite = spec.get("overwrite", False)
        if not isinstance(overwrite, bool):
            raise InvalidParameter("registerAs.overwrite must be true or false",
                                   parameter="registerAs")
        ttl = spec.get("ttl")
        return cls(spec["collectionId"], str(spec.get("title") or ""),
                   str(spec.get("description") or ""),
                   None if ttl is None or ttl == "" else parse_duration(ttl), overwrite)


@dataclass(frozen=True)
class OutputRequest:
    """How one output is wanted: by value or reference, in which format, kept as a layer."""

    transmission: Transmission = Transmission.VALUE
    format: OutputFormat = field(default_factory=OutputFormat)
    uom: str | None = None
    """The unit a literal measure should be given in (WPS ``uom``)."""
    register_as: LayerRegistration | None = None

    @property
    def by_reference(self) -> bool:
        return self.transmission is Transmission.REFERENCE

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"transmission": self.transmission.value}
        for key, value in (("mediaType", self.format.media_type),
                           ("encoding", self.format.encoding), ("schema", self.format.schema),
                           ("uom", self.uom)):
            if value is not None:
                out[key] = value
        if self.register_as is not None:
            out["registerAs"] = self.register_as.to_json()
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> OutputRequest:
        data = data or {}
        registration = data.get("registerAs")
        return cls(Transmission(data.get("transmission") or "value"),
                   OutputFormat(data.get("mediaType"), data.get("encoding"), data.get("schema")),
                   data.get("uom"),
                   None if registration is None else LayerRegistration.from_json(registration))


@dataclass(frozen=True)
class ExecutionOptions:
    """How the client wants the job run and its results returned, neutrally.

    ``mode`` is what the client asked (``core.planning`` decides within what the
    process allows; ``strict`` says a mode the process does not allow is an error
    rather than a preference); ``keep`` asks for the results to be stored for later
    (they always are when an output goes by reference); ``outputs`` names the
    outputs wanted (none: all); ``response`` is ``raw`` or ``document``; ``hints``
    is an opaque dict an adapter may use to answer later in the same shape as the
    original request (the core never reads it).
    """

    mode: Mode = Mode.AUTO
    outputs: Mapping[str, OutputRequest] = field(default_factory=dict)
    response: str = "raw"
    hints: Mapping[str, Any] = field(default_factory=dict)
    strict: bool = False
    keep: bool = False
    tier: str = ""
    """The tier the client pinned (``shapely``, ``postgis``...); empty = the server chooses
    (``core.tiers``) and may fall back."""
    parent: str = ""
    """The job this run is part of (a workflow's), for the provenance ledger."""
    subscriber: Mapping[str, str] = field(default_factory=dict)
    """Callback URLs told of the job's progress and end (OGC ``subscriber``: successUri,
    inProgressUri, failedUri), delivered by the server's callback sender."""
    origins: Mapping[str, Any] = field(default_factory=dict)
    """Where inputs given by URL came from, as the adapter that read them saw it (per input
    ``{"url", "sha256"?, "bytes"?}``, or a list for a repeated input), for the ledger."""
    reuse: bool | None = None
    """Whether a workflow's steps may reuse earlier identical results (None: the server's
    ``workflow_reuse``)."""
    esri: EsriEncoding | None = None
    """Feature outputs to be written as Esri JSON where the run happens (GPServer's
    ``execute``: the front answers with them as they are, ``core.esri_outputs``). Only a
    synchronous run's answer reads it, so it is not stored with the job."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", Mode(self.mode))

    @property
    def keeps_results(self) -> bool:
        """Whether the results must be stored: asked, or an output goes by reference."""
        return self.keep or any(o.by_reference for o in self.outputs.values())

    @property
    def registrations(self) -> dict[str, LayerRegistration]:
        return {name: o.register_as for name, o in self.outputs.items()
                if o.register_as is not None}

    def output(self, name: str) -> OutputRequest:
        """What was asked of output ``name`` (the defaults when it was not named)."""
        return self.outputs.get(name) or OutputRequest()

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "outputs": {n: o.to_json() for n, o in self.outputs.items()},
                "response": self.response, "hints": dict(self.hints), "strict": self.strict,
                "keep": self.keep, "tier": self.tier,
                **({"parent": self.parent} if self.parent else {}),
                **({"reuse": self.reuse} if self.reuse is not None else {}),
                **({"subscriber": dict(self.subscriber)} if self.subscriber else {}),
                **({"origins": dict(self.origins)} if self.origins else {})}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ExecutionOptions:
        data = data or {}
        outputs = data.get("outputs") or {}
        return cls(mode=Mode(data.get("mode") or "auto"),
                   outputs={n: OutputRequest.from_json(o) for n, o in outputs.items()},
                   response=data.get("response", "raw"), hints=data.get("hints") or {},
                   strict=bool(data.get("strict", False)), keep=bool(data.get("keep", False)),
                   tier=str(data.get("tier") or ""),
                   parent=str(data.get("parent") or ""),
                   reuse=None if data.get("reuse") is None else bool(data["reuse"]),
                   subscriber=dict(data.get("subscriber") or {}),
                   origins=dict(data.get("origins") or {}))


def subscriber_from_json(value: Any) -> dict[str, str]:
    """An OGC ``subscriber`` object checked: only its three URIs, each an http(s) URL."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidParameter("subscriber must be an object with successUri, inProgressUri "
                               "and/or failedUri", parameter="subscriber")
    unknown = set(value) - set(SUBSCRIBER_KEYS)
    if unknown:
        raise InvalidParameter(f"subscriber has no member {sorted(unknown)[0][:80]!r}; use "
                               + ", ".join(SUBSCRIBER_KEYS), parameter="subscriber")
    out = {}
    for key, uri in value.items():
        if not isinstance(uri, str) or len(uri) > 2048 or not uri.startswith(
                ("http://", "https://")):
            raise InvalidParameter(f"subscriber.{key} must be an http(s) URL of at most 2048 "
                                   "characters", parameter="subscriber")
        out[key] = uri
    return out
