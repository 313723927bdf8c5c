"""One frozen settings object, built once at start-up and passed down.

Values come, lowest priority first, from the defaults below, an optional TOML
file (``HONUA_CONFIG`` or ``./honua.toml``; keys are the field names, optionally
under a ``[honua]`` table), the ``HONUA_<FIELD>`` environment variables, and
keyword overrides (the CLI's options). Nothing reads the environment at import
time. The defaults give the embedded, zero-service setup: SQLite, a local
worker pool, artifacts on disk, all under ``./.honua/``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import typing
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "HONUA_"


def _default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _default_worker_user() -> str:
    # Root ignores RLIMIT_NPROC, so a fork bomb would not be stopped: workers
    # started by root drop to an unprivileged user unless told otherwise.
    return "nobody" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path(".honua")
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""
    """Public URL of the server (e.g. behind a proxy); empty = taken from each request."""

    database_url: str = ""
    """SQLAlchemy URL of the job store; empty = SQLite file in the data directory."""
    auto_migrate: bool = True
    """Upgrade a PostgreSQL job store's schema at start when it is at an older revision;
    false = refuse to start until ``honua migrate`` has run (for deployments where one
    migration step runs before new fronts and workers). The embedded SQLite store is always
    upgraded; a new database is always created at the newest revision."""
    artifacts_dir: Path | None = None
    """Where stored outputs live; empty = ``<data_dir>/artifacts``."""
    artifacts_url: str = ""
    """Where stored outputs live, as a URL: ``file:///srv/honua/artifacts`` (a folder, as
    ``artifacts_dir``) or ``s3://bucket/prefix`` (S3-compatible storage, ``s3_*`` below);
    empty = ``artifacts_dir``."""
    s3_endpoint_url: str = ""
    """S3 endpoint (MinIO, Ceph, a cloud's S3 API: ``http://127.0.0.1:9000``); empty = AWS
    (or ``AWS_ENDPOINT_URL``)."""
    s3_region: str = ""
    """Empty = ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, else ``us-east-1``."""
    s3_access_key_id: str = ""
    """Empty = the standard AWS variables (``AWS_ACCESS_KEY_ID`` ...) or instance role."""
    s3_secret_access_key: str = ""
    s3_public_endpoint_url: str = ""
    """The endpoint clients reach for signed URLs, when it differs from the one the server
    uses (fronts reach ``http://minio:9000`` inside the cluster, clients
    ``https://s3.example.org``); empty = ``s3_endpoint_url``."""
    signed_url_threshold_mb: float = 8.0
    """Outputs bigger than this are kept as objects of their own and, where the artifact
    store can sign URLs (S3), handed to clients as a signed, expiring URL instead of being
    streamed through the server."""
    signed_url_expiry_seconds: float = 900.0
    """How long a signed result URL stays valid."""

    workers: int = field(default_factory=_default_workers)
    worker_max_jobs: int = 200
    """A worker process is replaced after this many jobs (leaks cannot pile up)."""
    worker_user: str = field(default_factory=_default_worker_user)
    """Unprivileged user the workers switch to when the server runs as root; empty = stay."""
    sandbox: str = "auto"
    """Job sandbox of the workers (``executors/sandbox.py``): ``auto`` uses what this machine
    allows and warns at start about what is missing, ``required`` refuses to start without
    all of it, ``off`` only switches user (and warns)."""
    job_memory_mb: int = 4096
    """Address-space limit of a job's worker process."""
    job_cpu_seconds: int = 3600
    job_max_processes: int = 32
    """How many processes a job may create (stops fork bombs)."""
    job_max_file_mb: int = 2048
    job_timeout_seconds: float = 3600.0
    """Wall-clock limit of one job unless the process sets its own."""
    cancel_grace_seconds: float = 0.3
    """Time a cancelled job gets to stop cooperatively before its worker is killed."""

    sync_timeout_seconds: float = 600.0
    fast_path_max_features: int = 1000
    """Synchronous runs of built-in processes on at most this many features run on the
    server's own threads (no worker round trip); 0 sends everything to the workers."""
    fast_path_max_vertices: int = 100_000
    """...and at most this many vertices: anything bigger runs in a memory-limited worker."""
    retention_hours: float = 6.0
    cleanup_interval_seconds: float = 300.0
    rerun_interrupted: bool = True
    """After a crash, re-run jobs that were running (once more) instead of failing them."""
    max_attempts: int = 2

    max_body_mb: float = 100.0
    json_max_depth: int = 64
    """Deepest nesting of arrays/objects in a JSON request body (GeoJSON needs about 8)."""
    filter_max_length: int = 4_000_000
    """Characters of one CQL2 filter (text, or the JSON's text)."""
    filter_max_terms: int = 5000
    """Predicates one CQL2 filter may join with AND/OR/NOT (longer chains are 400s)."""
    filter_max_depth: int = 50
    """Nesting depth of a CQL2 filter (parentheses, NOT, arithmetic; AND/OR chains are
    balanced first, so 5,000 ORed terms nest 13 deep)."""
    filter_max_vertices: int = 100_000
    """Vertices of all geometry literals of one CQL2 filter together."""
    describe_max_identifiers: int = 100
    """Distinct process identifiers one WPS DescribeProcess may name (``all`` is always fine)."""
    cors_origins: tuple[str, ...] = ("*",)
    """Web origins allowed to call the server from a browser. ``*``: any origin, without
    credentials; a list (``https://app.example.org``): only those, echoed, with credentials;
    empty: no CORS headers at all."""
    reference_allow_hosts: tuple[str, ...] = ()
    """Hosts whose URLs may be fetched as process inputs by reference (``data.example.org``,
    ``*.example.org``, ``host:port``); loopback/private addresses only if listed as IPs or
    networks (``127.0.0.1``, ``10.0.0.0/8``); cloud metadata addresses never."""
    process_modules: tuple[str, ...] = ()
    """Extra modules whose decorated processes are served (besides entry points)."""
    demo_data: bool = False
    gp_services: tuple[dict[str, Any], ...] = ()
    """GPServer services (toolboxes) besides the default ``Geoprocessing`` one: a TOML array
    of tables ``[[honua.gp_services]]`` with ``name``, ``processes`` (ids), optional
    ``folder``, ``description``, ``execution_type`` (sync|async), ``maximum_records``."""

    layers: tuple[dict[str, Any], ...] = ()
    """Catalog layers from files: ``[[honua.layers]]`` tables with ``path`` and optional
    ``id``, ``title``, ``description``, ``layer`` (env: a JSON list)."""
    layers_dir: Path | None = None
    """Folder scanned at start for layer files; empty = ``<data_dir>/layers``."""
    features_default_limit: int = 10
    features_max_limit: int = 10000
    layer_default_ttl_hours: float = 168.0
    """Time-to-live of an output registered as a layer when the request gives none."""
    layer_max_ttl_hours: float = 24.0 * 365
    chunk_features: int = 50000
    """Features per chunk when a feature-wise process runs over a layer reference."""
    upload_max_mb: float = 200.0
    upload_max_uncompressed_mb: float = 1024.0
    upload_max_ratio: float = 100.0
    """Largest accepted expansion ratio of a zip entry (zip bomb guard)."""
    upload_max_entries: int = 1000
    upload_ttl_hours: float = 24.0
    allowed_formats: tuple[str, ...] = ("geojson", "geopackage", "flatgeobuf", "shapefile",
                                        "csv", "kml", "gml")
    """Formats accepted as uploads, each opened only with its own GDAL driver (names or
    drivers: ``geojson``/``GeoJSON``, ``geopackage``/``GPKG``, ``flatgeobuf``,
    ``shapefile``/``ESRI Shapefile`` (zipped), ``csv``, ``kml``, ``gml``). Virtual datasets
    (VRT, GDALG) and GDAL's virtual file systems are never accepted."""
    max_vertices: int = 5_000_000
    """Vertices of all geometries of one request (inline, uploads, references), on every
    path; more is refused as too large (HTTP 413)."""

    anonymous: bool | None = None
    """Whether callers without credentials are served: unset = while no API key, user or
    OIDC issuer exists (the demo), refused once one does; true = always; false = never."""
    admin_roles: tuple[str, ...] = ("admin",)
    """Roles whose holders administer the server (see every tenant's jobs)."""
    quota_running_jobs: int = 0
    """Jobs one tenant may have running at once (sync runs included); 0 = no quota."""
    quota_queued_jobs: int = 0
    """Jobs one tenant may have waiting in the queue; 0 = no quota."""
    quota_upload_mb: float = 0.0
    """Megabytes of uploads one tenant may keep at once; 0 = no quota."""
    access: tuple[dict[str, Any], ...] = ()
    """Per-process rules, ``[[honua.access]]`` tables (process, public, roles, disabled)."""
    oidc_issuer: str = ""
    """Issuer (``iss``) of the OIDC bearer tokens accepted; empty = no OIDC."""
    oidc_audience: str = ""
    """Audience (``aud``) the OIDC tokens must name; required with ``oidc_issuer``."""
    oidc_jwks: str = ""
    """The issuer's signing keys: a JWKS file path or an ``https://`` URL (fetched, cached)."""
    oidc_roles_claim: str = "roles"
    oidc_tenant_claim: str = "tenant"
    oidc_leeway_seconds: float = 60.0
    """Clock skew allowed on ``exp``/``nbf``/``iat`` (at most 300 s)."""
    token_secret: str = ""
    """Key that signs ArcGIS tokens; empty = one generated once and kept in the job store's
    database, so that every front process agrees."""
    token_minutes: int = 60
    """Validity of an ArcGIS token when generateToken asks for no ``expiration``."""
    token_max_minutes: int = 1440
    """Longest ``expiration`` generateToken grants."""

    # -- PostGIS: layers in the catalog and tier 2 (issue 12) ------------------------------------
    # PostGIS layers are ``[[honua.layers]]`` entries with a ``url`` (``postgresql://...``) and
    # ``table = "schema.name"`` or ``sql = "SELECT ..."`` (read-only), optional
    # ``geometry_column`` and ``id_column``.
    postgis_pool_size: int = 4
    """Connections per PostGIS database: the bound on concurrent tier-2 statements and reads
    (db-heavy jobs beyond it wait in their queue)."""
    postgis_pool_timeout_seconds: float = 5.0
    """How long a read or a tier-2 job waits for a pooled connection before it is refused
    (a read) or falls back to tier 1 (a job that did not pin a tier)."""
    postgis_statement_timeout_seconds: float = 30.0
    """Statement timeout of catalog reads (a tier-2 job's is its own run-time limit)."""
    postgis_catalog_url: str = ""
    """A PostGIS database (``postgresql://...``) where outputs registered as layers are kept as
    tables (schema ``honua_registered``), with the same time-to-live and ownership rules as
    the GeoPackages they are otherwise; empty = GeoPackages in the data directory."""

    # -- the engine (issue 11): one block ------------------------------------------------------
    gp_maximum_records: int = 200_000
    """Features a GPServer answer carries per output when its service sets no
    ``maximum_records``: more come back as an empty set with ``exceededTransferLimit`` and a
    warning linking to the whole result. High, because the server writes 100,000 buffered
    points (~130 MB of Esri JSON) in a few seconds; ArcGIS Server's own default is 1,000."""
    front_processes: int = 1
    """HTTP front processes sharing this job store (``honua serve --processes``): each one
    dispatches by claims in the store, at most ``workers`` jobs run in the whole server, and
    each front keeps ``ceil(workers / front_processes)`` worker processes ready."""
    queues: tuple[dict[str, Any], ...] = ()
    """Resource-class queues (``core.queues``): ``[[honua.queues]]`` tables with ``name``
    (cpu-burst, db-heavy, long-tail, gpu), ``concurrency``, ``priority``, ``backlog``."""
    owner_max_jobs: int = 0
    """Jobs one owner (user or key) may have queued or running at once; more are refused
    with 429 and a Retry-After from the queue's throughput; 0 = no limit."""
    # -- scale-out on Celery (issue 13) --------------------------------------------------------
    executor: str = "local"
    """Where queued jobs run: ``local`` (each front's worker pool) or ``celery`` (published
    to RabbitMQ and run by ``honua worker`` processes; needs a PostgreSQL ``database_url``).
    Synchronous runs, workflow parents and chunked jobs stay on the fronts either way."""
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672//"
    """The Celery broker (RabbitMQ) of ``executor = "celery"``."""
    queue_prefix: str = "honua"
    """Broker queues are ``<queue_prefix>.<resource class>``, so installations (and test
    runs) can share one broker without sharing queues."""
    # -- issue 10, part 2 (kept together, at the end) -------------------------------------------
    quota_stored_mb: float = 0.0
    """Megabytes one tenant may keep stored at once, uploads and job inputs/results
    together; past it new uploads and queued/stored jobs are refused (429); 0 = no quota."""
    worker_uid_base: int = 0
    """Root only: workers of slot N run as uid and gid ``worker_uid_base + N`` (no passwd
    entry needed; e.g. 60000) instead of all as ``worker_user``, so that RLIMIT_NPROC, which
    counts per user, holds one slot's fork bomb without stopping other slots' jobs from
    forking; 0 = every slot runs as ``worker_user``."""
    # -- provenance, workflows, callbacks (issue 15) ------------------------------------------
    provenance_inline_kb: int = 256
    """Inputs whose canonical JSON is larger are kept beside the job, only their hash inline."""
    workflow_reuse: bool = True
    """Partial-result cache: a workflow step identical to an earlier succeeded run of the
    same tenant (process, version, input hashes) reuses its kept outputs."""
    workflow_no_reuse: tuple[str, ...] = ()
    """Processes whose results are never reused by the cache."""
    workflow_max_steps: int = 100
    workflow_max_parallel: int = 8
    """Steps of one workflow running at once (the pool's slots bound them too)."""
    workflows: tuple[dict[str, Any], ...] = ()
    """Workflows deployed as processes from the config file: ``[[honua.workflows]]`` tables,
    each a workflow document (id, inputs, steps, outputs)."""
    deployed_resync_seconds: float = 30.0
    """Every front re-reads the deployed workflows this often even without being told of a
    deploy (each deploy and undeploy is announced to every front at once; this is the
    safety net for a lost announcement)."""
    webhook_secret: str = ""
    """Key of the HMAC-SHA256 signature (``X-Honua-Signature``) of every callback POST."""
    webhooks: tuple[str, ...] = ()
    """URLs told of every job's end (success or failure), as OGC ``subscriber`` URIs are."""
    webhook_attempts: int = 5
    webhook_backoff_seconds: float = 1.0
    """Delay before the first retry of a failed delivery; doubled at every retry."""
    webhook_timeout_seconds: float = 10.0
    webhook_allow_hosts: tuple[str, ...] = ()
    """Hosts callbacks may reach although the SSRF guard refuses them (loopback in tests)."""
    # -- operations and lean outputs (issue 14): logs, metrics, compression, precision --------
    log_format: str = "text"
    """Log lines as ``text`` (for a terminal) or ``json`` (one object a line, for a log
    shipper); either way each line of a request carries its request id."""
    log_level: str = "info"
    access_log: bool = True
    """One log line per HTTP request (method, path, status, bytes, time, request id)."""
    metrics_public: bool = False
    """Whether ``/metrics`` answers anyone; false = only loopback callers and admins."""
    gzip_min_bytes: int = 1024
    """Responses smaller than this are sent uncompressed (compression would not pay)."""

    @property
    def resolved_layers_dir(self) -> Path:
        return self.layers_dir or self.data_dir / "layers"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'honua.db').resolve()}"

    @property
    def resolved_artifacts_dir(self) -> Path:
        if self.artifacts_url.startswith("file://"):
            return Path(urllib.parse.unquote(urllib.parse.urlsplit(self.artifacts_url).path))
        return self.artifacts_dir or self.data_dir / "artifacts"

    @property
    def signed_url_threshold_bytes(self) -> int:
        return int(self.signed_url_threshold_mb * 1024 * 1024)

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1024 * 1024)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: _convert(self, k, v) for k, v in changes.items()})


def load_settings(
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings from defaults, TOML file, environment and overrides."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = config_file or (Path(env[f"{ENV_PREFIX}CONFIG"]) if f"{ENV_PREFIX}CONFIG" in env else None)
    if path is None and Path("honua.toml").is_file():
        path = Path("honua.toml")
    if path is not None:
        document = tomllib.loads(path.read_text())
        values.update(document.get("honua", document))
    names = {f.name for f in dataclasses.fields(Settings)}
    for key, raw in env.items():
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :].lower() in names:
            values[key[len(ENV_PREFIX) :].lower()] = raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    defaults = Settings()
    return Settings(**{k: _convert(defaults, k, v) for k, v in values.items()})


_HINTS: dict[str, Any] = {}


def _convert(settings: Settings, name: str, value: Any) -> Any:
    """Turn a TOML/env value into the field's type; converting twice changes nothing."""
    if not _HINTS:
        _HINTS.update(typing.get_type_hints(Settings))
    hint = _HINTS[name]
    if hint in (Path, Path | None):
        return Path(value) if value not in (None, "") else None if hint != Path else Path(".")
    if hint == bool | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        hint = bool
    if hint is bool:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if hint is int:
        return int(value)
    if hint is float:
        return float(value)
    if hint == tuple[str, ...]:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return tuple(value)
    if hint == tuple[dict[str, Any], ...]:
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else []
        return tuple(dict(v) for v in value)
    return value
