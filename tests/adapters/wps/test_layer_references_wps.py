"""WPS inputs referencing this server's own catalog collections: resolved by the core,
filter pushed down, no HTTP round trip; unknown layers and bad filters are exceptions."""

import json

import pytest
from starlette.testclient import TestClient

from honua.app import create_app
from tests.adapters.wps.conftest import (
    NS,
    complex_text,
    execute10,
    literal,
    post,
    wps_settings,
)
from tests.support.layers import write_layer


@pytest.fixture(scope="module")
def wps(tmp_path_factory):
    data = tmp_path_factory.mktemp("wps-layers") / "data"
    write_layer(data / "layers" / "cities.gpkg", 25)
    with TestClient(create_app(wps_settings(data)), raise_server_exceptions=False) as client:
        yield client


def _buffer_of(href: str) -> str:
    href = href.replace("&", "&amp;")
    reference = (f'<wps:Input><ows:Identifier>features</ows:Identifier>'
                 f'<wps:Reference xlink:href="{href}" mimeType="application/geo+json"/></wps:Input>')
    return execute10("buffer", reference, literal("distance", 100, "metre"))


def test_wps_reference_to_own_collection_items_with_filter(wps):
    """'testserver' resolves nowhere: only internal resolution can answer."""
    href = "http://testserver/api/collections/cities/items?filter=population%20%3C%203000&limit=2"
    result = json.loads(complex_text(post(wps, _buffer_of(href))))
    assert sorted(f["properties"]["name"] for f in result["features"]) == ["city0", "city1"]


def test_wps_reference_to_own_upload(wps):
    """Issue 5: an href to this server's uploads is resolved internally."""
    geojson = json.dumps({"type": "Feature", "properties": {"name": "up"},
                          "geometry": {"type": "Point", "coordinates": [10, 50]}})
    response = wps.post("/api/uploads", files={"file": ("p.geojson", geojson,
                                                        "application/geo+json")})
    assert response.status_code == 201, response.text
    href = f"http://testserver/api/uploads/{response.json()['uploadId']}"
    result = json.loads(complex_text(post(wps, _buffer_of(href))))
    assert [f["properties"]["name"] for f in result["features"]] == ["up"]


@pytest.mark.parametrize(("href", "text"), [
    ("http://testserver/api/collections/nowhere/items", "no collection 'nowhere'"),
    ("http://testserver/api/uploads/nothing-here", "no upload 'nothing-here'"),
    ("http://testserver/api/collections/cities/items?name=city1", "query parameter name='city1'"),
    ("http://testserver/api/collections/cities/items?filter=colour='red'", "unknown property"),
])
def test_wps_bad_layer_references_are_exceptions(wps, href, text):
    root = post(wps, _buffer_of(href), 400)
    exception = root.find("ows:Exception", NS)
    assert text in exception.findtext("ows:ExceptionText", namespaces=NS)
