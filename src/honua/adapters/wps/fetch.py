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

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from honua.adapters.wps.errors import OwsException

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192"))
MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 30.0
_DROPPED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
Resolver = Callable[[str, int], Sequence[str]]


@dataclass(frozen=True)
class Fetched:
    content: bytes
    media_type: str | None


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class AllowList:
    """Which hosts may be fetched, and which non-public addresses were explicitly allowed."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.names: list[tuple[str, int | None]] = []
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in (e.strip().lower() for e in entries if e.strip()):
            try:
                self.networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
            self.names.append((host, int(port) if port.isdigit() else None))

    def __bool__(self) -> bool:
        return bool(self.names or self.networks)

    def explicit(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)

    def allows_host(self, host: str, port: int) -> bool:
        try:
            return self.explicit(_unmapped(ipaddress.ip_address(host)))
        except ValueError:
            pass
        for name, allowed_port in self.names:
            matches = host == name or (name.startswith("*.") and host.endswith(name[1:]))
            if matches and allowed_port in (None, port):
                return True
        return False


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
        try:  # urllib raises ValueError for a port out of range or not a number, a bad [v6]
            parts = urlsplit(url)
            explicit_port = parts.port
        except ValueError as exc:
            raise _refused(name, f"{url!r} is not a valid URL: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _refused(name, f"only http and https references can be fetched, not {url!r}")
        if "@" in parts.netloc:
            raise _refused(name, "references must not carry credentials in the URL")
        host = parts.hostname.lower()
        port = explicit_port or (443 if parts.scheme == "https" else 80)
        if not self.allow.allows_host(host, port):
            raise _refused(name, f"host {host!r} is not allowed: add it to the server setting "
                                 "reference_allow_hosts to fetch references from it")
        try:
            addresses = [ipaddress.ip_address(a) for a in self.resolver(host, port)]
        except (OSError, ValueError):
            raise _refused(name, f"host {host!r} cannot be resolved") from None
        if not addresses:
            raise _refused(name, f"host {host!r} has no address")
        for address in addresses:
            self._check_address(_unmapped(address), host, name)
        address = addresses[0]
        literal = f"[{address}]" if address.version == 6 else str(address)
        netloc = f"{literal}:{port}"
        host_header = host if explicit_port is None else f"{host}:{explicit_port}"
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), host_header, host

    def _check_address(self, address: IPAddress, host: str, name: str) -> None:
        if address in METADATA:
            raise _refused(name, f"host {host!r} resolves to a cloud metadata address; refused")
        if address.is_global and not address.is_multicast:
            return
        if self.allow.explicit(address):
            return
        raise _refused(name, f"host {host!r} resolves to {address}, a loopback, private, "
                             "link-local or reserved address; such references are refused unless "
                             "that address is listed in reference_allow_hosts")

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
