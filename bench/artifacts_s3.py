"""Artifact store benchmark: store and read back one big artifact, S3 (moto) vs files.

    python bench/artifacts_s3.py [--mb 100] [--rounds 3]

For each store: ``put_file`` of a staged file of ``--mb`` MiB (a multipart upload on
S3, a rename on disk, as a chunked run publishes its outputs), then ``iter_bytes``
streaming it back and checking its SHA-256; plus ``put``/``get`` of the same bytes held
in memory. The S3 endpoint is moto's server on loopback (``tests/support/s3.py``), so
the figures measure Honua's path and the S3 protocol, not a network. The growth of this
process's peak RSS over the streamed S3 round shows the object is never whole in memory.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.s3 import moto_server  # noqa: E402

from honua.store.artifacts_fs import FilesystemArtifactStore  # noqa: E402
from honua.store.artifacts_s3 import S3ArtifactStore  # noqa: E402
from honua.types import ArtifactStore  # noqa: E402

MIB = 1024 * 1024


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _staged(folder: Path, data: bytes) -> Path:
    path = folder / f"staged-{time.monotonic_ns()}.bin"
    path.write_bytes(data)
    return path


def _round(store: ArtifactStore, folder: Path, data: bytes, digest: str) -> tuple[float, float]:
    """Seconds to put_file and to stream back one artifact (the staging write not timed)."""
    path = _staged(folder, data)
    started = time.perf_counter()
    store.put_file("jobs/bench/outputs/big.bin", path)
    stored = time.perf_counter() - started
    started = time.perf_counter()
    hasher = hashlib.sha256()
    for chunk in store.iter_bytes("jobs/bench/outputs/big.bin"):
        hasher.update(chunk)
    read = time.perf_counter() - started
    assert hasher.hexdigest() == digest, "the artifact came back different"
    store.delete_prefix("jobs/bench/")
    return stored, read


def _in_memory(store: ArtifactStore, data: bytes) -> tuple[float, float]:
    started = time.perf_counter()
    store.put("jobs/bench/outputs/big.bin", data)
    stored = time.perf_counter() - started
    started = time.perf_counter()
    assert store.get("jobs/bench/outputs/big.bin") == data
    read = time.perf_counter() - started
    store.delete_prefix("jobs/bench/")
    return stored, read


def _report(name: str, rounds: list[tuple[float, float]], mb: int) -> None:
    put = statistics.median(r[0] for r in rounds)
    get = statistics.median(r[1] for r in rounds)
    print(f"  {name:<28} store {put:6.2f} s ({mb / put:7.1f} MiB/s)   "
          f"read back {get:6.2f} s ({mb / get:7.1f} MiB/s)   round trip {put + get:6.2f} s")


def _measure(name: str, store: ArtifactStore, folder: Path, data: bytes, digest: str,
             rounds: int, mb: int, extra: Callable[[], str] = lambda: "") -> None:
    _report(f"{name} put_file/iter_bytes",
            [_round(store, folder, data, digest) for _ in range(rounds)], mb)
    _report(f"{name} put/get (in memory)", [_in_memory(store, data) for _ in range(rounds)], mb)
    if note := extra():
        print(f"  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = os.urandom(args.mb * MIB)
    digest = hashlib.sha256(data).hexdigest()
    print(f"one {args.mb} MiB artifact, median of {args.rounds} rounds")
    with tempfile.TemporaryDirectory(prefix="honua-bench-") as temp, moto_server() as server:
        folder = Path(temp)
        bucket = server.create_bucket()
        s3 = S3ArtifactStore(bucket, "bench", **server.options())
        before = _peak_mib()
        rounds = [_round(s3, folder, data, digest) for _ in range(args.rounds)]
        growth = _peak_mib() - before
        _report("S3 (moto) put_file/iter_bytes", rounds, args.mb)
        print(f"  peak RSS growth over the streamed S3 rounds: {growth:.0f} MiB "
              f"(the artifact is {args.mb} MiB)")
        _report("S3 (moto) put/get (in memory)", [_in_memory(s3, data) for _ in
                                                   range(args.rounds)], args.mb)
        files = FilesystemArtifactStore(folder / "artifacts")
        _measure("files", files, folder, data, digest, args.rounds, args.mb)


if __name__ == "__main__":
    main()
