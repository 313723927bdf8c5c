"""The one SSRF guard for every URL the server itself connects to (WPS references,
callbacks): an allow-list of hosts, and every resolved address checked.

A URL is reached only if its host is in the allow-list given (a setting such as
``reference_allow_hosts`` or ``webhook_allow_hosts``). Entries are host names
(``data.example.org``, ``*.example.org``, optionally ``:port``) or IP addresses /
networks (``203.0.113.7``, ``10.1.0.0/16``). After DNS resolution every address is
checked: loopback, private, link-local, multicast, reserved and other non-global
addresses are refused unless an IP/network entry names them explicitly, and cloud
metadata addresses are refused always. ``checked_target`` gives the address to
connect to (the host name only travels as ``Host`` and TLS SNI), so a DNS answer
cannot change between the check and the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import urlsplit, urlunsplit

from honua.errors import HonuaError

__all__ = ["AllowList", "METADATA", "Refused", "Resolver", "checked_target", "system_resolver"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192"))
Resolver = Callable[[str, int], Sequence[str]]


class Refused(HonuaError):
    """The URL may not be reached; the message says why (each caller words its own error)."""

    kind = "forbidden"


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class AllowList:
    """Which hosts may be reached, and which non-public addresses were explicitly allowed."""

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
            return self.explicit(unmapped(ipaddress.ip_address(host)))
        except ValueError:
            pass
        for name, allowed_port in self.names:
            matches = host == name or (name.startswith("*.") and host.endswith(name[1:]))
            if matches and allowed_port in (None, port):
                return True
        return False


def checked_target(url: str, allow: AllowList, resolver: Resolver = system_resolver, *,
                   setting: str = "reference_allow_hosts", what: str = "references"
                   ) -> tuple[str, str, str]:
    """The URL to connect to (host replaced by a checked address), the Host header and the
    SNI name; ``Refused`` saying why otherwise."""
    try:  # urllib raises ValueError for a port out of range or not a number, a bad [v6]
        parts = urlsplit(url)
        explicit_port = parts.port
    except ValueError as exc:
        raise Refused(f"{url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"only http and https {what} can be reached, not {url[:200]!r}")
    if "@" in parts.netloc:
        raise Refused(f"{what} must not carry credentials in the URL")
    host = parts.hostname.lower()
    port = explicit_port or (443 if parts.scheme == "https" else 80)
    if not allow.allows_host(host, port):
        raise Refused(f"host {host!r} is not allowed: add it to the server setting {setting} "
                      f"to reach {what} there")
    try:
        addresses = [ipaddress.ip_address(a) for a in resolver(host, port)]
    except (OSError, ValueError):
        raise Refused(f"host {host!r} cannot be resolved") from None
    if not addresses:
        raise Refused(f"host {host!r} has no address")
    for address in addresses:
        _check_address(unmapped(address), host, allow, setting, what)
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{port}"
    host_header = host if explicit_port is None else f"{host}:{explicit_port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), host_header, host


def _check_address(address: IPAddress, host: str, allow: AllowList, setting: str,
                   what: str) -> None:
    if address in METADATA:
        raise Refused(f"host {host!r} resolves to a cloud metadata address; refused")
    if address.is_global and not address.is_multicast:
        return
    if allow.explicit(address):
        return
    raise Refused(f"host {host!r} resolves to {address}, a loopback, private, link-local or "
                  f"reserved address; such {what} are refused unless that address is listed "
                  f"in {setting}")
