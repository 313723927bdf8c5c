"""The one guard in front of every outbound URL (callbacks, subscribers, references):
loopback, private, link-local and metadata addresses are refused however they are
spelled, and only http(s) is reached."""

import pytest

from honua.web.ssrf import AllowList, Refused, checked_target

NAMES = AllowList(["localhost", "2130706433", "0x7f000001", "0177.0.0.1", "127.1",
                   "*.example", "example.org"])
"""Host names let through, so that what is tested is the check of their addresses."""


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x", "http://169.254.169.254/latest/meta-data", "http://[fd00:ec2::254]/",
    "http://[::1]/x", "http://[::ffff:127.0.0.1]/x", "http://[::ffff:169.254.169.254]/",
    "http://0.0.0.0/x", "http://10.0.0.1/x", "http://192.168.1.1/x", "http://[fe80::1]/x",
])
def test_address_literals_are_refused_unless_their_network_is_listed(url):
    with pytest.raises(Refused, match="is not allowed"):
        checked_target(url, NAMES)


@pytest.mark.parametrize("url", [
    "http://localhost:8080/x",  # a DNS name that resolves to loopback
    "http://2130706433/x", "http://0x7f000001/x", "http://0177.0.0.1/x", "http://127.1/x",
])
def test_names_resolving_to_loopback_are_refused_however_spelled(url):
    with pytest.raises(Refused, match="loopback"):
        checked_target(url, NAMES)


def test_a_metadata_address_is_refused_by_name():
    with pytest.raises(Refused, match="metadata"):
        checked_target("http://meta.example/", NAMES, lambda host, port: ["169.254.169.254"])
    with pytest.raises(Refused, match="metadata"):
        checked_target("http://meta.example/", NAMES, lambda host, port: ["::ffff:169.254.169.254"])


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "gopher://127.0.0.1:6379/_FLUSHALL", "ftp://example.org/",
    "dict://127.0.0.1:11211/", "http://user:pw@example.org/", "http:///nohost",
    "http://example.org:99999/",
])
def test_other_schemes_credentials_and_broken_urls_are_refused(url):
    with pytest.raises(Refused):
        checked_target(url, NAMES)


def test_the_checked_address_is_the_one_connected_to():
    """The URL handed on carries the address that was checked, so a DNS answer that
    changes between the check and the connection (rebinding) cannot reach loopback."""
    target, host, sni = checked_target("https://example.org:8443/a?b=1",
                                       NAMES, lambda host, port: ["93.184.215.14"])
    assert target == "https://93.184.215.14:8443/a?b=1"
    assert (host, sni) == ("example.org:8443", "example.org")


def test_a_name_with_any_internal_address_is_refused():
    with pytest.raises(Refused, match="loopback"):
        checked_target("http://mixed.example/", NAMES,
                       lambda host, port: ["93.184.215.14", "127.0.0.1"])
