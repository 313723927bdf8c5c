"""S3 on loopback for the tests: moto's server in a child process, on a free port.

``moto_server`` answers the S3 API as AWS does in everything the artifact store
uses, except one: it never refuses a presigned URL whose time is up. Real S3
answers 403 ``AccessDenied`` ("Request has expired") once ``X-Amz-Date`` +
``X-Amz-Expires`` has passed; ``_ExpiringUrls`` adds exactly that check in front
of moto's own WSGI app, so that the expiry tests see what a client of AWS would.
Run as ``python -m tests.support.s3`` it serves and prints its port.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
REGION = "us-east-1"

_EXPIRED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
            b"<Message>Request has expired</Message></Error>")


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def options(self) -> dict[str, str]:
        """What ``S3ArtifactStore`` takes to reach this server."""
        return {"endpoint_url": self.endpoint, "region": REGION, "access_key_id": ACCESS_KEY,
                "secret_access_key": SECRET_KEY}

    def settings(self) -> dict[str, str]:
        """The same as ``Settings`` fields."""
        return {"s3_endpoint_url": self.endpoint, "s3_region": REGION,
                "s3_access_key_id": ACCESS_KEY, "s3_secret_access_key": SECRET_KEY}

    def create_bucket(self, name: str | None = None) -> str:
        name = name or f"honua-{secrets.token_hex(4)}"
        response = httpx.put(f"{self.endpoint}/{name}", timeout=30)
        response.raise_for_status()
        return name

    def object_keys(self, bucket: str) -> list[str]:
        """Every key in ``bucket`` (moto answers unsigned listings)."""
        import xml.etree.ElementTree as ET

        response = httpx.get(f"{self.endpoint}/{bucket}", params={"list-type": "2"}, timeout=30)
        response.raise_for_status()
        tree = ET.fromstring(response.content)
        return sorted(node.text or "" for node in tree.iter() if node.tag.endswith("Key"))


@contextmanager
def moto_server() -> Iterator[S3Server]:
    """A moto S3 server for the length of the block; stopped (and its memory gone) after."""
    child = subprocess.Popen([sys.executable, "-m", "tests.support.s3"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        if not line.isdigit():
            raise RuntimeError(f"moto's S3 server did not start (said {line!r}); is "
                               "moto[server] installed (the test extra)?")
        yield S3Server(f"http://127.0.0.1:{line}")
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


class _ExpiringUrls:
    """WSGI middleware: a presigned request past its expiry gets S3's 403."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        if "X-Amz-Expires" in query and "X-Amz-Date" in query:
            signed = dt.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(
                tzinfo=dt.UTC)
            if dt.datetime.now(dt.UTC) > signed + dt.timedelta(seconds=int(
                    query["X-Amz-Expires"][0])):
                start_response("403 Forbidden", [("Content-Type", "application/xml"),
                                                 ("Content-Length", str(len(_EXPIRED)))])
                return [_EXPIRED]
        return self.app(environ, start_response)


def _serve() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    app = _ExpiringUrls(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    _serve()
