"""Uploads shared through the artifact store, so that every front (on any machine) sees them.

GDAL reads an upload from a local file, so each front keeps the working copy in its
own upload folder, as on one machine; with an object store configured
(``artifacts_url = "s3://..."``) an accepted upload is also published as objects
``uploads/<id>/<file>`` with a ``files.json`` manifest and, last, its
``upload.json`` record: the record's presence means the upload is complete. A front
asked for an upload it does not have fetches it (streamed, into its staging folder,
then one rename), and a front whose local copy outlived the shared record (deleted
elsewhere) drops it. Files are published through hard links, so the local copy
stays and nothing is read whole into memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from honua.errors import NotFound
from honua.types import ArtifactStore

__all__ = ["fetch", "ids", "publish", "record", "remove"]

_RECORD = "upload.json"
_MANIFEST = "files.json"


def _prefix(upload_id: str) -> str:
    return f"uploads/{upload_id}/"


def publish(shared: ArtifactStore, upload_id: str, folder: Path) -> None:
    """Put the upload in ``folder`` (``upload.json`` and ``data/...``) on the shared store."""
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.name != _RECORD)
    for name in files:
        link = folder.parent / f".{upload_id}-{os.getpid()}-publish"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        try:
            os.link(folder / name, link)
        except OSError:  # no hard links here: a copy, still streamed
            shutil.copyfile(folder / name, link)
        shared.put_file(_prefix(upload_id) + name, link)
    shared.put(_prefix(upload_id) + _MANIFEST, json.dumps(files).encode())
    shared.put(_prefix(upload_id) + _RECORD, (folder / _RECORD).read_bytes())


def ids(shared: ArtifactStore) -> list[str]:
    """Ids of the uploads any front published (complete or not: ``record`` tells)."""
    return shared.folders("uploads")


def record(shared: ArtifactStore, upload_id: str) -> dict[str, Any] | None:
    """The shared ``upload.json`` of ``upload_id``, or None when there is none."""
    try:
        return dict(json.loads(shared.get(_prefix(upload_id) + _RECORD)))
    except (NotFound, ValueError):
        return None


def fetch(shared: ArtifactStore, upload_id: str, staging: Path) -> None:
    """Write the shared upload's files into the new folder ``staging`` (record last)."""
    staging.mkdir(parents=True)
    names = json.loads(shared.get(_prefix(upload_id) + _MANIFEST))
    for name in [*names, _RECORD]:
        target = staging.joinpath(*str(name).split("/"))
        if not target.resolve().is_relative_to(staging.resolve()):
            raise NotFound(f"upload {upload_id!r} has a file outside its folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            for chunk in shared.iter_bytes(_prefix(upload_id) + str(name)):
                out.write(chunk)


def remove(shared: ArtifactStore, upload_id: str) -> None:
    """Forget the shared copy: the record first, so no front fetches a half-deleted one."""
    shared.delete_prefix(_prefix(upload_id) + _RECORD)
    shared.delete_prefix(_prefix(upload_id))
