"""Inline GeoJSON ComplexData of more than ``TEXT_VALUE_BYTES`` is decoded in the worker, not
in the front process (``core.json_text``), whose GeoJSON outputs come back as the worker
wrote them: the answers are those of small inputs, and the errors are ExceptionReports."""

from __future__ import annotations

import json

import pytest
from lxml import etree
from starlette.testclient import TestClient

from honua.app import create_app
from honua.web.json_body import TEXT_VALUE_BYTES
from tests.adapters.wps.conftest import NS, wps_settings

COUNT = 4000
MAX_VERTICES = 5000


@pytest.fixture(scope="module")
def wps(tmp_path_factory):
    app = create_app(wps_settings(tmp_path_factory.mktemp("bigwps") / "data", workers=1,
                                  max_vertices=MAX_VERTICES))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _points(count: int = COUNT) -> dict:
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"n": i},
        "geometry": {"type": "Point", "coordinates": [i * 0.001, 45.0]}} for i in range(count)]}


def _execute(wps, geojson: str, output: str) -> bytes:
    assert len(geojson) > TEXT_VALUE_BYTES
    body = (
        '<wps:Execute service="WPS" version="1.0.0" xmlns:wps="http://www.opengis.net/wps/1.0.0"'
        ' xmlns:ows="http://www.opengis.net/ows/1.1"><ows:Identifier>buffer</ows:Identifier>'
        "<wps:DataInputs><wps:Input><ows:Identifier>features</ows:Identifier><wps:Data>"
        f'<wps:ComplexData mimeType="application/geo+json"><![CDATA[{geojson}]]>'
        "</wps:ComplexData></wps:Data></wps:Input><wps:Input><ows:Identifier>distance"
        '</ows:Identifier><wps:Data><wps:LiteralData uom="metre">10</wps:LiteralData>'
        f"</wps:Data></wps:Input></wps:DataInputs><wps:ResponseForm>{output}"
        "</wps:ResponseForm></wps:Execute>").encode()
    return wps.post("/wps", content=body, headers={"Content-Type": "text/xml"})


RAW = ('<wps:RawDataOutput mimeType="application/geo+json"><ows:Identifier>result'
       "</ows:Identifier></wps:RawDataOutput>")


def test_a_big_inline_geojson_is_buffered_like_a_small_one(wps):
    answer = _execute(wps, json.dumps(_points()), RAW)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("application/geo+json")
    result = answer.json()
    assert len(result["features"]) == COUNT
    assert result["features"][7]["properties"]["n"] == 7
    assert result["features"][0]["geometry"]["type"] == "Polygon"


@pytest.mark.parametrize("mime", ["application/geo+json", "application/wkt"])
def test_a_big_inline_geojson_in_a_response_document(wps, mime):
    output = (f'<wps:ResponseDocument><wps:Output mimeType="{mime}"><ows:Identifier>result'
              "</ows:Identifier></wps:Output></wps:ResponseDocument>")
    answer = _execute(wps, json.dumps(_points()), output)
    assert answer.status_code == 200, answer.text[:300]
    data = etree.fromstring(answer.content).find(".//wps:ComplexData", NS)
    assert data is not None, answer.text[:300]
    if mime == "application/wkt":  # re-encoded in the front, as asked
        assert data.text.count("POLYGON") == COUNT
    else:
        assert len(json.loads(data.text)["features"]) == COUNT


def test_a_big_inline_geojson_with_a_bad_geometry_is_an_exception_report(wps):
    features = _points()
    features["features"][1234]["geometry"]["coordinates"] = ["a"]
    answer = _execute(wps, json.dumps(features), RAW)
    assert answer.status_code == 400, answer.text[:300]
    report = etree.fromstring(answer.content)
    assert report.find(".//ows:Exception", NS).get("exceptionCode") == "InvalidParameterValue"
    assert "invalid GeoJSON geometry" in answer.text and "Traceback" not in answer.text


def test_a_big_inline_geojson_that_is_not_json_is_a_400(wps):
    text = json.dumps(_points()).replace('"n": 7}', '"n": 7,}', 1)
    answer = _execute(wps, text, RAW)
    assert answer.status_code == 400, answer.text[:300]
    assert "not valid JSON" in answer.text


def test_a_big_inline_geojson_past_max_vertices_is_413(wps):
    answer = _execute(wps, json.dumps(_points(MAX_VERTICES + 1)), RAW)
    assert answer.status_code == 413, answer.text[:300]
    assert f"{MAX_VERTICES:,}" in answer.text


def test_only_big_inline_geojson_is_left_as_text(wps):
    from honua.adapters.wps import payloads
    from honua.core.json_text import JSONText

    parameter = wps.app.state.services.registry.get("buffer").description.input("features")
    big = payloads.decode_complex(parameter, json.dumps(_points()), None,
                                  "application/geo+json", None, None)
    assert isinstance(big, JSONText)
    small = payloads.decode_complex(parameter, json.dumps(_points(3)), None,
                                    "application/geo+json", None, None)
    assert isinstance(small, dict) and len(small["features"]) == 3
