"""Persistence: the job store and the artifact store, chosen by the settings.

``open_job_store`` gives SQLite (embedded default, a file in the data folder)
or PostgreSQL, whichever ``settings.resolved_database_url`` names;
``open_artifact_store`` gives a folder on disk. The in-memory stores in
``honua.store.memory`` are for tests and never chosen by configuration.
"""

from __future__ import annotations

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
from honua.types import ArtifactStore, IdentityStore, JobStore, UsageLedger

__all__ = [
    "FilesystemArtifactStore", "MemoryArtifactStore", "MemoryIdentityStore", "MemoryJobStore",
    "MemoryUsageLedger", "SqlIdentityStore", "SqlJobStore", "SqlUsageLedger",
    "open_artifact_store", "open_identity_store", "open_job_store", "open_usage_ledger",
]


def open_job_store(settings: Settings) -> JobStore:
    """The job store at ``settings.resolved_database_url`` (``sqlite:`` or ``postgresql:``)."""
    return SqlJobStore(settings.resolved_database_url)


def open_identity_store(settings: Settings) -> IdentityStore:
    """API keys and users in the job store's database (every front process sees them)."""
    return SqlIdentityStore(settings.resolved_database_url)


def open_usage_ledger(settings: Settings) -> UsageLedger:
    """Each tenant's stored bytes, item by item, in the job store's database."""
    return SqlUsageLedger(settings.resolved_database_url)


def open_artifact_store(settings: Settings) -> ArtifactStore:
    """The artifact folder ``settings.resolved_artifacts_dir``."""
    return FilesystemArtifactStore(settings.resolved_artifacts_dir)
