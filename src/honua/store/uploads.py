"""Two-step uploads, shared by every adapter: upload a file, get an item id, use it in a job.

The store keeps each upload in its own folder ``<root>/<id>/`` with an
``upload.json`` record (id, owner, tenant, file name, format, media type,
size, created, expires). Bytes arrive through an ``Incoming`` receiver that
writes into ``<root>/.incoming/`` and counts them against the size limit as
they come; ``commit`` then checks the file (magic bytes, archive limits and
entry names, GDAL can open it) and moves it into place in one rename, or
deletes it and raises. Nothing is ever written outside ``root``.

Usage (any adapter)::

    incoming = uploads.begin("roads.zip", owner=user)
    for chunk in body: incoming.write(chunk)      # PayloadTooLarge past the limit
    upload = incoming.commit()                     # InvalidParameter if hostile/unreadable
    uploads.get(upload.id, owner=user)             # NoSuchUpload for others' ids
    uploads.read_features(upload)                  # FeatureCollection for a process input
    uploads.delete(upload.id, owner=user)

Uploads belong to their uploader (``owner`` and ``tenant``): to anyone else an
upload does not exist. They expire after ``ttl`` and ``cleanup`` removes them.

Quotas (``tenant_quota_bytes`` of uploads, ``tenant_stored_bytes`` of uploads and
job results together) are read from the usage ledger, where every upload is
recorded as ``uploads/<id>/`` with its bytes on disk when it is accepted and
forgotten when it is deleted or expires; the folder is counted once, when the
store opens, so the ledger holds what is really there even after a crash.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from honua.core.quotas import over_stored_quota, stored_quota_bytes
from honua.errors import HonuaError, InvalidParameter, NotFound, OverQuota, PayloadTooLarge
from honua.geo.features import FeatureCollection
from honua.settings import Settings
from honua.store import uploads_shared
from honua.store.memory import MemoryUsageLedger
from honua.store.ogr_isolated import IsolatedOgr, ReaderLimits
from honua.store.uploads_checks import (
    FORMATS,
    ArchiveLimits,
    Format,
    allowed_formats,
    check_dataset,
    check_file,
    extract_shapefile_zip,
    format_for_name,
    remove_tree,
    safe_name,
)
from honua.types import ArtifactStore, UsageLedger

__all__ = ["FORMATS", "Incoming", "NoSuchUpload", "Upload", "UploadLimits", "UploadStore"]

PREFIX = "uploads/"

_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_INCOMING = ".incoming"
_STALE_INCOMING_SECONDS = 3600.0
CSV_OPTIONS = (("X_POSSIBLE_NAMES", "longitude,lon,long,lng,x"),
               ("Y_POSSIBLE_NAMES", "latitude,lat,y"),
               ("GEOM_POSSIBLE_NAMES", "wkt,geometry,geom,the_geom"),
               ("KEEP_GEOM_COLUMNS", "NO"), ("AUTODETECT_TYPE", "YES"))


class NoSuchUpload(NotFound):
    kind = "not-found"


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 200 << 20
    archive: ArchiveLimits = ArchiveLimits()
    ttl: dt.timedelta = dt.timedelta(hours=24)
    max_vertices: int = 5_000_000
    """An upload with more vertices could never be used as a process input: refused."""
    tenant_quota_bytes: int = 0
    """Bytes of uploads one tenant may keep at once; 0 = no quota."""
    tenant_stored_bytes: int = 0
    """Bytes of uploads and job results one tenant may keep at once; 0 = no quota."""


@dataclass(frozen=True)
class Upload:
    id: str
    owner: str
    tenant: str
    name: str
    format: str
    media_type: str
    size: int
    created: dt.datetime
    expires: dt.datetime
    description: str = ""
    dataset: str = ""
    """The file GDAL opens, relative to the upload's folder (e.g. the .shp of a zip)."""
    features: int = 0
    vertices: int = 0
    """Counted when the upload was checked, so a request on it is sized before it is read."""

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "owner": self.owner, "tenant": self.tenant, "name": self.name,
                "format": self.format, "mediaType": self.media_type, "size": self.size,
                "created": self.created.isoformat(), "expires": self.expires.isoformat(),
                "description": self.description, "dataset": self.dataset,
                "features": self.features, "vertices": self.vertices}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Upload:
        return cls(id=str(data["id"]), owner=str(data["owner"]), tenant=str(data["tenant"]),
                   name=str(data["name"]), format=str(data["format"]),
                   media_type=str(data["mediaType"]), size=int(data["size"]),  # type: ignore[call-overload]
                   created=dt.datetime.fromisoformat(str(data["created"])),
                   expires=dt.datetime.fromisoformat(str(data["expires"])),
                   description=str(data.get("description", "")),
                   dataset=str(data.get("dataset", "")),
                   features=int(data.get("features", 0)),  # type: ignore[call-overload]
                   vertices=int(data.get("vertices", 0)))  # type: ignore[call-overload]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UploadStore:
    """Uploaded files under ``root`` (created if missing), in the ``formats`` allowed.

    GDAL never opens an upload in this process: checking one and reading it
    go through ``reader`` (``IsolatedOgr``, a confined subprocess).
    """

    def __init__(self, root: Path, limits: UploadLimits | None = None,
                 clock: Callable[[], dt.datetime] = _utcnow, *,
                 formats: tuple[Format, ...] = FORMATS,
                 reader: IsolatedOgr | None = None, usage: UsageLedger | None = None,
                 shared: ArtifactStore | None = None) -> None:
        self.root = Path(root).absolute()
        self.shared = shared
        """Where uploads are published for the other fronts (``uploads_shared``): the
        object store of a scaled-out installation; None keeps them on this machine."""
        self.limits = limits or UploadLimits()
        self.clock = clock
        self.formats = formats
        self.reader = reader or IsolatedOgr()
        self.usage: UsageLedger = usage if usage is not None else MemoryUsageLedger()
        self._lock = threading.Lock()
        (self.root / _INCOMING).mkdir(parents=True, exist_ok=True)
        self.usage.replace_prefix(PREFIX, self._on_disk())

    def __repr__(self) -> str:
        return f"UploadStore({str(self.root)!r})"

    @classmethod
    def from_settings(cls, settings: Settings, usage: UsageLedger | None = None,
                      shared: ArtifactStore | None = None) -> UploadStore:
        """The upload area ``<data_dir>/uploads`` with the configured limits, shared
        through ``shared`` when given."""
        mb = 1 << 20
        return cls(settings.data_dir / "uploads", UploadLimits(
            max_bytes=int(settings.upload_max_mb * mb),
            archive=ArchiveLimits(max_uncompressed_bytes=int(settings.upload_max_uncompressed_mb * mb),
                                  max_ratio=settings.upload_max_ratio,
                                  max_entries=settings.upload_max_entries),
            ttl=dt.timedelta(hours=settings.upload_ttl_hours),
            max_vertices=settings.max_vertices,
            tenant_quota_bytes=int(settings.quota_upload_mb * mb),
            tenant_stored_bytes=stored_quota_bytes(settings)),
            formats=allowed_formats(settings.allowed_formats),
            reader=IsolatedOgr(ReaderLimits.from_settings(settings)), usage=usage,
            shared=shared)

    # -- adding ---------------------------------------------------------------------------------
    def begin(self, filename: str, *, owner: str = "", tenant: str = "", media_type: str = "",
              description: str = "") -> Incoming:
        """Start receiving a file; refuses unknown formats before any byte is written."""
        fmt = format_for_name(filename or "", media_type, self.formats)
        name = safe_name(filename, default="upload" + fmt.extensions[0])
        if not name.lower().endswith(fmt.extensions):
            name += fmt.extensions[0]
        incoming = Incoming(self, fmt, name, owner, tenant, description)
        try:
            incoming.allowance = self.allowance(tenant)
        except OverQuota:
            incoming.abort()
            raise
        return incoming

    def allowance(self, tenant: str) -> int | None:
        """Bytes ``tenant`` may still upload under its quotas (None: no quota); OverQuota
        when none are left."""
        left: int | None = None
        uploads, stored = self.limits.tenant_quota_bytes, self.limits.tenant_stored_bytes
        if uploads > 0:
            left = uploads - self.usage.total(tenant, PREFIX)
            if left <= 0:
                raise _over_quota(tenant, uploads)
        if stored > 0:
            used = self.usage.total(tenant)
            if used >= stored:
                raise over_stored_quota(tenant, stored, used)
            left = stored - used if left is None else min(left, stored - used)
        return left

    def quota_passed(self, tenant: str, size: int) -> OverQuota:
        """The refusal of an upload of ``size`` bytes that passed one of the quotas."""
        uploads, stored = self.limits.tenant_quota_bytes, self.limits.tenant_stored_bytes
        if uploads > 0 and self.usage.total(tenant, PREFIX) + size > uploads:
            return _over_quota(tenant, uploads)
        return over_stored_quota(tenant, stored, self.usage.total(tenant) + size)

    def _on_disk(self) -> list[tuple[str, str, int]]:
        """(ledger key, tenant, bytes) of every upload in the folder."""
        found = []
        for entry in self.root.iterdir():
            if entry.name.startswith("."):
                continue
            try:
                record = json.loads((entry / "upload.json").read_text())
                found.append((_key(entry.name), str(record["tenant"]), _bytes_in(entry / "data")))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return found

    def add(self, data: bytes | BinaryIO | Iterable[bytes], filename: str, *, owner: str = "",
            tenant: str = "", media_type: str = "", description: str = "") -> Upload:
        """Receive a whole file at once (bytes, a binary file object or an iterable of chunks)."""
        incoming = self.begin(filename, owner=owner, tenant=tenant, media_type=media_type,
                              description=description)
        try:
            if isinstance(data, bytes):
                incoming.write(data)
            elif hasattr(data, "read"):
                while chunk := data.read(1 << 20):
                    incoming.write(chunk)
            else:
                for chunk in data:
                    incoming.write(chunk)
        except BaseException:
            incoming.abort()
            raise
        return incoming.commit()

    def _accept(self, incoming: Incoming) -> Upload:
        now = self.clock()
        upload_id = secrets.token_urlsafe(18)
        final = self.root / upload_id
        staging = self.root / _INCOMING / f"{upload_id}.d"
        staging.mkdir()
        try:
            data = staging / "data"
            data.mkdir()
            dataset = self._place(incoming, data)
            found = self._inspect(data / dataset, incoming.format)
            upload = Upload(upload_id, incoming.owner, incoming.tenant, incoming.name,
                            incoming.format.name, incoming.format.media_type, incoming.size, now,
                            now + self.limits.ttl, incoming.description, f"data/{dataset}",
                            found.count, found.vertices)
            (staging / "upload.json").write_text(json.dumps(upload.to_json()))
            self.usage.add(_key(upload_id), upload.tenant, _bytes_in(data))
            try:
                os.replace(staging, final)
                if self.shared is not None:
                    uploads_shared.publish(self.shared, upload_id, final)
            except BaseException:
                self.usage.remove_prefix(_key(upload_id))
                remove_tree(final)
                raise
        except (InvalidParameter, PayloadTooLarge) as exc:
            raise type(exc)(f"upload {incoming.name!r} refused: {exc.message}") from None
        finally:
            remove_tree(staging)
            with contextlib.suppress(FileNotFoundError):
                incoming.path.unlink()
        return upload

    def _inspect(self, path: Path, fmt: Format) -> Any:
        check_dataset(path, fmt)
        found = self.reader.inspect(path, fmt.name, _open_options(fmt.name))
        if found.vertices > self.limits.max_vertices:
            raise PayloadTooLarge(f"the file has {found.vertices:,} vertices; at most "
                                  f"{self.limits.max_vertices:,} are accepted in one request")
        return found

    def _place(self, incoming: Incoming, data: Path) -> str:
        check_file(incoming.path, incoming.format)
        if incoming.format.name == "shapefile":
            return extract_shapefile_zip(incoming.path, data, self.limits.archive).name
        os.replace(incoming.path, data / incoming.name)
        return incoming.name

    # -- reading --------------------------------------------------------------------------------
    def get(self, upload_id: str, *, owner: str | None = None, tenant: str | None = None) -> Upload:
        """The upload; ``NoSuchUpload`` if unknown, expired, or someone else's."""
        missing = NoSuchUpload(f"there is no upload {upload_id!r} (uploads expire after "
                               f"{self.limits.ttl.total_seconds() / 3600:g} h; upload the file again)")
        if not isinstance(upload_id, str) or not _ID.match(upload_id):
            raise missing
        if self.shared is not None:
            self._sync(upload_id, missing, owner, tenant)
        try:
            upload = Upload.from_json(json.loads((self.root / upload_id / "upload.json").read_text()))
        except (OSError, ValueError, KeyError):
            raise missing from None
        if ((owner is not None and upload.owner != owner)
                or (tenant is not None and upload.tenant != tenant) or upload.expires <= self.clock()):
            raise missing
        return upload

    def _sync(self, upload_id: str, missing: NoSuchUpload, owner: str | None,
              tenant: str | None) -> None:
        """Make the local copy match the shared one: fetched when only the shared store has
        it (after checking the record's owner), dropped when the shared one is gone."""
        assert self.shared is not None
        shared = uploads_shared.record(self.shared, upload_id)
        folder = self.root / upload_id
        if shared is None:
            if folder.is_dir():  # deleted by another front
                remove_tree(folder)
            raise missing
        if folder.is_dir():
            return
        if (owner is not None and shared.get("owner") != owner) or (
                tenant is not None and shared.get("tenant", "") != tenant):
            raise missing
        staging = self.root / _INCOMING / f"{upload_id}.{secrets.token_hex(4)}.fetch"
        try:
            uploads_shared.fetch(self.shared, upload_id, staging)
            with contextlib.suppress(OSError):  # another request fetched it first: fine
                os.replace(staging, folder)
        except NotFound:
            raise missing from None
        finally:
            remove_tree(staging)

    def list(self, *, owner: str | None = None, tenant: str | None = None) -> list[Upload]:
        """The uploads of ``owner``/``tenant``, newest first: with a shared store, those every
        front accepted (read from their shared records, without fetching their files)."""
        if self.shared is not None:
            return self._list_shared(owner, tenant)
        found = []
        for entry in sorted(self.root.iterdir()):
            if entry.name.startswith("."):
                continue
            with contextlib.suppress(NoSuchUpload):
                found.append(self.get(entry.name, owner=owner, tenant=tenant))
        return sorted(found, key=lambda u: u.created, reverse=True)

    def _list_shared(self, owner: str | None, tenant: str | None) -> builtins.list[Upload]:
        assert self.shared is not None
        found = []
        for upload_id in uploads_shared.ids(self.shared):
            record = uploads_shared.record(self.shared, upload_id) if _ID.match(upload_id) \
                else None
            try:
                upload = Upload.from_json(record) if record is not None else None
            except (KeyError, ValueError, TypeError):
                continue
            if upload is None or upload.id != upload_id or upload.expires <= self.clock() or (
                    owner is not None and upload.owner != owner) or (
                    tenant is not None and upload.tenant != tenant):
                continue
            found.append(upload)
        return sorted(found, key=lambda u: u.created, reverse=True)

    def path(self, upload: Upload) -> Path:
        """The file GDAL reads for ``upload`` (inside the upload area)."""
        return self.root / upload.id / upload.dataset

    def read_features(self, upload: Upload) -> FeatureCollection:
        """All features of an upload (bounded by the size and vertex limits), read in the
        confined reader after the content checks have run again."""
        fmt = next((f for f in self.formats if f.name == upload.format), None)
        if fmt is None:
            raise InvalidParameter(f"upload {upload.name!r} is {upload.format}, a format this "
                                   "server no longer accepts")
        path = self.path(upload)
        check_dataset(path, fmt)
        return self.reader.read(path, fmt.name, _open_options(fmt.name))

    # -- removing -------------------------------------------------------------------------------
    def delete(self, upload_id: str, *, owner: str | None = None, tenant: str | None = None) -> Upload:
        upload = self.get(upload_id, owner=owner, tenant=tenant)
        if self.shared is not None:
            uploads_shared.remove(self.shared, upload.id)
        remove_tree(self.root / upload.id)
        self.usage.remove_prefix(_key(upload.id))
        return upload

    def cleanup(self, now: dt.datetime | None = None) -> int:
        """Remove expired uploads and abandoned partial ones; returns how many uploads went."""
        now = now or self.clock()
        removed = 0
        for entry in self.root.iterdir():
            if entry.name.startswith("."):
                continue
            try:
                record = json.loads((entry / "upload.json").read_text())
                expires = dt.datetime.fromisoformat(record["expires"])
            except (OSError, ValueError, KeyError):
                continue
            if expires <= now:
                if self.shared is not None:
                    with contextlib.suppress(HonuaError):  # the next round tries again
                        uploads_shared.remove(self.shared, entry.name)
                remove_tree(entry)
                self.usage.remove_prefix(_key(entry.name))
                removed += 1
        cutoff = time.time() - _STALE_INCOMING_SECONDS
        for entry in (self.root / _INCOMING).iterdir():
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < cutoff:
                    remove_tree(entry) if entry.is_dir() else entry.unlink()
        return removed


def _key(upload_id: str) -> str:
    return f"{PREFIX}{upload_id}/"


def _bytes_in(folder: Path) -> int:
    """Bytes of the files under ``folder`` (what an upload takes on disk)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _open_options(fmt: str) -> tuple[tuple[str, str], ...]:
    return CSV_OPTIONS if fmt == "csv" else ()


class Incoming:
    """A file being received; ``write`` chunks, then ``commit`` (or ``abort``)."""

    def __init__(self, store: UploadStore, fmt: Format, name: str, owner: str, tenant: str,
                 description: str) -> None:
        self.store = store
        self.format = fmt
        self.name = name
        self.owner = owner
        self.tenant = tenant
        self.description = description
        self.size = 0
        self.allowance: int | None = None
        """Bytes this upload may still take under its tenant's quota (None: no quota)."""
        self.path = store.root / _INCOMING / secrets.token_hex(16)
        self._file: BinaryIO | None = self.path.open("xb")

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise ValueError("this upload is already finished")
        self.size += len(chunk)
        if self.allowance is not None and self.size > self.allowance:
            self.abort()
            raise self.store.quota_passed(self.tenant, self.size)
        limit = self.store.limits.max_bytes
        if self.size > limit:
            self.abort()
            raise PayloadTooLarge(f"the uploaded file is larger than the limit of "
                                  f"{limit / 1048576:g} MB")
        self._file.write(chunk)

    def commit(self) -> Upload:
        if self._file is None:
            raise ValueError("this upload is already finished")
        self._file.close()
        self._file = None
        return self.store._accept(self)

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _over_quota(tenant: str, quota: int) -> OverQuota:
    return OverQuota(f"tenant {tenant or 'anonymous'!r} has used its upload quota of "
                     f"{quota / 1048576:g} MB; delete uploads or wait for them to expire",
                     retry_after=60)
