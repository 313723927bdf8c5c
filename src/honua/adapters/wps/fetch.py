"""Fetching external references without opening the server to SSRF.

A URL is fetched only if its host is in ``settings.reference_allow_hosts``.
Entries are host names (``data.example.org``, ``*.example.org``, optionally
``:port``) or IP addresses / networks (``203.0.113.7``, ``10.1.0.0/16``).
After DNS resolution every address is checked: loopback, private, link-local,
multicast, reserved and other non-global addresses are refused unless an
IP/network entry names them explicitly, and cloud metadata addresses are
refused always. The connection goes to the address that was checked (the
host name only travels as ``Host`` and TLS SNI), so a DNS answer cannot change
between the check and the fetch. Redirects are followed by hand, each target
checked the same way; bodies are read up to a size limit, within a timeout.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from honua.adapters.wps.errors import OwsException
from honua.web.ssrf import AllowList, Refused, Resolver, checked_target, system_resolver

MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 30.0
_DROPPED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_system_resolver = system_resolver


@dataclass(frozen=True)
class Fetched:
    content: bytes
    media_type: str | None


class Fetcher:
    """GET/POST a URL under the allow-list, the address checks and the size limit."""

    def __init__(self, allow: Iterable[str], max_bytes: int, *, timeout: float = TIMEOUT_SECONDS,
                 resolver: Resolver = _system_resolver) -> None:
        self.allow = AllowList(allow)
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.resolver = resolver

    def fetch(self, url: str, *, name: str, method: str = "GET", body: bytes | None = None,
              headers: Iterable[tuple[str, str]] = ()) -> Fetched:
        extra = {k: v for k, v in headers if k.lower() not in _DROPPED_HEADERS}
        with httpx.Client(timeout=self.timeout, follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                target, host_header, sni = self._checked(url, name)
                request = client.build_request(
                    method, target, content=body if method == "POST" else None,
                    headers={**extra, "Host": host_header}, extensions={"sni_hostname": sni})
                try:
                    response = client.send(request, stream=True)
                except httpx.HTTPError as exc:
                    raise _refused(name, f"could not fetch {url}: {type(exc).__name__}") from None
                try:
                    if response.is_redirect and response.headers.get("location"):
                        url = urljoin(url, response.headers["location"])
                        if response.status_code == 303:
                            method, body = "GET", None
                        continue
                    if response.status_code >= 400:
                        raise _refused(name, f"{url} answered HTTP {response.status_code}")
                    return Fetched(self._read(response, url, name),
                                   response.headers.get("content-type"))
                finally:
                    response.close()
        raise _refused(name, f"{url} redirects more than {MAX_REDIRECTS} times")

    def _checked(self, url: str, name: str) -> tuple[str, str, str]:
        """The URL to connect to (host replaced by a checked address), Host header and SNI name."""
        try:
            return checked_target(url, self.allow, self.resolver)
        except Refused as refused:
            raise _refused(name, refused.message) from None

    def _read(self, response: httpx.Response, url: str, name: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise _too_large(name, url, self.max_bytes)
        chunks, size = [], 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise _too_large(name, url, self.max_bytes)
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise _refused(name, f"could not read {url}: {type(exc).__name__}") from None
        return b"".join(chunks)


def _refused(name: str, why: str) -> OwsException:
    return OwsException("InvalidParameterValue", f"input {name!r}: {why}", locator=name,
                        code2="DataNotAccessible")


def _too_large(name: str, url: str, limit: int) -> OwsException:
    return OwsException("FileSizeExceeded", f"input {name!r}: {url} is larger than the limit of "
                        f"{limit / 1048576:g} MB", locator=name, status=413, code2="SizeExceeded")
