"""What a process is, described neutrally for every adapter."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from honua.core.parameters import Parameter


class JobControl(enum.StrEnum):
    SYNC = "sync"
    ASYNC = "async"


class ResourceClass(enum.StrEnum):
    CPU_BURST = "cpu-burst"
    DB_HEAVY = "db-heavy"
    LONG_TAIL = "long-tail"
    GPU = "gpu"


@dataclass(frozen=True)
class Limits:
    """Per-process limits; ``None`` means the server's default."""

    max_run_time: float | None = None
    """Wall-clock seconds before the job ends timed-out."""
    memory_mb: int | None = None
    cpu_seconds: int | None = None
    max_input_bytes: int | None = None
    max_features: int | None = None
    max_vertices: int | None = None
    """Vertices of all geometries in one request; at most the server's ``max_vertices``."""


@dataclass(frozen=True)
class ProcessDescription:
    id: str
    title: str
    description: str = ""
    version: str = "1.0.0"
    category: str = ""
    keywords: tuple[str, ...] = ()
    inputs: tuple[Parameter, ...] = ()
    outputs: tuple[Parameter, ...] = ()
    job_control: tuple[JobControl, ...] = (JobControl.SYNC, JobControl.ASYNC)
    resource_class: ResourceClass = ResourceClass.CPU_BURST
    limits: Limits = field(default_factory=Limits)
    tiers: tuple[str, ...] = ("shapely",)
    """The tiers it runs on, in preference order (``core.tiers``): ``shapely`` (tier 1),
    ``postgis`` (tier 2, SQL where the data lives), or a plugin's."""
    feature_wise: bool = False
    """The process maps the features of its first feature input independently (one output
    feature set per input feature set, concatenable): over a layer reference it runs chunk by
    chunk with bounded memory."""
    whole_layer_when: tuple[str, ...] = ()
    """Inputs that, when given a true or non-empty value (e.g. ``dissolve``), make a
    feature-wise process combine features, so that it needs the whole layer at once."""

    def input(self, name: str) -> Parameter | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> Parameter | None:
        return next((p for p in self.outputs if p.name == name), None)

    @property
    def allows_sync(self) -> bool:
        return JobControl.SYNC in self.job_control

    @property
    def allows_async(self) -> bool:
        return JobControl.ASYNC in self.job_control


@dataclass(frozen=True)
class ProcessDefinition:
    """A description plus the function that implements it."""

    description: ProcessDescription
    function: Callable[..., Any]
    single_output: bool = True
    """The function returns one value (output ``result``) rather than a dict."""
    module: str = ""
    workflow: Any = None
    """A ``core.workflow_document.Workflow`` when this process is a workflow: it runs in the
    workflow engine (``core.workflows``), never in a worker."""

    @property
    def id(self) -> str:
        return self.description.id

    def normalise_outputs(self, returned: Any) -> Mapping[str, Any]:
        if self.single_output:
            return {self.description.outputs[0].name: returned}
        if not isinstance(returned, Mapping):
            raise TypeError(f"process {self.id!r} must return a dict of outputs")
        return returned
