"""Results stored as values (a job's big GeoJSON output kept in the artifact store) go out
on every face as the stored bytes, in chunks, never decoded in the front: the same
answer a whole read and the usual encoders give, sent as many body messages none of
which holds the result. Kept as an artifact of its own (``externalise``) or inline in
``outputs.json``, both are read as they are sent."""

from __future__ import annotations

import orjson
import pytest
from lxml import etree
from starlette.testclient import TestClient

from honua.adapters.ogcapi.responses import results_response
from honua.adapters.wps import payloads
from honua.adapters.wps.runs import output_request
from honua.app import create_app
from honua.geo.geojson import write_features
from honua.geo.precision import DEFAULT, rounded
from honua.geo.reproject import to_crs
from honua.settings import Settings
from honua.web.geojson_stream import BATCH
from tests.adapters.ogcapi.test_result_streaming import BodySizes
from tests.support.jobs import buffer_body, wait_for
from tests.support.stored_results import big_geojson, store_result

FEATURES = 20_000  # about 2.3 MB: past the streaming threshold, quick to decode for the check
GP = "/arcgis/rest/services/Geoprocessing/GPServer/Buffer"
WPS_NS = {"wps": "http://www.opengis.net/wps/2.0"}


@pytest.fixture(scope="module")
def big():
    return big_geojson(FEATURES)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("stored-values") / "data"
    settings = Settings(data_dir=data, workers=1, job_timeout_seconds=60,
                        cleanup_interval_seconds=3600)
    app = BodySizes(create_app(settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, app, app.app.state.services.manager


@pytest.fixture(params=["artifact", "inline"])
def job(request, served, big):
    """A finished buffer job (results document asked) whose stored result is ``big``."""
    client, _, manager = served
    submitted = client.post("/api/processes/buffer/execution",
                            json={**buffer_body(1), "response": "document"},
                            headers={"Prefer": "respond-async"})
    assert submitted.status_code == 201, submitted.text
    job_id = submitted.json()["jobID"]
    assert wait_for(client, job_id)["status"] == "successful"
    store_result(manager.artifacts, job_id, big, inline=request.param == "inline")
    return job_id


def _get(served, url, **params):
    client, app, _ = served
    app.sizes.clear()
    answer = client.get(url, params=params, headers={"Accept-Encoding": "identity"})
    assert answer.status_code == 200, answer.text[:500]
    sent = [size for size in app.sizes if size]
    return answer, sent


def _in_chunks(sent, total):
    assert len(sent) >= 2 and max(sent) < total  # streamed: no one message holds it


def test_ogc_results_document_is_the_stored_bytes_spliced(served, job, big):
    """The document the encoders build from a whole read, with the value's stored bytes in
    place: GEOS writes some rounded coordinates long (``-64.67513340000001``), which a
    decode and re-encode shortened (``-64.6751334``, the same double); now they go out
    as the worker wrote them, as the raw and GeoJSON answers always sent them."""
    _, _, manager = served
    answer, sent = _get(served, f"/api/jobs/{job}/results")
    record = manager.get(job)
    description = manager.registry.get(record.process_id).description
    whole = results_response(description, record.options,
                             orjson.loads(manager.results_json(job)),
                             f"http://testserver/api/jobs/{job}/results", {}).body
    spliced = orjson.dumps({"result": {"value": orjson.Fragment(big),
                                       "mediaType": "application/geo+json"}})
    assert answer.content == spliced
    assert orjson.loads(answer.content) == orjson.loads(whole)  # the same JSON values
    assert answer.headers["content-length"] == str(len(spliced))
    _in_chunks(sent, len(spliced))


def test_ogc_geojson_download_and_raw_output_are_the_stored_bytes(served, job, big):
    _, _, manager = served
    whole = write_features(manager.results(job)["result"], DEFAULT)  # what f=geojson wrote
    assert whole == big
    answer, sent = _get(served, f"/api/jobs/{job}/results", f="geojson")
    assert answer.content == big
    assert answer.headers["content-disposition"] == \
        f'attachment; filename="{job}-result.geojson"'
    _in_chunks(sent, len(big))
    raw, sent = _get(served, f"/api/jobs/{job}/results/result")
    assert raw.content == big and raw.headers["content-type"] == "application/geo+json"
    _in_chunks(sent, len(big))


def test_gpserver_geojson_result_is_the_stored_bytes(served, job, big):
    answer, sent = _get(served, f"{GP}/jobs/{job}/results/result", f="geojson")
    assert answer.content == big
    _in_chunks(sent, len(big))


def test_wps_result_document_and_output_reference_are_the_stored_bytes(served, job, big):
    _, _, manager = served
    record = manager.get(job)
    parameter = manager.registry.get(record.process_id).description.output("result")
    whole = payloads.render(parameter, manager.results(job)["result"],
                            output_request("result", record.options.output("result")))
    answer, sent = _get(served, "/wps", service="WPS", version="2.0.0",
                        request="GetResult", jobid=job)
    document = etree.fromstring(answer.content)
    (data,) = document.findall(".//wps:Output/wps:Data", WPS_NS)
    assert data.get("mimeType") == whole.mime_type
    assert data.text.encode() == whole.body == big  # a "]]>" in a value survives the CDATA
    assert b"]]]]><![CDATA[>" in answer.content
    _in_chunks(sent, len(big))
    output, sent = _get(served, f"/wps/outputs/{job}/result")
    assert output.content == whole.body
    assert output.headers["content-type"].startswith(whole.mime_type)
    _in_chunks(sent, len(big))


def test_small_results_are_answered_as_before(served):
    """Below the threshold, the usual one-body answers (nothing spliced)."""
    client, app, _ = served
    submitted = client.post("/api/processes/buffer/execution",
                            json={**buffer_body(3), "response": "document"},
                            headers={"Prefer": "respond-async"})
    job_id = submitted.json()["jobID"]
    assert wait_for(client, job_id)["status"] == "successful"
    answer, sent = _get(served, f"/api/jobs/{job_id}/results")
    assert len(answer.json()["result"]["value"]["features"]) == 3
    assert len(sent) == 1


@pytest.mark.parametrize("params", [{"outSR": "3857"}, {"geometryPrecision": "2"},
                                    {"outSR": "3857", "geometryPrecision": "1"}])
def test_gpserver_geojson_converted_batch_by_batch_is_the_whole_conversion(served, job,
                                                                            params):
    """``outSR``/``geometryPrecision`` on a stored result: converted a batch at a time,
    the bytes a conversion of the whole decoded result writes."""
    _, _, manager = served
    value = manager.results(job)["result"]
    if "outSR" in params:
        value = to_crs(value, int(params["outSR"]))
    asked = int(params["geometryPrecision"]) if "geometryPrecision" in params else None
    whole = write_features(rounded(value, DEFAULT.asking(asked)), DEFAULT)
    answer, sent = _get(served, f"{GP}/jobs/{job}/results/result", f="geojson", **params)
    assert answer.content == whole
    assert len(answer.json()["features"]) == FEATURES
    assert len(sent) >= FEATURES // BATCH  # one message a batch at least, none holding all
    assert max(sent) < len(whole)


def test_a_streamed_result_is_still_compressed_when_asked(served, job, big):
    client, app, _ = served
    app.sizes.clear()
    answer = client.get(f"/api/jobs/{job}/results", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert "content-length" not in answer.headers or \
        int(answer.headers["content-length"]) < len(big)  # not the uncompressed length
    assert big in answer.content  # httpx decodes
    assert len([size for size in app.sizes if size]) > 1  # compressed chunk by chunk
