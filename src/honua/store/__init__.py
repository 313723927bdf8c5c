"""Persistence: the job store and the artifact store, chosen by the settings.

``open_job_store`` gives SQLite (embedded default, a file in the data folder)
or PostgreSQL, whichever ``settings.resolved_database_url`` names;
``open_artifact_store`` gives a folder on disk. The in-memory stores in
``honua.store.memory`` are for tests and never chosen by configuration.
"""

from __future__ import annotations

from honua.core.changes import Notifier
from honua.settings import Settings
from honua.store.artifacts_fs import FilesystemArtifactStore
from honua.store.identity_sql import SqlIdentityStore
from honua.store.jobs_sql import SqlJobStore
from honua.store.memory import (
    MemoryArtifactStore,
    MemoryIdentityStore,
    MemoryJobStore,
    MemoryUsageLedger,
)
from honua.store.usage_sql import SqlUsageLedger
from honua.types import ArtifactStore, Catalog, IdentityStore, JobStore, UsageLedger

__all__ = [
    "FilesystemArtifactStore", "MemoryArtifactStore", "MemoryIdentityStore", "MemoryJobStore",
    "MemoryUsageLedger", "SqlIdentityStore", "SqlJobStore", "SqlUsageLedger",
    "open_artifact_store", "open_catalog", "open_identity_store", "open_job_store",
    "open_notifier", "open_usage_ledger",
]


def open_job_store(settings: Settings) -> JobStore:
    """The job store at ``settings.resolved_database_url`` (``sqlite:`` or ``postgresql:``)."""
    return SqlJobStore(settings.resolved_database_url, auto_migrate=settings.auto_migrate)


def open_notifier(settings: Settings) -> Notifier:
    """Job change notifications that reach every front process sharing the job store:
    LISTEN/NOTIFY on PostgreSQL, Unix datagrams between the processes of one machine on
    SQLite (``core.changes``)."""
    url = settings.resolved_database_url
    if url.startswith("postgres"):
        from honua.store.notify_pg import PostgresChanges

        return PostgresChanges(url)
    from honua.store.notify_local import SocketChanges

    return SocketChanges(settings.data_dir / "run" / "changes")


def open_identity_store(settings: Settings) -> IdentityStore:
    """API keys and users in the job store's database (every front process sees them)."""
    return SqlIdentityStore(settings.resolved_database_url)


def open_usage_ledger(settings: Settings) -> UsageLedger:
    """Each tenant's stored bytes, item by item, in the job store's database."""
    return SqlUsageLedger(settings.resolved_database_url)


def open_artifact_store(settings: Settings) -> ArtifactStore:
    """Objects on S3 when ``artifacts_url`` is ``s3://bucket/prefix``, else the artifact
    folder ``settings.resolved_artifacts_dir`` (``file://...`` or ``artifacts_dir``)."""
    url = settings.artifacts_url
    if url.startswith("s3://"):
        from honua.store.artifacts_s3 import S3ArtifactStore  # obstore only when used

        return S3ArtifactStore.from_url(
            url, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            public_endpoint_url=settings.s3_public_endpoint_url)
    if url and not url.startswith("file://"):
        raise ValueError(f"artifacts_url {url!r}: use file:///folder or s3://bucket/prefix")
    return FilesystemArtifactStore(settings.resolved_artifacts_dir)


def open_catalog(settings: Settings) -> Catalog:
    """The file catalog, joined by the PostGIS one when a configured layer has a ``url``."""
    from honua.store.catalog_files import FileCatalog

    files = FileCatalog.from_settings(settings)
    if not any(spec.get("url") for spec in settings.layers) and not settings.postgis_catalog_url:
        return files
    from honua.store.catalog_postgis import PostGISCatalog
    from honua.store.catalog_union import CatalogUnion
    from honua.store.pg_pools import Pools

    pools = Pools(size=settings.postgis_pool_size, timeout=settings.postgis_pool_timeout_seconds)
    postgis = PostGISCatalog([s for s in settings.layers if s.get("url")], pools,
                             statement_timeout=settings.postgis_statement_timeout_seconds,
                             chunk_size=settings.chunk_features,
                             registered_url=settings.postgis_catalog_url)
    return CatalogUnion(files, postgis)

