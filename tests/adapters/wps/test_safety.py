"""XML is parsed with DTDs, entities and network access off: XXE and entity-expansion
documents are refused at once with an ExceptionReport, and memory stays flat."""

import json
import resource
import time

import pytest

from tests.adapters.wps.conftest import (
    NS,
    checked,
    complex_input,
    complex_text,
    document,
    execute10,
    job_count,
    literal,
    output10,
    post,
)


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
    assert elapsed < 5.0  # generous for a shared machine: expanding it would take minutes
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mib < 20, f"peak memory grew by {grown_mib:.0f} MiB"  # 10^9 'lol's would be GiBs


def test_entities_without_doctype_are_not_expanded(wps):
    body = execute10("wps_echo", literal("text", "&xxe;")).encode()
    assert "not well-formed" in _refused(wps.post("/wps", content=body))


def test_inline_text_over_libxml2s_ten_megabytes_is_accepted(wps):
    text = "x" * 11_000_000  # one text node over libxml2's default limit, under max_body_mb
    root = post(wps, execute10("wps_echo", literal("text", text),
                               form='<wps:RawDataOutput><ows:Identifier>text</ows:Identifier>'
                                    "</wps:RawDataOutput>"), status=None)
    assert root is None  # a raw output is the text itself, not an XML document


def test_inline_features_over_ten_megabytes_are_buffered(wps):
    padding = "p" * 600
    features = [{"type": "Feature", "id": i, "properties": {"note": padding},
                 "geometry": {"type": "Point", "coordinates": [10 + i * 1e-4, 50.0]}}
                for i in range(18_000)]
    collection = json.dumps({"type": "FeatureCollection", "features": features})
    assert len(collection) > 10 * 1024 * 1024
    body = execute10("buffer", complex_input("features", collection), literal("distance", 10),
                     form=document(output10("result", mimeType="application/geo+json")))
    result = json.loads(complex_text(post(wps, body)))
    assert len(result["features"]) == 18_000
    assert result["features"][0]["geometry"]["type"] == "Polygon"


def test_nesting_deeper_than_the_guard_is_refused(wps):
    nested = "<a>" * 300 + "x" + "</a>" * 300
    body = execute10("buffer", complex_input("features", nested, "text/xml"),
                     literal("distance", 1))
    before = job_count(wps)
    root = checked(wps.post("/wps", content=body.encode()), 413)
    exception = root.find("ows:Exception", NS)
    assert exception.get("exceptionCode") == "FileSizeExceeded"
    assert "256 deep" in exception.findtext("ows:ExceptionText", namespaces=NS)
    assert job_count(wps) == before


def test_request_nested_too_deep_is_refused(wps):
    body = execute10("wps_echo", literal("text", "<b>" * 400 + "</b>" * 400))
    root = checked(wps.post("/wps", content=body.encode()), 413)
    assert root.find("ows:Exception", NS).get("exceptionCode") == "FileSizeExceeded"
