"""What only the S3 store has to prove: its prefix is a wall, and an unreachable store is
a clear "unavailable", soon. (Everything else is the shared conformance suite.)"""

from __future__ import annotations

import datetime as dt
import socket
import time

import pytest

from honua.errors import NotFound, Unavailable
from honua.store.artifacts_s3 import S3ArtifactStore
from tests.support.s3 import S3Server

_MINUTE = dt.timedelta(minutes=1)
HOSTILE = ["../t10/jobs/a/outputs.json", "/t10/jobs/a/outputs.json", "jobs/../../t10/jobs/a",
           "..", "jobs/%2e%2e/x", "jobs\\..\\..\\t10", "jobs/a\0"]


@pytest.fixture
def tenants(s3_server: S3Server, s3_bucket: str) -> tuple[S3ArtifactStore, S3ArtifactStore]:
    """Two installations (or tenants) in one bucket, one prefix a string prefix of the other."""
    return (S3ArtifactStore(s3_bucket, "t1", **s3_server.options()),
            S3ArtifactStore(s3_bucket, "t10", **s3_server.options()))


@pytest.mark.parametrize("key", HOSTILE)
def test_hostile_keys_never_reach_another_prefix(tenants: tuple[S3ArtifactStore, ...],
                                                 s3_server: S3Server, s3_bucket: str,
                                                 key: str) -> None:
    """A key from hostile input is refused, or stays an ordinary key under the store's
    own prefix: it never reads, overwrites or deletes the other prefix's objects."""
    mine, theirs = tenants
    theirs.put("jobs/a/outputs.json", b"secret")
    for call in (lambda: mine.put(key, b"evil"), lambda: mine.get(key),
                 lambda: mine.delete_prefix(key), lambda: mine.signed_url(key, _MINUTE)):
        try:
            result = call()
        except (ValueError, NotFound):
            continue
        assert result != b"secret"
        if isinstance(result, str):
            assert "/t10/" not in result
    assert theirs.get("jobs/a/outputs.json") == b"secret"
    assert all(k.startswith(("t1/", "t10/jobs/a/outputs.json"))
               for k in s3_server.object_keys(s3_bucket))


def test_delete_prefix_stays_inside_the_store(tenants: tuple[S3ArtifactStore, ...],
                                              s3_server: S3Server, s3_bucket: str) -> None:
    """Deleting all of one store's jobs leaves the store whose prefix starts the same."""
    mine, theirs = tenants
    mine.put("jobs/a/outputs.json", b"mine")
    theirs.put("jobs/a/outputs.json", b"theirs")
    mine.delete_prefix("jobs/")
    assert s3_server.object_keys(s3_bucket) == ["t10/jobs/a/outputs.json"]


@pytest.mark.parametrize("url", ["s3://bucket/../other", "s3://bucket/a//b", "s3://bucket/./a"])
def test_hostile_prefix_in_the_url_is_refused(url: str) -> None:
    """A configured prefix with '..', '.' or empty segments stops the start."""
    with pytest.raises(ValueError):
        S3ArtifactStore.from_url(url, endpoint_url="http://127.0.0.1:9")


def test_unreachable_store_is_unavailable_within_seconds() -> None:
    """A store nobody answers for fails each call as ``Unavailable`` naming S3, soon."""
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = S3ArtifactStore("bucket", "p", endpoint_url=f"http://127.0.0.1:{port}",
                            region="us-east-1", access_key_id="k", secret_access_key="s",
                            timeout_seconds=5)
    started = time.monotonic()
    with pytest.raises(Unavailable, match="S3"):
        store.get("jobs/a/outputs.json")
    assert time.monotonic() - started < 60



def test_check_names_a_missing_bucket(s3_server: S3Server, s3_bucket: str) -> None:
    """The usual first-day mistake -- the bucket was never created -- is said in so many
    words (what ``/ready`` and the start log show), and a real bucket passes."""
    assert "answers" in S3ArtifactStore(s3_bucket, "p", **s3_server.options()).check()
    with pytest.raises(Unavailable, match="bucket 'never-made' does not exist"):
        S3ArtifactStore("never-made", "p", **s3_server.options()).check()


def test_signed_urls_name_the_public_endpoint(s3_server: S3Server, s3_bucket: str) -> None:
    """Fronts reach S3 by an internal address; clients get URLs signed for the public one
    (SigV4 signs the host, so the URL cannot be re-pointed afterwards)."""
    store = S3ArtifactStore(s3_bucket, "p", public_endpoint_url="https://s3.example.org",
                            **s3_server.options())
    store.put("jobs/a/out.json", b"{}")
    url = store.signed_url("jobs/a/out.json", _MINUTE)
    assert url is not None
    assert url.startswith(f"https://s3.example.org/{s3_bucket}/p/jobs/a/out.json?")
    assert "X-Amz-Signature=" in url
    assert store.get("jobs/a/out.json") == b"{}"  # the store itself still uses the internal one
