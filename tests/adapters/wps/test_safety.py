"""XML is parsed with DTDs, entities and network access off: XXE and entity-expansion
documents are refused at once with an ExceptionReport, and memory stays flat."""

import resource
import time

import pytest

from tests.adapters.wps.conftest import NS, checked, complex_input, execute10, job_count, literal


def _billion_laughs(levels: int = 10) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return (f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(entities)}]>'
            f"<lolz>&lol{levels - 1};</lolz>").encode()


def _refused(response) -> str:
    root = checked(response, 400)
    exception = root.find("ows:Exception", NS)
    assert exception.get("exceptionCode") == "InvalidParameterValue"
    return exception.findtext("ows:ExceptionText", namespaces=NS)


def test_xxe_file_read_is_refused(wps, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7d1f")
    body = (f'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file://{secret}">]>'
            + execute10("wps_echo", literal("text", "&x;")))
    before = job_count(wps)
    response = wps.post("/wps", content=body.encode())
    assert "DOCTYPE" in _refused(response)
    assert "TOP-SECRET" not in response.text
    assert job_count(wps) == before


def test_xxe_inside_inline_gml_is_refused(wps, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-a9c2")
    gml = (f'<!DOCTYPE p [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<gml:Point xmlns:gml="http://www.opengis.net/gml/3.2"><gml:pos>&x;</gml:pos></gml:Point>')
    body = execute10("buffer", complex_input("features", f"<![CDATA[{gml}]]>", "text/xml"),
                     literal("distance", 1))
    response = wps.post("/wps", content=body.encode())
    assert "DOCTYPE" in _refused(response) and "TOP-SECRET" not in response.text


def test_external_dtd_is_refused_without_fetching(wps):
    body = b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://169.254.169.254/latest/meta-data/"><x/>'
    assert "DOCTYPE" in _refused(wps.post("/wps", content=body))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_billion_laughs_is_refused_quickly_and_memory_stays_flat(wps, encoding):
    body = _billion_laughs().decode().replace('<?xml version="1.0"?>', "")
    body = f'<?xml version="1.0" encoding="{encoding}"?>{body}'.encode(encoding)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    started = time.perf_counter()
    response = wps.post("/wps", content=body)
    elapsed = time.perf_counter() - started
    assert "DOCTYPE" in _refused(response)
    assert elapsed < 1.0
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mib < 20, f"peak memory grew by {grown_mib:.0f} MiB"  # 10^9 'lol's would be GiBs


def test_entities_without_doctype_are_not_expanded(wps):
    body = execute10("wps_echo", literal("text", "&xxe;")).encode()
    assert "not well-formed" in _refused(wps.post("/wps", content=body))


def test_inline_text_over_the_parser_limit_asks_for_a_reference(wps):
    body = execute10("wps_echo", literal("text", "x" * 11_000_000)).encode()
    root = checked(wps.post("/wps", content=body), 413)
    exception = root.find("ows:Exception", NS)
    assert exception.get("exceptionCode") == "FileSizeExceeded"
    assert "by reference" in exception.findtext("ows:ExceptionText", namespaces=NS)
