"""Inputs by reference: this server's own results resolved internally, external URLs only when
allow-listed and never to loopback/private/link-local/metadata addresses (checked after DNS),
POST bodies, and chaining (a nested Execute) with errors naming the process and the input."""

import json

import numpy as np
import pytest
import shapely
from pyproj import Geod
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from honua.adapters.wps.errors import OwsException
from honua.adapters.wps.fetch import Fetcher
from honua.app import create_app
from tests.adapters.wps.conftest import (
    NS,
    checked,
    complex_input,
    complex_text,
    document,
    execute10,
    execute20,
    input20,
    literal,
    output10,
    point_geojson,
    poll,
    post,
    wps_settings,
)
from tests.support.servers import serve

GEOD = Geod(ellps="WGS84")
MAX_MB = 1


def _external_app() -> Starlette:
    async def point(request: Request) -> Response:
        return Response(point_geojson(10.0, 50.0), media_type="application/geo+json")

    async def echo(request: Request) -> Response:
        return Response(await request.body(), media_type=request.headers.get("content-type"))

    async def big(request: Request) -> Response:
        return Response(b" " * (MAX_MB * 1048576 + 10), media_type="application/geo+json")

    return Starlette(routes=[
        Route("/api/conformance", lambda r: JSONResponse({})),
        Route("/point.geojson", point),
        Route("/echo", echo, methods=["POST"]),
        Route("/big", big),
        Route("/moved", lambda r: RedirectResponse("/point.geojson")),
        Route("/away", lambda r: RedirectResponse("http://169.254.169.254/latest/meta-data/")),
    ])


@pytest.fixture(scope="module")
def external():
    with serve(_external_app()) as base:
        yield base


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    settings = wps_settings(tmp_path_factory.mktemp("refs") / "data", max_body_mb=MAX_MB,
                            reference_allow_hosts=("127.0.0.1",))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _reference(name: str, href: str, extra: str = "", body: str = "", **attributes: str) -> str:
    attrs = "".join(f' {k}="{v}"' for k, v in attributes.items())
    inner = f"<wps:Body>{body}</wps:Body>" if body else ""
    return (f'<wps:Input><ows:Identifier>{name}</ows:Identifier><wps:Reference xlink:href="{href}"'
            f"{attrs}>{extra}{inner}</wps:Reference></wps:Input>")


def _buffer_from(href: str, **attributes: str) -> str:
    return execute10("buffer", _reference("features", href, **attributes), literal("distance", 100, "metre"))


def _exception(root):
    exception = root.find("ows:Exception", NS)
    return exception.get("exceptionCode"), exception.get("locator"), exception.findtext(
        "ows:ExceptionText", namespaces=NS)


def _max_ground_distance(text: str, lon=10.0, lat=50.0) -> float:
    polygon = shapely.geometry.shape(json.loads(text)["features"][0]["geometry"])
    xy = shapely.get_coordinates(polygon)
    _, _, distance = GEOD.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
    return float(distance.max())


# -- external references ----------------------------------------------------------------

def test_allow_listed_external_reference_is_fetched(refs, external):
    root = post(refs, _buffer_from(f"{external}/point.geojson"))
    assert abs(_max_ground_distance(complex_text(root)) - 100) < 0.5


def test_reference_with_post_body(refs, external):
    body = f"<![CDATA[{point_geojson(10.0, 50.0)}]]>"
    request = execute10("buffer", _reference("features", f"{external}/echo", body=body, method="POST",
                                             mimeType="application/geo+json"),
                        literal("distance", 100, "metre"))
    assert abs(_max_ground_distance(complex_text(post(refs, request))) - 100) < 0.5


def test_reference_with_a_body_reference(refs, external):
    extra = f'<wps:BodyReference xlink:href="{external}/point.geojson"/>'
    request = execute10("buffer", _reference("features", f"{external}/echo", extra=extra, method="POST",
                                             mimeType="application/geo+json"),
                        literal("distance", 100, "metre"))
    assert abs(_max_ground_distance(complex_text(post(refs, request))) - 100) < 0.5


def test_redirect_within_allowed_host_is_followed(refs, external):
    assert post(refs, _buffer_from(f"{external}/moved")) is not None


def test_redirect_to_metadata_address_is_refused(refs, external):
    code, locator, text = _exception(post(refs, _buffer_from(f"{external}/away"), status=400))
    assert (code, locator) == ("InvalidParameterValue", "features")
    assert "not allowed" in text or "metadata" in text


def test_reference_over_the_size_limit_is_refused(refs, external):
    code, locator, text = _exception(post(refs, _buffer_from(f"{external}/big"), status=413))
    assert (code, locator) == ("FileSizeExceeded", "features") and "larger than" in text


@pytest.mark.parametrize(("href", "fragment"), [
    ("http://169.254.169.254/latest/meta-data/", "not allowed"),
    ("http://10.0.0.8/data.json", "not allowed"),
    ("http://localhost:9/data.json", "not allowed"),
    ("file:///etc/passwd", "only http and https"),
])
def test_disallowed_references_are_refused_without_fetching(refs, href, fragment):
    code, locator, text = _exception(post(refs, _buffer_from(href), status=400))
    assert (code, locator) == ("InvalidParameterValue", "features") and fragment in text


def test_wps20_refused_reference_is_data_not_accessible(refs):
    body = ('<wps:Execute service="WPS" version="2.0.0" mode="sync" response="document" '
            'xmlns:wps="http://www.opengis.net/wps/2.0" xmlns:ows="http://www.opengis.net/ows/2.0" '
            'xmlns:xlink="http://www.w3.org/1999/xlink"><ows:Identifier>buffer</ows:Identifier>'
            '<wps:Input id="features"><wps:Reference xlink:href="http://169.254.169.254/"/></wps:Input>'
            '<wps:Input id="distance"><wps:Data>1</wps:Data></wps:Input></wps:Execute>')
    root = checked(refs.post("/wps", content=body), 400)
    assert root.find("ows2:Exception", NS).get("exceptionCode") == "DataNotAccessible"


# -- the address checks, with a fake resolver (no network) ------------------------------------

def _fetcher(allow, addresses):
    return Fetcher(allow, 1024, resolver=lambda host, port: addresses)


@pytest.mark.parametrize(("allow", "url", "addresses", "fragment"), [
    (["data.example.org"], "http://data.example.org/x", ["10.1.2.3"], "private"),
    (["data.example.org"], "http://data.example.org/x", ["192.168.1.20"], "private"),
    (["data.example.org"], "http://data.example.org/x", ["172.16.5.4"], "private"),
    (["data.example.org"], "http://data.example.org/x", ["127.0.0.1"], "loopback"),
    (["data.example.org"], "http://data.example.org/x", ["::1"], "loopback"),
    (["data.example.org"], "http://data.example.org/x", ["::ffff:127.0.0.1"], "loopback"),
    (["data.example.org"], "http://data.example.org/x", ["fd12::1"], "private"),
    (["data.example.org"], "http://data.example.org/x", ["169.254.1.1"], "link-local"),
    (["data.example.org"], "http://data.example.org/x", ["93.184.216.34", "10.0.0.1"], "private"),
    (["data.example.org", "169.254.0.0/16"], "http://data.example.org/x", ["169.254.169.254"],
     "metadata"),
    (["*.example.org"], "http://evil.example.com/x", ["93.184.216.34"], "not allowed"),
    (["data.example.org:8443"], "http://data.example.org/x", ["93.184.216.34"], "not allowed"),
    (["data.example.org"], "http://user:pw@data.example.org/x", ["93.184.216.34"], "credentials"),
    ([], "http://data.example.org/x", ["93.184.216.34"], "not allowed"),
])
def test_address_checks_refuse(allow, url, addresses, fragment):
    with pytest.raises(OwsException) as caught:
        _fetcher(allow, addresses).fetch(url, name="features")
    assert fragment in caught.value.message and caught.value.parameter == "features"


def test_hostname_resolving_to_loopback_is_refused_even_when_listed():
    with pytest.raises(OwsException, match="loopback"):
        Fetcher(["localhost"], 1024).fetch("http://localhost:9/x", name="features")


def test_checked_address_is_what_gets_connected():
    """The request goes to the checked IP with the name as Host (no second DNS lookup)."""
    target, host, sni = _fetcher(["data.example.org"], ["93.184.216.34"])._checked(
        "https://data.example.org/a?b=1", "features")
    assert (target, host, sni) == ("https://93.184.216.34:443/a?b=1", "data.example.org",
                                   "data.example.org")


# -- internal references and chaining ------------------------------------------------------

def test_reference_to_own_job_output_is_resolved_internally(wps):
    """'testserver' resolves nowhere and is not allow-listed: only internal resolution works."""
    form = document(output10("result"), storeExecuteResponse="true", status="true")
    first = post(wps, execute10("buffer", complex_input("features", point_geojson()),
                                literal("distance", 100, "metre"), form=form))
    poll(wps, first.get("statusLocation"))
    job_id = first.get("statusLocation").rsplit("/", 1)[1]
    for href in (f"http://testserver/wps/outputs/{job_id}/result",
                 f"http://testserver/api/jobs/{job_id}/results/result"):
        root = post(wps, _buffer_from(href))
        assert abs(_max_ground_distance(complex_text(root)) - 200) < 1.0


def test_reference_to_another_own_resource_is_refused(wps):
    code, locator, text = _exception(post(wps, _buffer_from("http://testserver/api/processes"), 400))
    assert locator == "features" and "not a resource of this server" in text


def _nested_buffer(distance, features: str | None = None) -> str:
    features = features or complex_input("features", point_geojson())
    return execute10("buffer", features, literal("distance", distance, "metre"),
                     form='<wps:RawDataOutput><ows:Identifier>result</ows:Identifier></wps:RawDataOutput>')


def test_chaining_buffer_of_a_buffer(wps):
    outer = execute10("buffer", _reference("features", "http://testserver/wps", method="POST",
                                           body=_nested_buffer(100)),
                      literal("distance", 100, "metre"))
    root = post(wps, outer)
    assert abs(_max_ground_distance(complex_text(root)) - 200) < 1.0


def test_chaining_with_geoserver_internal_href(wps):
    """GeoServer's request builder chains with href="http://geoserver/wps": run here, not fetched."""
    outer = execute10("buffer", _reference("features", "http://geoserver/wps", method="POST",
                                           body=_nested_buffer(100)),
                      literal("distance", 100, "metre"))
    root = post(wps, outer)
    assert abs(_max_ground_distance(complex_text(root)) - 200) < 1.0


def test_chaining_two_levels_deep(wps):
    inner = _reference("features", "http://testserver/wps", method="POST", body=_nested_buffer(50))
    middle = _nested_buffer(50, features=inner)
    outer = execute10("buffer", _reference("features", "http://testserver/wps", method="POST", body=middle),
                      literal("distance", 100, "metre"))
    assert abs(_max_ground_distance(complex_text(post(wps, outer))) - 200) < 1.0


def test_chaining_failure_names_the_inner_process_and_input(wps):
    outer = execute10("buffer", _reference("features", "http://testserver/wps", method="POST",
                                           body=_nested_buffer("far")),
                      literal("distance", 100, "metre"))
    code, locator, text = _exception(post(wps, outer, status=400))
    assert code == "InvalidParameterValue" and locator == "distance"
    assert "process 'buffer' (chained into input 'features')" in text and "'distance'" in text


def test_chaining_run_failure_names_the_inner_process(wps):
    nested = execute10("wps_fail", form="<wps:RawDataOutput><ows:Identifier>result</ows:Identifier>"
                                        "</wps:RawDataOutput>")
    outer = execute10("wps_echo", literal("text", "x"),
                      _reference("count", "http://testserver/wps", method="POST", body=nested))
    code, locator, text = _exception(post(wps, outer, status=500))
    assert locator == "count" and "process 'wps_fail' (chained into input 'count')" in text
    assert "crashed" in text


def test_chaining_in_wps20(wps):
    nested = execute20("buffer", input20("features", point_geojson()), input20("distance", "100"),
                       outputs='<wps:Output id="result"/>', response="raw")
    outer = execute20("buffer", '<wps:Input id="features"><wps:Reference xlink:href="http://testserver/wps">'
                      f"<wps:Body>{nested}</wps:Body></wps:Reference></wps:Input>",
                      input20("distance", "100"), response="raw", outputs='<wps:Output id="result"/>')
    response = wps.post("/wps", content=outer)
    assert response.status_code == 200
    assert abs(_max_ground_distance(response.text) - 200) < 1.0


def _ledger_inputs(client, process_id: str) -> dict:
    manager = client.app.state.services.manager
    job = next(j for j in manager.list(limit=50)[0] if j.process_id == process_id)
    for _ in range(100):  # the entry is completed just after the job ends
        try:
            return dict(manager.provenance(job.id)[0].inputs)
        except Exception:  # noqa: BLE001 - not written yet
            import time
            time.sleep(0.05)
    raise AssertionError(f"no ledger entry for job {job.id}")


def test_ledger_records_a_fetched_reference_origin(tmp_path, external):
    """An input read from a URL is recorded in the ledger with that URL and the SHA-256 of
    the bytes fetched (so a reader can tell later what the server saw there)."""
    import hashlib

    settings = wps_settings(tmp_path / "data", reference_allow_hosts=("127.0.0.1",))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        href = f"{external}/point.geojson"
        post(client, _buffer_from(href))
        origin = _ledger_inputs(client, "buffer")["features"]["origin"]
        fetched = point_geojson(10.0, 50.0)
        fetched = fetched.encode() if isinstance(fetched, str) else fetched
        assert origin == {"url": href, "sha256": hashlib.sha256(fetched).hexdigest(),
                          "bytes": len(fetched)}
