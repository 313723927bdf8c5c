"""WPS requests as plain values, whichever encoding (KVP, XML 1.0, XML 2.0) they came in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

V1 = "1.0.0"
V2 = "2.0.0"
VERSIONS = (V1, V2)


@dataclass(frozen=True)
class Data:
    """An input value sent inline: literal text, complex content or a bounding box."""

    kind: str  # "literal" | "complex" | "bbox" | "any" (WPS 2.0 Data, typed by the input)
    text: str | None = None
    element: Any = None  # lxml element for XML complex content / ows:BoundingBox
    mime_type: str | None = None
    encoding: str | None = None
    schema: str | None = None
    uom: str | None = None
    data_type: str | None = None
    crs: str | None = None
    corners: tuple[tuple[float, ...], tuple[float, ...]] | None = None


@dataclass(frozen=True)
class Reference:
    """An input given by reference; ``execute`` holds a nested Execute sent as the body."""

    href: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    body_href: str | None = None
    execute: ExecuteRequest | None = None
    mime_type: str | None = None
    encoding: str | None = None
    schema: str | None = None


@dataclass(frozen=True)
class InputItem:
    name: str
    value: Data | Reference


@dataclass(frozen=True)
class OutputRequest:
    name: str
    as_reference: bool = False
    mime_type: str | None = None
    encoding: str | None = None
    schema: str | None = None
    uom: str | None = None


@dataclass(frozen=True)
class ExecuteRequest:
    version: str
    process_id: str
    inputs: tuple[InputItem, ...] = ()
    outputs: tuple[OutputRequest, ...] = ()  # empty: every output, by value
    raw: bool = False  # 1.0 RawDataOutput / 2.0 response="raw"
    store: bool = False  # 1.0 storeExecuteResponse
    status: bool = False  # 1.0 status
    lineage: bool = False  # 1.0 lineage
    mode: str = "sync"  # 2.0 mode: sync | async | auto
    tier: str = ""  # Honua's KVP parameter / Execute attribute ``tier`` (core.tiers)


@dataclass(frozen=True)
class Operation:
    """A parsed request: its name, version and operation-specific parameters."""

    request: str
    version: str
    identifiers: tuple[str, ...] = ()
    job_id: str = ""
    accept_versions: tuple[str, ...] = ()
    execute: ExecuteRequest | None = None
    extra: dict[str, Any] = field(default_factory=dict)
