"""In-memory job, artifact and identity stores for unit tests.

They behave exactly like the durable stores (the conformance suite in
``tests/store`` runs against both): the same normalisation of what goes in, the
same errors, the same ordering. One lock per store makes every method atomic,
which is what the databases' transactions give the SQL store.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import secrets
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from honua.core.fronts import Front
from honua.core.identity import ApiKey, User
from honua.core.jobs import Job, JobEvent, JobStatus, Message, no_such_job
from honua.core.provenance import ProvenanceRecord
from honua.errors import Conflict, NotFound
from honua.store.artifact_keys import check_key, check_prefix
from honua.store.records import (
    as_utc,
    check_page,
    clamp_percent,
    normalise_job,
    normalise_message,
    normalise_statuses,
)

__all__ = ["MemoryArtifactStore", "MemoryIdentityStore", "MemoryJobStore"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _newest_first(job: Job) -> tuple[dt.datetime, str]:
    return job.created, job.id


class MemoryJobStore:
    """``honua.types.JobStore`` in a dictionary; lost when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._messages: dict[str, list[Message]] = {}
        self._holders: dict[str, str] = {}
        self._queues: dict[str, tuple[str, int]] = {}
        self._fronts: dict[str, Front] = {}
        self._provenance: dict[str, ProvenanceRecord] = {}
        self._layers: dict[str, str] = {}

    def create(self, job: Job, messages: Sequence[Message] = (), *, queue: str = "",
               priority: int = 0, holder: str = "") -> None:
        job = normalise_job(job)
        notes = [normalise_message(message) for message in messages]
        with self._lock:
            if job.id in self._jobs:
                raise Conflict(f"a job with id {job.id!r} already exists")
            self._jobs[job.id] = job
            self._messages[job.id] = notes
            if queue:
                self._queues[job.id] = (queue, priority)
            if holder:
                self._holders[job.id] = holder

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise no_such_job(job_id)
        return normalise_job(job)  # a fresh copy of the options: callers cannot alias ours

    def update(self, job: Job, *, expected: JobStatus | None = None,
               messages: Sequence[Message] = ()) -> bool:
        job = normalise_job(job)
        notes = [normalise_message(message) for message in messages]
        with self._lock:
            stored = self._jobs.get(job.id)
            if stored is None or (expected is not None and stored.status != expected):
                return False
            self._jobs[job.id] = job
            self._messages[job.id].extend(notes)
            return True

    def set_progress(self, job_id: str, percent: int, message: str | None,
                     now: dt.datetime) -> None:
        changes: dict[str, object] = {"progress": clamp_percent(percent),
                                      "updated": as_utc(now, name="now")}
        if message is not None:
            changes["message"] = message
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.status is JobStatus.RUNNING:
                self._jobs[job_id] = job.evolve(**changes)

    def claim_next(self, now: dt.datetime, *, front: str = "", limit: int | None = None,
                   queues: Mapping[str, int] | None = None) -> Job | None:
        now = as_utc(now, name="now")
        with self._lock:
            if limit is not None and sum(job.status is JobStatus.RUNNING
                                         for job in self._jobs.values()) >= limit:
                return None
            full: set[str] = set()
            if queues:
                running = Counter(self._queues.get(job.id, ("", 0))[0]
                                  for job in self._jobs.values() if job.status is JobStatus.RUNNING)
                full = {name for name, count in running.items()
                        if count >= queues.get(name, count + 1)}
            queued = [job for job in self._jobs.values() if job.status is JobStatus.SUBMITTED
                      and self._queues.get(job.id, ("", 0))[0] not in full]
            if not queued:
                return None
            claimed = min(queued, key=lambda job: (-self._queues.get(job.id, ("", 0))[1],
                                                   *_newest_first(job))).apply(JobEvent.START, now)
            self._jobs[claimed.id] = claimed
            if front:
                self._holders[claimed.id] = front
        return normalise_job(claimed)

    def queue_stats(self, queue: str, since: dt.datetime) -> tuple[int, int]:
        since = as_utc(since, name="since")
        with self._lock:
            mine = [job for job in self._jobs.values()
                    if self._queues.get(job.id, ("", 0))[0] == queue]
            return (sum(job.status is JobStatus.SUBMITTED for job in mine),
                    sum(job.finished is not None and job.finished >= since for job in mine))

    def heartbeat(self, front: Front, now: dt.datetime) -> None:
        with self._lock:
            self._fronts[front.id] = dataclasses.replace(front, heartbeat=as_utc(now, name="now"))

    def fronts(self) -> builtins.list[Front]:
        with self._lock:
            return builtins.list(self._fronts.values())

    def forget_fronts(self, ids: Iterable[str]) -> None:
        with self._lock:
            for front_id in ids:
                self._fronts.pop(front_id, None)

    def orphans(self, live: Iterable[str]) -> builtins.list[Job]:
        alive = set(live)
        with self._lock:
            return [job for job in self._jobs.values()
                    if job.status in (JobStatus.RUNNING, JobStatus.CANCELLING)
                    and self._holders.get(job.id) not in alive]

    def add_messages(self, job_id: str, messages: Sequence[Message]) -> None:
        """Append messages; those of a job that no longer exists are dropped."""
        normalised = [normalise_message(message) for message in messages]
        with self._lock:
            if job_id in self._messages:
                self._messages[job_id].extend(normalised)

    def messages(self, job_id: str) -> list[Message]:
        with self._lock:
            found = self._messages.get(job_id)
            result = None if found is None else list(found)
        if result is None:
            raise no_such_job(job_id)
        return result

    def list(self, *, statuses: Iterable[JobStatus] | None = None,
             process_id: str | None = None, owner: str | None = None,
             tenant: str | None = None,
             created_from: dt.datetime | None = None, created_to: dt.datetime | None = None,
             limit: int = 100, offset: int = 0) -> tuple[list[Job], int]:
        check_page(limit, offset)
        wanted = normalise_statuses(statuses)
        start = as_utc(created_from, name="created_from") if created_from else None
        end = as_utc(created_to, name="created_to") if created_to else None
        with self._lock:
            matching = [job for job in self._jobs.values()
                        if (wanted is None or job.status in wanted)
                        and (process_id is None or job.process_id == process_id)
                        and (owner is None or job.owner == owner)
                        and (tenant is None or job.tenant == tenant)
                        and (start is None or job.created >= start)
                        and (end is None or job.created <= end)]
        matching.sort(key=_newest_first, reverse=True)
        return [normalise_job(job) for job in matching[offset:offset + limit]], len(matching)

    def expired(self, now: dt.datetime) -> builtins.list[str]:  # list: the method above
        now = as_utc(now, name="now")
        with self._lock:
            gone = [job for job in self._jobs.values()
                    if job.status.finished and job.expires is not None and job.expires < now]
        return [job.id for job in sorted(gone, key=lambda job: (job.expires, job.id))]

    def delete(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)
            self._messages.pop(job_id, None)
            if job_id not in self._layers.values():
                self._provenance.pop(job_id, None)

    # -- the provenance ledger ------------------------------------------------------------------
    def put_provenance(self, record: ProvenanceRecord) -> None:
        record = ProvenanceRecord.from_json(record.to_json())  # what the SQL store keeps
        with self._lock:
            self._provenance[record.job_id] = record
            for layer in record.layers:
                self._layers[layer] = record.job_id

    def provenance(self, job_id: str) -> ProvenanceRecord | None:
        with self._lock:
            return self._provenance.get(job_id)

    def provenance_children(self, parent: str) -> builtins.list[ProvenanceRecord]:
        with self._lock:
            found = [r for r in self._provenance.values() if r.parent == parent]
        return sorted(found, key=lambda r: (r.created or r.finished or _EPOCH, r.job_id))

    def provenance_of_layer(self, collection_id: str) -> ProvenanceRecord | None:
        with self._lock:
            job_id = self._layers.get(collection_id)
            return None if job_id is None else self._provenance.get(job_id)

    def reusable(self, tenant: str, key: str) -> builtins.list[ProvenanceRecord]:
        with self._lock:
            found = [r for r in self._provenance.values()
                     if r.tenant == tenant and r.status == JobStatus.SUCCEEDED.value
                     and r.inputs and r.cache_key == key]
        found.sort(key=lambda r: (r.created or _EPOCH), reverse=True)
        return found[:5]

    def probe_write(self) -> None:
        """Memory always takes writes."""

    def close(self) -> None:
        pass


class MemoryArtifactStore:
    """``honua.types.ArtifactStore`` in a dictionary, with the filesystem store's rules.

    Keys are checked the same way, and a key cannot be both an artifact and a
    folder of others, as on a disk.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        parts = check_key(key)
        folders = {"/".join(parts[:i]) for i in range(1, len(parts))}
        with self._lock:
            if folders & self._data.keys() or any(k.startswith(key + "/") for k in self._data):
                raise Conflict(f"cannot store artifact {key!r}: a file and a folder "
                               "would have the same name")
            self._data[key] = bytes(data)

    def get(self, key: str) -> bytes:
        check_key(key)
        with self._lock:
            data = self._data.get(key)
        if data is None:
            raise NotFound(f"there is no stored artifact {key!r}")
        return data

    def exists(self, key: str) -> bool:
        check_key(key)
        with self._lock:
            return key in self._data

    def delete_prefix(self, prefix: str) -> None:
        check_prefix(prefix)
        with self._lock:
            for key in [key for key in self._data if key.startswith(prefix)]:
                del self._data[key]

    def local_path(self, key: str) -> Path | None:
        """None (nothing is on disk), or ``NotFound`` like the filesystem store."""
        if not self.exists(key):
            raise NotFound(f"there is no stored artifact {key!r}")
        return None

    def put_file(self, key: str, path: Path) -> None:
        self.put(key, path.read_bytes())  # memory holds it whole anyway
        path.unlink()

    def size(self, key: str) -> int:
        return len(self.get(key))

    def iter_bytes(self, key: str) -> Iterator[bytes]:
        return iter([self.get(key)])

    def signed_url(self, key: str, expires: dt.timedelta) -> str | None:
        check_key(key)
        return None

    def folders(self, folder: str) -> list[str]:
        start = "/".join(check_key(folder)) + "/"
        with self._lock:
            return sorted({key[len(start):].split("/")[0] for key in self._data
                           if key.startswith(start) and "/" in key[len(start):]})

    def check(self) -> str:
        return "in memory"


class MemoryIdentityStore:
    """``honua.types.IdentityStore`` in dictionaries, answering as ``SqlIdentityStore``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, ApiKey] = {}
        self._users: dict[str, User] = {}
        self._secrets: dict[str, bytes] = {}

    def add_key(self, key: ApiKey) -> None:
        with self._lock:
            if key.name in self._keys or any(k.digest == key.digest for k in self._keys.values()):
                raise Conflict(f"an API key named {key.name!r} already exists")
            self._keys[key.name] = key

    def key(self, name: str) -> ApiKey | None:
        with self._lock:
            return self._keys.get(name)

    def key_by_digest(self, digest: str) -> ApiKey | None:
        with self._lock:
            return next((k for k in self._keys.values() if k.digest == digest), None)

    def all_keys(self) -> list[ApiKey]:
        with self._lock:
            return [self._keys[name] for name in sorted(self._keys)]

    def revoke_key(self, name: str) -> ApiKey:
        with self._lock:
            if name not in self._keys:
                raise NotFound(f"there is no API key named {name!r} (see 'honua keys list')")
            self._keys[name] = dataclasses.replace(self._keys[name], revoked=True)
            return self._keys[name]

    def add_user(self, user: User, *, replace: bool = False) -> None:
        with self._lock:
            if user.name in self._users and not replace:
                raise Conflict(f"a user named {user.name!r} already exists")
            self._users[user.name] = user

    def user(self, name: str) -> User | None:
        with self._lock:
            return self._users.get(name)

    def all_users(self) -> list[User]:
        with self._lock:
            return [self._users[name] for name in sorted(self._users)]

    def has_identities(self) -> bool:
        with self._lock:
            return bool(self._keys or self._users)

    def secret(self, name: str) -> bytes:
        with self._lock:
            return self._secrets.setdefault(name, secrets.token_bytes(32))

    def close(self) -> None:
        pass


class MemoryUsageLedger:
    """``honua.types.UsageLedger`` in a dict, for tests and stores built without a database."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()

    def add(self, key: str, tenant: str, size: int) -> None:
        with self._lock:
            self._items[key] = (tenant, max(0, size))

    def remove_prefix(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._items if k.startswith(prefix)]:
                del self._items[key]

    def total(self, tenant: str, prefix: str = "") -> int:
        with self._lock:
            return sum(size for key, (owner, size) in self._items.items()
                       if owner == tenant and key.startswith(prefix))

    def replace_prefix(self, prefix: str, items: Iterable[tuple[str, str, int]]) -> None:
        with self._lock:
            for key in [k for k in self._items if k.startswith(prefix)]:
                del self._items[key]
            for key, tenant, size in items:
                self._items[key] = (tenant, max(0, size))
