"""The seams of Honua as small Protocols.

Stores and executors (job store, artifact store, executor, catalog, upload
store) each have an in-memory or embedded implementation and a scaled-out one,
picked by configuration in ``app.py``; the core only ever sees these Protocols.
``JobService`` and ``Services`` are what the protocol adapters are given: the
adapters see the core through them, never through ``app.py``.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

if TYPE_CHECKING:
    from honua.core.authenticate import Authenticator
    from honua.core.catalog import FeatureQuery, LayerInfo
    from honua.core.description import ProcessDefinition
    from honua.core.execution import Execution, ExecutionListener, RunLimits, WorkItem
    from honua.core.fronts import Front
    from honua.core.identity import ApiKey, User
    from honua.core.jobs import Job, JobStatus, Message
    from honua.core.planning import RunResult
    from honua.core.provenance import ProvenanceRecord
    from honua.core.references import LayerService
    from honua.core.registry import Registry
    from honua.core.requests import ExecutionOptions
    from honua.core.stored_outputs import StoredValue
    from honua.geo.features import FeatureCollection
    from honua.settings import Settings
    from honua.store.uploads import Incoming, Upload, UploadLimits


class JobStore(Protocol):
    """Durable job records. Every write is committed before the call returns."""

    def create(self, job: Job, messages: Sequence[Message] = (), *, queue: str = "",
               priority: int = 0, holder: str = "") -> None:
        """Store a new job (and its first messages) in one write; ``Conflict`` if the id exists.
        A queued job names its ``queue`` (resource class) and that queue's ``priority``; a job
        stored already running names the front process that runs it (its ``holder``), or the
        other fronts would take it for an orphan and run it a second time."""
        ...

    def get(self, job_id: str) -> Job:
        """The job; raises ``NoSuchJob``."""
        ...

    def update(self, job: Job, *, expected: JobStatus | None = None,
               messages: Sequence[Message] = ()) -> bool:
        """Write ``job`` (and append ``messages``, in the same write); with ``expected``,
        only if the stored status still is that (compare-and-set). Returns whether it
        was written."""
        ...

    def set_progress(self, job_id: str, percent: int, message: str | None,
                     now: dt.datetime) -> None:
        """Record progress of a running job (ignored if it is no longer running)."""
        ...

    def claim_next(self, now: dt.datetime, *, front: str = "", limit: int | None = None,
                   queues: Mapping[str, int] | None = None) -> Job | None:
        """Atomically move the submitted job of highest queue priority (oldest first) to
        running and return it, recording ``front`` as its holder; None when nothing is
        queued or, with ``limit``, when that many jobs are running already (in the whole
        store, whichever front runs them). ``queues`` (name -> concurrency) skips the
        queues that have that many running."""
        ...

    def queue_stats(self, queue: str, since: dt.datetime) -> tuple[int, int]:
        """Jobs waiting in ``queue``, and jobs of it that finished since ``since``."""
        ...

    def heartbeat(self, front: Front, now: dt.datetime) -> None:
        """Record that ``front`` is alive at ``now`` (``core.fronts``)."""
        ...

    def fronts(self) -> builtins.list[Front]: ...

    def forget_fronts(self, ids: Iterable[str]) -> None: ...

    def orphans(self, live: Iterable[str]) -> builtins.list[Job]:
        """Running or cancelling jobs whose holder is none of the ``live`` front ids."""
        ...

    def add_messages(self, job_id: str, messages: Sequence[Message]) -> None: ...

    def messages(self, job_id: str) -> list[Message]: ...

    def list(self, *, statuses: Iterable[JobStatus] | None = None,
             process_id: str | None = None, owner: str | None = None,
             tenant: str | None = None,
             created_from: dt.datetime | None = None, created_to: dt.datetime | None = None,
             limit: int = 100, offset: int = 0) -> tuple[list[Job], int]:
        """Newest first, and the total count matching the filters (creation time inclusive)."""
        ...

    def expired(self, now: dt.datetime) -> builtins.list[str]:
        """Ids of finished jobs whose expiry time has passed."""
        ...

    def delete(self, job_id: str) -> None:
        """Remove the job, its messages and its provenance record (unless that record
        made layers, which keep pointing to it)."""
        ...

    # -- the provenance ledger (``core.provenance``) ---------------------------------------
    def put_provenance(self, record: ProvenanceRecord) -> None:
        """Write (or replace) a job's provenance record."""
        ...

    def provenance(self, job_id: str) -> ProvenanceRecord | None: ...

    def provenance_children(self, parent: str) -> builtins.list[ProvenanceRecord]:
        """The records of the runs that were part of job ``parent``, oldest first."""
        ...

    def provenance_of_layer(self, collection_id: str) -> ProvenanceRecord | None:
        """The newest record of a run that registered ``collection_id``."""
        ...

    def reusable(self, tenant: str, key: str) -> builtins.list[ProvenanceRecord]:
        """Succeeded runs of ``tenant`` with cache key ``key``, newest first."""
        ...

    def probe_write(self) -> None:
        """Prove the store takes writes now (a write that is rolled back, never seen);
        raises ``Unavailable`` saying why not. ``/ready`` calls it."""
        ...

    def close(self) -> None: ...


class BrokerStore(JobStore, Protocol):
    """A job store that hands jobs to a broker (``executor = "celery"``: the SQL store on
    PostgreSQL). The front publishes each job of ``unpublished`` then marks it; a worker's
    ``claim`` of that job is the compare-and-set that makes a duplicate message a no-op."""

    def claim(self, job_id: str, now: dt.datetime, *, front: str) -> Job | None:
        """Job ``job_id`` from submitted to running, held by ``front``; None if not submitted."""
        ...

    def holder(self, job_id: str) -> str | None: ...

    def unpublished(self, limit: int = 100) -> builtins.list[Job]:
        """Submitted jobs not marked as published (new, or re-queued since)."""
        ...

    def mark_published(self, job_id: str) -> bool:
        """Mark a still-submitted job as handed to the broker; False if it moved on."""
        ...


class Broker(Protocol):
    """Where a front sends queued jobs in Celery mode (``executors.celery_app.Broker``)."""

    def publish(self, job_id: str, resource_class: str, limits: RunLimits) -> None: ...

    def revoke(self, job_id: str) -> None: ...

    def close(self) -> None: ...


class UsageLedger(Protocol):
    """Bytes each tenant keeps stored, item by item (``uploads/<id>/``, ``jobs/<id>/...``):
    what the stored-bytes quotas read instead of walking the files."""

    def add(self, key: str, tenant: str, size: int) -> None:
        """Record ``key`` of ``tenant`` as ``size`` bytes (again: replaces the old size)."""
        ...

    def remove_prefix(self, prefix: str) -> None:
        """Forget every item whose key starts with ``prefix``."""
        ...

    def total(self, tenant: str, prefix: str = "") -> int:
        """Bytes of ``tenant``'s items whose key starts with ``prefix``."""
        ...

    def replace_prefix(self, prefix: str, items: Iterable[tuple[str, str, int]]) -> None:
        """Forget the items under ``prefix`` and record ``items`` (key, tenant, size) instead,
        in one step: how a store re-counts what it holds at start."""
        ...


class ArtifactStore(Protocol):
    """Stored bytes by key (``jobs/<id>/outputs.json`` ...): files on disk or S3 objects."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes:
        """The bytes; raises ``NotFound``."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete_prefix(self, prefix: str) -> None: ...

    def local_path(self, key: str) -> Path | None:
        """A file path to serve the artifact from, when the store is local."""
        ...

    def put_file(self, key: str, path: Path) -> None:
        """Store the file at ``path`` under ``key`` and take it (``path`` is gone after):
        moved on a disk, streamed (multipart) to S3 -- never read whole into memory."""
        ...

    def size(self, key: str) -> int:
        """The artifact's size in bytes; raises ``NotFound``."""
        ...

    def iter_bytes(self, key: str) -> Iterator[bytes]:
        """The artifact's bytes in chunks, so a big one is never whole in memory; raises
        ``NotFound`` before the first chunk."""
        ...

    def signed_url(self, key: str, expires: dt.timedelta) -> str | None:
        """A URL anyone may GET the artifact from until ``expires`` has passed, or None when
        this store cannot give one (files on disk: the server streams those itself)."""
        ...

    def folders(self, folder: str) -> list[str]:
        """Names of the folders directly inside ``folder`` (``"uploads"`` -> upload ids),
        sorted; [] when there is none. How one front finds what other fronts stored."""
        ...

    def check(self) -> str:
        """What a readiness probe asks: a short "fine" text, or ``Unavailable`` saying what
        is wrong (a missing bucket, an unwritable folder, an unreachable endpoint)."""
        ...


class Executor(Protocol):
    """Runs work items somewhere (a local worker pool, Celery workers...)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def free_slots(self) -> int:
        """How many more items would start right away."""
        ...

    def submit(self, item: WorkItem, listener: ExecutionListener, *, priority: bool = False) -> None:
        """Queue ``item``; ``priority`` items (synchronous requests) go first."""
        ...

    def cancel(self, job_id: str) -> bool:
        """Stop the item of ``job_id`` (cooperatively, then by force). False if unknown."""
        ...


class Catalog(Protocol):
    """Layers (collections) that OGC API - Features serves and processes can read.

    Files through GDAL today (``honua.store.catalog_files``); PostGIS tables
    fit behind the same calls, pushing ``FeatureQuery.filter`` into SQL.
    """

    def list(self) -> list[LayerInfo]: ...

    def get(self, collection_id: str) -> LayerInfo:
        """The layer; raises ``NoSuchLayer``."""
        ...

    def read(self, collection_id: str, query: FeatureQuery) -> FeatureCollection:
        """The features ``query`` selects (its ``limit``/``offset`` window), filter pushed down."""
        ...

    def iter_chunks(self, collection_id: str, query: FeatureQuery,
                    chunk_size: int | None = None) -> Iterator[FeatureCollection]:
        """The same features in chunks, streamed: memory bounded by the chunk."""
        ...

    def count(self, collection_id: str, query: FeatureQuery) -> int: ...

    def feature(self, collection_id: str, feature_id: str) -> FeatureCollection:
        """One feature by id; raises ``NotFound``."""
        ...

    def register(self, collection_id: str, chunks: Iterable[FeatureCollection], *, title: str = "",
                 description: str = "", owner: str = "", tenant: str = "",
                 expires: dt.datetime | None = None, overwrite: bool = False,
                 job_id: str = "") -> LayerInfo:
        """Store ``chunks`` durably as a new layer; ``Conflict`` if the id is taken (unless
        ``overwrite`` by its owner)."""
        ...

    def remove(self, collection_id: str) -> None: ...

    def remove_expired(self, now: dt.datetime) -> int:
        """Remove registered layers past their time-to-live; returns how many."""
        ...


class UploadStore(Protocol):
    """Two-step uploads shared by every adapter (``honua.store.uploads.UploadStore``).

    An upload belongs to its uploader: ``owner``/``tenant`` given, anyone else's id is
    ``NoSuchUpload``.
    """

    limits: UploadLimits

    def begin(self, filename: str, *, owner: str = "", tenant: str = "", media_type: str = "",
              description: str = "") -> Incoming:
        """Start receiving a file (``Incoming.write`` then ``commit``)."""
        ...

    def add(self, data: bytes | BinaryIO | Iterable[bytes], filename: str, *, owner: str = "",
            tenant: str = "", media_type: str = "", description: str = "") -> Upload: ...

    def get(self, upload_id: str, *, owner: str | None = None,
            tenant: str | None = None) -> Upload: ...

    def list(self, *, owner: str | None = None, tenant: str | None = None) -> list[Upload]: ...

    def path(self, upload: Upload) -> Path:
        """The uploaded file (a data file handed to a process as it is)."""
        ...

    def read_features(self, upload: Upload) -> FeatureCollection: ...

    def delete(self, upload_id: str, *, owner: str | None = None,
               tenant: str | None = None) -> Upload: ...

    def cleanup(self, now: dt.datetime | None = None) -> int: ...


class IdentityStore(Protocol):
    """API keys, built-in users and server secrets, in the job store's database so that every
    front process sees the same ones. Keys and users are unique by name."""

    def add_key(self, key: ApiKey) -> None:
        """Store a new key; ``Conflict`` if one of that name exists."""
        ...

    def key(self, name: str) -> ApiKey | None: ...

    def key_by_digest(self, digest: str) -> ApiKey | None: ...

    def all_keys(self) -> builtins.list[ApiKey]:
        """Every key, revoked and expired ones too, by name."""
        ...

    def revoke_key(self, name: str) -> ApiKey:
        """Mark the key revoked (for good); ``NotFound`` if there is none of that name."""
        ...

    def add_user(self, user: User, *, replace: bool = False) -> None:
        """Store a user; ``Conflict`` if one of that name exists, unless ``replace``."""
        ...

    def user(self, name: str) -> User | None: ...

    def all_users(self) -> builtins.list[User]: ...

    def has_identities(self) -> bool:
        """Whether any key or user exists (anonymous callers are then refused by default)."""
        ...

    def secret(self, name: str) -> bytes:
        """The server secret ``name``: made (32 random bytes) the first time any process asks,
        the same for every process afterwards."""
        ...

    def close(self) -> None: ...


class JobService(Protocol):
    """What adapters ask of the job manager (``honua.core.manager.JobManager``)."""

    registry: Registry
    layers: LayerService | None

    def run(self, process_id: str, raw_inputs: Mapping[str, Any], options: ExecutionOptions,
            *, owner: str = "", tenant: str = "") -> Future[RunResult]:
        """Validate now, run as ``core.planning`` decides; see ``JobManager.run``."""
        ...

    def execute(self, process_id: str, raw_inputs: Mapping[str, Any],
                options: ExecutionOptions | None = None, *, owner: str = "",
                tenant: str = "") -> Future[Execution]: ...

    def submit(self, process_id: str, raw_inputs: Mapping[str, Any],
               options: ExecutionOptions | None = None, *, owner: str = "",
               tenant: str = "") -> Job: ...

    def get(self, job_id: str) -> Job: ...

    def wait(self, job_id: str, timeout: float) -> Job: ...

    def wait_for_change(self, job_id: str, since: Job | None, timeout: float) -> Job:
        """The job once its record differs from ``since`` (or after ``timeout`` s), woken by
        the store's change notification from any front process: for event streams and
        long-polls (``core.changes``)."""
        ...

    async def changed(self, job_id: str, timeout: float) -> bool:
        """Until the job may have changed, or ``timeout`` seconds (live followers)."""
        ...

    def messages(self, job_id: str) -> list[Message]: ...

    def list(self, *, min_duration: float | None = None, max_duration: float | None = None,
             limit: int = 100, offset: int = 0, **filters: Any) -> tuple[list[Job], int]: ...

    def inputs(self, job_id: str) -> dict[str, Any]: ...

    def results(self, job_id: str, skip: Collection[str] = ()) -> dict[str, Any]: ...

    def keep_results(self, job_id: str, outputs: Mapping[str, Any]) -> Job: ...

    def results_json(self, job_id: str, skip: Collection[str] = ()) -> bytes: ...

    def result_file(self, job_id: str, name: str) -> Path | None: ...

    def result_values(self, job_id: str) -> dict[str, StoredValue | None]: ...

    def result_url(self, job_id: str, name: str) -> str | None: ...

    def cancel(self, job_id: str) -> Job: ...

    def dismiss(self, job_id: str) -> Job: ...

    def provenance(self, job_id: str
                   ) -> tuple[ProvenanceRecord, builtins.list[ProvenanceRecord]]: ...

    def layer_provenance(self, collection_id: str) -> ProvenanceRecord | None: ...

    def ran_on(self, job: Job) -> dict[str, Any] | None:
        """``{host, pid}`` of the process that runs or ran the job, when known."""
        ...

    def reproduce(self, job_id: str, *, owner: str = "", tenant: str = "") -> dict[str, Any]: ...

    def workflow(self, document: Any, processes: Any = None) -> ProcessDefinition:
        """The process of an ad-hoc workflow document, checked for the caller."""
        ...

    def deploy(self, document: Any) -> ProcessDefinition: ...

    def undeploy(self, process_id: str) -> None: ...

    def prepare(self, process_id: str, raw_inputs: Mapping[str, Any], options: ExecutionOptions,
                *, owner: str = "", tenant: str = ""
                ) -> tuple[ProcessDefinition, dict[str, Any], tuple[str, ...]]: ...


class SubscriptionSecrets(Protocol):
    """Who signs callbacks (``web.callbacks``): each subscription's own secret, handed out once."""

    def secret_for(self, job_id: str) -> str: ...


class Services(Protocol):
    """Everything the protocol adapters share, built from the settings by ``app.py``."""

    settings: Settings
    registry: Registry
    manager: JobService
    catalog: Catalog
    uploads: UploadStore
    authenticator: Authenticator
    callbacks: SubscriptionSecrets
