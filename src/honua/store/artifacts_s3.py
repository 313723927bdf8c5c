"""Artifacts as objects on S3-compatible storage (AWS S3, MinIO, Ceph...), through obstore.

obstore (Rust's ``object_store`` behind a small Python API) gives what the
store needs in one dependency without a boto3 stack: streaming multipart puts of
files, streamed gets, listing, batch deletes and SigV4 signed URLs. Credentials
come from the settings or, when those are empty, from the standard AWS variables
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``,
``AWS_REGION``, ``AWS_ENDPOINT_URL``) or an instance role, as obstore reads them.

Every key is checked by ``artifact_keys`` and then put under the store's own
prefix followed by '/', so no key reaches another installation's (or tenant's)
prefix in the same bucket: ``t1`` never sees ``t10/...``. S3 has no folders,
but the store keeps the file store's rule that a key cannot be both an artifact
and the folder of others, so code that works on disk works here.
"""

from __future__ import annotations

import datetime as dt
import os
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import obstore
from obstore.exceptions import BaseError, NotFoundError
from obstore.store import S3Store

from honua.errors import Conflict, NotFound, Unavailable
from honua.store.artifact_keys import check_key, check_prefix

__all__ = ["S3ArtifactStore"]

MULTIPART_CHUNK_BYTES = 8 * 1024 * 1024
"""Part size of multipart uploads (S3's minimum is 5 MiB): memory held per part in flight."""
_READ_CHUNK_BYTES = 1024 * 1024


class S3ArtifactStore:
    """``honua.types.ArtifactStore`` in ``bucket`` under ``prefix``."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str = "",
                 region: str = "", access_key_id: str = "", secret_access_key: str = "",
                 public_endpoint_url: str = "", timeout_seconds: float = 30.0) -> None:
        if not bucket:
            raise ValueError("an S3 artifact store needs a bucket (s3://bucket/prefix)")
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.prefix = "/".join(check_key(prefix.strip("/"))) + "/" if prefix.strip("/") else ""
        config: dict[str, Any] = {}
        if endpoint_url:
            config["endpoint"] = endpoint_url
        if region:
            config["region"] = region
        if access_key_id:
            config["access_key_id"] = access_key_id
        if secret_access_key:
            config["secret_access_key"] = secret_access_key
        client: dict[str, Any] = {"timeout": dt.timedelta(seconds=timeout_seconds),
                                  "connect_timeout": dt.timedelta(seconds=5)}
        if (endpoint_url or os.environ.get("AWS_ENDPOINT_URL", "")).startswith("http://"):
            client["allow_http"] = True  # a plain-HTTP endpoint was asked for: a local MinIO
        # A few quick retries, bounded in time: a request should fail with a clear 503
        # within seconds when the store is down, not hang for obstore's default minutes.
        retry = {"max_retries": 3, "retry_timeout": dt.timedelta(seconds=timeout_seconds),
                 "backoff": {"init_backoff": dt.timedelta(milliseconds=100),
                             "max_backoff": dt.timedelta(seconds=2), "base": 2}}
        self._store = S3Store(bucket, config=config or None,  # type: ignore[arg-type]
                              client_options=client,  # type: ignore[arg-type]
                              retry_config=retry)  # type: ignore[arg-type]
        self._signer = self._store
        if public_endpoint_url:
            # SigV4 signs the host, so a URL cannot be re-pointed after signing: URLs for
            # clients are signed by a second client that names the public endpoint (signing
            # is local; this client never sends a request).
            if public_endpoint_url.startswith("http://"):
                client = {**client, "allow_http": True}
            signing: Any = {**config, "endpoint": public_endpoint_url}
            self._signer = S3Store(bucket, config=signing,
                                   client_options=client)  # type: ignore[arg-type]

    @classmethod
    def from_url(cls, url: str, **options: Any) -> S3ArtifactStore:
        """``s3://bucket/prefix`` with the endpoint and credential ``options``."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"artifacts_url {url!r} is not s3://bucket/prefix")
        return cls(parts.netloc, urllib.parse.unquote(parts.path), **options)

    def __repr__(self) -> str:
        return f"S3ArtifactStore('s3://{self.bucket}/{self.prefix}')"

    # -- the interface ---------------------------------------------------------------------------
    def put(self, key: str, data: bytes) -> None:
        path = self._object(key)
        self._refuse_file_and_folder(key)
        self._call(f"store artifact {key!r}", obstore.put, self._store, path, bytes(data),
                   use_multipart=False)

    def put_file(self, key: str, path: Path) -> None:
        """Stream ``path`` up (multipart above one part's size), then remove it."""
        target = self._object(key)
        self._refuse_file_and_folder(key)
        self._call(f"store artifact {key!r}", obstore.put, self._store, target, Path(path),
                   chunk_size=MULTIPART_CHUNK_BYTES, max_concurrency=4)
        Path(path).unlink()

    def get(self, key: str) -> bytes:
        path = self._object(key)
        result = self._call(f"read artifact {key!r}", obstore.get, self._store, path)
        return bytes(self._call(f"read artifact {key!r}", result.bytes))

    def iter_bytes(self, key: str) -> Iterator[bytes]:
        path = self._object(key)
        result = self._call(f"read artifact {key!r}", obstore.get, self._store, path)
        return self._stream(key, result.stream(min_chunk_size=_READ_CHUNK_BYTES))

    def exists(self, key: str) -> bool:
        return self._exists(self._object(key))

    def size(self, key: str) -> int:
        meta = self._call(f"read artifact {key!r}", obstore.head, self._store, self._object(key))
        return int(meta["size"])

    def delete_prefix(self, prefix: str) -> None:
        """Every object whose key starts with ``prefix`` (string prefix, as the file store)."""
        *folders, _ = check_prefix(prefix)
        start = self.prefix + prefix
        listed = "/".join(folders)
        listing = self.prefix + listed if listed else self.prefix.rstrip("/") or None
        doomed = [meta["path"] for batch in self._call("list artifacts", lambda: list(
            obstore.list(self._store, listing, chunk_size=1000)))
            for meta in batch if meta["path"].startswith(start)]
        for i in range(0, len(doomed), 1000):  # S3's DeleteObjects takes 1,000 at a time
            self._call("delete artifacts", obstore.delete, self._store, doomed[i:i + 1000])

    def local_path(self, key: str) -> Path | None:
        """None (the object is not on this machine), or ``NotFound``."""
        if not self.exists(key):
            raise NotFound(f"there is no stored artifact {key!r}")
        return None

    def signed_url(self, key: str, expires: dt.timedelta) -> str | None:
        """A presigned GET URL (SigV4 query string), valid for ``expires``, on the public
        endpoint when one is configured."""
        path = self._object(key)
        return str(self._call(f"sign artifact {key!r}", obstore.sign, self._signer, "GET", path,
                              expires))

    def folders(self, folder: str) -> list[str]:
        """The common prefixes of a delimited listing (S3's own notion of folders)."""
        start = self._object(folder) + "/"
        listing = self._call("list artifacts", obstore.list_with_delimiter, self._store, start)
        return sorted(p[len(start):].strip("/") for p in listing["common_prefixes"]
                      if p.startswith(start))

    def check(self) -> str:
        """Raise ``Unavailable`` saying what is wrong unless the bucket answers a listing
        (a missing bucket, wrong credentials or an unreachable endpoint: each its own text);
        what a readiness probe and the start of a server ask."""
        where = f"s3://{self.bucket}/{self.prefix}" + (f" at {self.endpoint_url}"
                                                      if self.endpoint_url else "")
        try:
            next(iter(obstore.list(self._store, self.prefix or None, chunk_size=1)), None)
        except (NotFoundError, FileNotFoundError, BaseError) as exc:
            if isinstance(exc, NotFoundError | FileNotFoundError) or "NoSuchBucket" in str(exc):
                raise Unavailable(f"the artifact bucket {self.bucket!r} does not exist "
                                  f"({where}); create it, or correct artifacts_url") from None
            raise Unavailable(f"cannot list the artifact store {where} ({_short(exc)})") \
                from exc
        return f"bucket {self.bucket!r} answers"

    # -- helpers --------------------------------------------------------------------------------
    def _object(self, key: str) -> str:
        return self.prefix + "/".join(check_key(key))

    def _exists(self, path: str) -> bool:
        try:
            obstore.head(self._store, path)
        except (NotFoundError, FileNotFoundError):
            return False
        except BaseError as exc:
            raise Unavailable(f"cannot reach the artifact store ({_short(exc)})") from exc
        return True

    def _refuse_file_and_folder(self, key: str) -> None:
        """S3 would hold ``a/b`` and ``a/b/c`` side by side; a disk cannot, so neither may we."""
        parts = check_key(key)
        above = ["/".join(parts[:i]) for i in range(1, len(parts))]
        below = self._call("list artifacts", lambda: next(iter(obstore.list(
            self._store, self._object(key), chunk_size=1)), []))
        if below or any(self._exists(self.prefix + folder) for folder in above):
            raise Conflict(f"cannot store artifact {key!r}: a file and a folder would have the "
                           "same name")

    def _call(self, what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (NotFoundError, FileNotFoundError):
            raise NotFound(f"there is no stored artifact {_key_of(what)}") from None
        except BaseError as exc:
            raise Unavailable(f"cannot {what} on S3 ({_short(exc)}); try again shortly") from exc

    def _stream(self, key: str, chunks: Any) -> Iterator[bytes]:
        try:
            for chunk in chunks:
                yield bytes(chunk)
        except BaseError as exc:
            raise Unavailable(f"reading artifact {key!r} from S3 broke off ({_short(exc)})") \
                from exc


def _key_of(what: str) -> str:
    """``'jobs/x'`` out of ``read artifact 'jobs/x'`` (the key the caller named)."""
    return what.split(" ", 2)[-1] if "'" in what else what


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
