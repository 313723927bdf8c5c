"""What crosses the line between the job manager and an executor."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from honua.core.context import MessageLevel
from honua.core.jobs import Job, Message

if TYPE_CHECKING:
    from honua.core.description import Limits
    from honua.core.esri_values import EsriEncoding
    from honua.settings import Settings


@dataclass(frozen=True)
class RunLimits:
    """Resolved limits for one run (the process's own, else the server's)."""

    timeout_seconds: float
    memory_mb: int
    cpu_seconds: int
    max_processes: int
    max_file_mb: int


@dataclass(frozen=True)
class WorkItem:
    """One run of a process.

    Inputs travel either as bound values (sync requests, already validated in
    the front process) or as the stored neutral JSON (queued jobs), which the
    worker decodes itself. With ``return_json`` the worker hands back outputs
    already encoded for storage, so the front process does no heavy work.
    """

    job_id: str
    process_id: str
    limits: RunLimits
    inputs: Mapping[str, Any] | None = None
    inputs_json: bytes | None = None
    outputs: tuple[str, ...] = ()
    return_json: bool = False
    tier: str = ""
    """The tier it is planned on (``core.tiers``)."""
    pinned_tier: str = ""
    """The tier the request pinned: an executor that cannot run it fails the job rather than
    falling back (``core.tiers``)."""
    max_vertices: int = 0
    """The vertex cap the worker checks after decoding ``inputs_json`` (0: none), for
    inputs the front process left as text (``core.json_text``)."""
    esri: EsriEncoding | None = None
    """With ``return_json``: feature outputs written as Esri JSON, as this asks
    (``core.esri_outputs``), for a front process that answers with them as they are."""
    job: Job | None = None
    """The job record, for a tier that keeps outputs where it computes them (a tier-2
    ``registerAs`` written inside the database needs its owner, tenant and options); tier 1
    gets None."""


class OutcomeStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed-out"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Outcome:
    status: OutcomeStatus
    outputs: Mapping[str, Any] = field(default_factory=dict)
    outputs_json: bytes | None = None
    error: str = ""
    error_kind: str = ""
    """The neutral error kind for a failure caused by the request (e.g. invalid-parameter)."""
    duration: float = 0.0
    tier: str = ""
    """The tier that ran, when it is not the one the job was planned on (a fallback)."""
    worker: Mapping[str, Any] = field(default_factory=dict)
    """Where it ran (host, pid, kind), for the provenance ledger."""
    output_hashes: Mapping[str, Any] = field(default_factory=dict)
    """``{name: {"sha256", "bytes"}}`` of ``outputs_json``'s values, when the executor
    encoded them (the front process then never parses big outputs to hash them)."""


@dataclass(frozen=True)
class Execution:
    """A finished synchronous run: the job record and its output values."""

    job: Job
    outputs: Mapping[str, Any]
    messages: tuple[Message, ...] = ()


class ExecutionListener(Protocol):
    """Called by executors from their own threads; must be quick and never raise."""

    def on_start(self, job_id: str) -> None: ...

    def on_progress(self, job_id: str, percent: float, message: str | None) -> None: ...

    def on_message(self, job_id: str, level: MessageLevel, text: str) -> None: ...

    def on_finish(self, job_id: str, outcome: Outcome) -> None: ...


def run_limits(limits: Limits, settings: Settings, *, sync: bool = False) -> RunLimits:
    """The limits one run of a process gets: its own where it sets them, else the server's;
    a synchronous run never outlives the synchronous limit."""
    timeout = limits.max_run_time or settings.job_timeout_seconds
    if sync:
        timeout = min(timeout, settings.sync_timeout_seconds)
    return RunLimits(
        timeout_seconds=timeout,
        memory_mb=limits.memory_mb or settings.job_memory_mb,
        cpu_seconds=limits.cpu_seconds or settings.job_cpu_seconds,
        max_processes=settings.job_max_processes,
        max_file_mb=settings.job_max_file_mb,
    )
