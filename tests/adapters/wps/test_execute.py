"""Execute in WPS 1.0.0 (KVP and XML; sync, stored, async with statusLocation; document,
raw, lineage, references) and WPS 2.0 (sync/async/auto, GetStatus, GetResult, Dismiss)."""

import json
import re
import time

import shapely
from lxml import etree

from tests.adapters.wps.conftest import (
    NS,
    checked,
    complex_input,
    complex_text,
    document,
    execute10,
    execute20,
    input20,
    job_count,
    kvp,
    literal,
    output10,
    point_geojson,
    poll,
    poll20,
    post,
    status_of,
)

BUFFER_INPUTS = (complex_input("features", point_geojson()), literal("distance", 100, "metre"))


def _geojson_polygon(text: str) -> shapely.Geometry:
    return shapely.geometry.shape(json.loads(text)["features"][0]["geometry"])


def test_execute10_sync_document_with_geojson(wps):
    root = post(wps, execute10("buffer", *BUFFER_INPUTS))
    assert status_of(root) == "ProcessSucceeded"
    assert root.get("statusLocation") is None  # nothing stored was asked for
    polygon = _geojson_polygon(complex_text(root))
    assert polygon.geom_type == "Polygon" and polygon.contains(shapely.Point(10, 50))
    data = root.find("wps:ProcessOutputs/wps:Output/wps:Data/wps:ComplexData", NS)
    assert data.get("mimeType") == "application/geo+json"


def test_execute10_raw_data_output(wps):
    form = ('<wps:RawDataOutput mimeType="application/wkt"><ows:Identifier>result</ows:Identifier>'
            "</wps:RawDataOutput>")
    response = wps.post("/wps", content=execute10("buffer", *BUFFER_INPUTS, form=form))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/wkt")
    assert shapely.from_wkt(response.text).contains(shapely.Point(10, 50))


def test_execute10_by_kvp(wps):
    inputs = f"features={point_geojson()}@mimeType=application/geo+json;distance=100@uom=metre"
    root = kvp(wps, request="Execute", version="1.0.0", identifier="buffer", DataInputs=inputs,
               ResponseDocument="result@mimeType=application/gml+xml%3B version=3.2")  # ';' escaped
    feature_collection = root.find("wps:ProcessOutputs/wps:Output/wps:Data/wps:ComplexData/*", NS)
    assert etree.QName(feature_collection).localname == "FeatureCollection"
    assert feature_collection.find(".//gml:Polygon", NS) is not None


def test_execute10_kvp_raw_output(wps):
    response = wps.get("/wps", params={
        "service": "WPS", "version": "1.0.0", "request": "Execute", "identifier": "wps_echo",
        "DataInputs": "text=hello;count=7", "RawDataOutput": "count"})
    assert response.status_code == 200 and response.text == "7"


def test_execute10_literals_bbox_and_uom_outputs(wps):
    root = post(wps, execute10(
        "wps_echo", literal("text", "hi"), literal("flag", "true"), literal("distance", 2, "mile"),
        '<wps:Input><ows:Identifier>extent</ows:Identifier><wps:Data>'
        '<wps:BoundingBoxData crs="urn:ogc:def:crs:EPSG::4326" dimensions="2">'
        "<ows:LowerCorner>50 10</ows:LowerCorner><ows:UpperCorner>51 11</ows:UpperCorner>"
        "</wps:BoundingBoxData></wps:Data></wps:Input>",
        form=document(output10("flag"), output10("distance"), output10("extent"))))
    outputs = {o.findtext("ows:Identifier", namespaces=NS): o.find("wps:Data/*", NS)
               for o in root.iterfind("wps:ProcessOutputs/wps:Output", NS)}
    assert outputs["flag"].text == "true" and outputs["flag"].get("dataType") == "boolean"
    assert (outputs["distance"].text, outputs["distance"].get("uom")) == ("2.0", "mile")
    extent = outputs["extent"]
    assert extent.get("crs") == "urn:ogc:def:crs:EPSG::4326"  # written back lat/lon, as read
    assert extent.findtext("ows:LowerCorner", namespaces=NS) == "50.0 10.0"


def test_execute10_lineage_echoes_inputs_and_output_definitions(wps):
    form = document(output10("result", mimeType="application/wkt"), lineage="true")
    root = post(wps, execute10("buffer", *BUFFER_INPUTS, form=form))
    inputs = root.findall("wps:DataInputs/wps:Input", NS)
    assert [i.findtext("ows:Identifier", namespaces=NS) for i in inputs] == ["features", "distance"]
    assert inputs[1].find("wps:Data/wps:LiteralData", NS).get("uom") == "metre"
    definition = root.find("wps:OutputDefinitions/wps:Output", NS)
    assert definition.get("mimeType") == "application/wkt"


def test_execute10_output_as_reference_is_served_from_the_job(wps):
    form = document(output10("result", asReference="true", mimeType="application/wkt"))
    root = post(wps, execute10("buffer", *BUFFER_INPUTS, form=form))
    assert status_of(root) == "ProcessSucceeded"
    reference = root.find("wps:ProcessOutputs/wps:Output/wps:Reference", NS)
    assert reference.get("mimeType") == "application/wkt"
    served = wps.get(reference.get("href"))
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/wkt")
    assert shapely.from_wkt(served.text).contains(shapely.Point(10, 50))


def test_execute10_async_status_location_follows_the_job(wps):
    form = document(output10("result"), storeExecuteResponse="true", status="true", lineage="true")
    root = post(wps, execute10("wps_slow", literal("seconds", 1.5), form=form))
    assert status_of(root) in ("ProcessAccepted", "ProcessStarted")
    location = root.get("statusLocation")
    deadline = time.monotonic() + 30
    while True:  # running, then at 50 % (its first progress report), then done
        started = poll(wps, location, until=("ProcessStarted", "ProcessSucceeded"))
        assert status_of(started) == "ProcessStarted", "the job was never seen at 50 %"
        percent = started.find("wps:Status/wps:ProcessStarted", NS).get("percentCompleted")
        if percent == "50" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert percent == "50"
    assert started.find("wps:DataInputs", NS) is not None  # lineage kept with the job
    done = poll(wps, location)
    assert status_of(done) == "ProcessSucceeded"
    assert done.findtext("wps:ProcessOutputs/wps:Output/wps:Data/wps:LiteralData", namespaces=NS) == "1"


def test_execute10_async_failure_is_process_failed(wps):
    form = document(storeExecuteResponse="true", status="true")
    root = post(wps, execute10("wps_fail", literal("reason", "input"), form=form))
    done = poll(wps, root.get("statusLocation"))
    exception = done.find("wps:Status/wps:ProcessFailed/ows:ExceptionReport/ows:Exception", NS)
    assert exception.get("exceptionCode") == "InvalidParameterValue"
    assert "out of range" in exception.findtext("ows:ExceptionText", namespaces=NS)


def test_execute10_store_without_status_answers_when_done(wps):
    form = document(output10("result"), storeExecuteResponse="true")
    root = post(wps, execute10("buffer", *BUFFER_INPUTS, form=form))
    assert status_of(root) == "ProcessSucceeded" and root.get("statusLocation")
    assert status_of(checked(wps.get(root.get("statusLocation")))) == "ProcessSucceeded"


def test_execute10_sync_failure_is_an_exception_report(wps):
    before = job_count(wps)
    root = post(wps, execute10("wps_fail"), status=500)
    exception = root.find("ows:Exception", NS)
    assert exception.get("exceptionCode") == "NoApplicableCode"
    assert "crashed" in exception.findtext("ows:ExceptionText", namespaces=NS)
    assert job_count(wps) == before + 1  # the failed run is recorded, nothing else


def test_status_location_of_unknown_job_is_404(wps):
    checked(wps.get("/wps/status/no-such-job"), 404)
    checked(wps.get("/wps/outputs/no-such-job/result"), 404)


# -- WPS 2.0 --------------------------------------------------------------------------------

BUFFER20 = (input20("features", point_geojson(), "application/geo+json"),
            '<wps:Input id="distance"><wps:Data><wps:LiteralValue uom="metre">100</wps:LiteralValue>'
            "</wps:Data></wps:Input>")


def test_execute20_sync_document(wps):
    root = post(wps, execute20("buffer", *BUFFER20, outputs='<wps:Output id="result"/>'))
    data = root.find("wps2:Output/wps2:Data", NS)
    assert data.get("mimeType") == "application/geo+json"
    assert _geojson_polygon(data.text).contains(shapely.Point(10, 50))


def test_execute20_sync_raw(wps):
    response = wps.post("/wps", content=execute20(
        "buffer", *BUFFER20, outputs='<wps:Output id="result" mimeType="application/wkt"/>',
        response="raw"))
    assert response.status_code == 200
    assert shapely.from_wkt(response.text).contains(shapely.Point(10, 50))


def test_execute20_async_status_then_result(wps):
    root = post(wps, execute20("wps_slow", input20("seconds", "0.5"), mode="async"))
    assert root.findtext("wps2:Status", namespaces=NS) in ("Accepted", "Running")
    job_id = root.findtext("wps2:JobID", namespaces=NS)
    assert root.find("wps2:NextPoll", NS) is not None
    assert poll20(wps, job_id).findtext("wps2:Status", namespaces=NS) == "Succeeded"
    result = kvp(wps, request="GetResult", version="2.0.0", jobid=job_id)
    assert result.findtext("wps2:JobID", namespaces=NS) == job_id
    value = result.find("wps2:Output/wps2:Data/wps2:LiteralValue", NS)
    assert value.text == "1" and value.get("dataType").endswith("#integer")


def test_execute20_result_not_ready_then_dismiss_cancels(wps):
    root = post(wps, execute20("wps_slow", input20("seconds", "30"), mode="async"))
    job_id = root.findtext("wps2:JobID", namespaces=NS)
    poll20(wps, job_id, until=("Running",))
    early = kvp(wps, 400, request="GetResult", version="2.0.0", jobid=job_id)
    assert early.find("ows2:Exception", NS).get("exceptionCode") == "ResultNotReady"
    body = ('<wps:Dismiss service="WPS" version="2.0.0" xmlns:wps="http://www.opengis.net/wps/2.0">'
            f"<wps:JobID>{job_id}</wps:JobID></wps:Dismiss>")
    assert post(wps, body).findtext("wps2:Status", namespaces=NS) == "Dismissed"
    gone = kvp(wps, 400, request="GetStatus", version="2.0.0", jobid=job_id)
    assert gone.find("ows2:Exception", NS).get("exceptionCode") == "NoSuchJob"


def test_execute20_async_raw_result_follows_the_request(wps):
    root = post(wps, execute20("buffer", *BUFFER20, mode="async", response="raw",
                               outputs='<wps:Output id="result" mimeType="application/wkt"/>'))
    job_id = root.findtext("wps2:JobID", namespaces=NS)
    poll20(wps, job_id)
    raw = wps.get("/wps", params={"service": "WPS", "version": "2.0.0", "request": "GetResult",
                                  "jobId": job_id})
    assert raw.headers["content-type"].startswith("application/wkt")
    assert shapely.from_wkt(raw.text).contains(shapely.Point(10, 50))


def test_execute20_auto_and_reference_transmission(wps):
    root = post(wps, execute20("buffer", *BUFFER20, mode="auto",
                               outputs='<wps:Output id="result" transmission="reference"/>'))
    job_id = root.findtext("wps2:JobID", namespaces=NS)
    href = root.find("wps2:Output/wps2:Reference", NS).get(f"{{{NS['xlink']}}}href")
    assert job_id and href.endswith(f"/wps/outputs/{job_id}/result")
    assert _geojson_polygon(wps.get(href).text).contains(shapely.Point(10, 50))


def test_get_status_by_post_and_failed_job(wps):
    root = post(wps, execute20("wps_fail", mode="async"))
    job_id = root.findtext("wps2:JobID", namespaces=NS)
    body = ('<wps:GetStatus service="WPS" version="2.0.0" xmlns:wps="http://www.opengis.net/wps/2.0">'
            f"<wps:JobID>{job_id}</wps:JobID></wps:GetStatus>")
    assert poll20(wps, job_id).findtext("wps2:Status", namespaces=NS) == "Failed"
    assert post(wps, body).findtext("wps2:Status", namespaces=NS) == "Failed"
    failed = kvp(wps, 500, request="GetResult", version="2.0.0", jobid=job_id)
    assert "crashed" in failed.findtext("ows2:Exception/ows2:ExceptionText", namespaces=NS)


def test_status_location_is_usable_with_any_base(wps):
    """statusLocation and references are absolute URLs on the server's public base."""
    form = document(storeExecuteResponse="true", status="true")
    root = post(wps, execute10("wps_slow", literal("seconds", 0), form=form))
    assert re.match(r"^http://testserver/wps/status/[\w-]+$", root.get("statusLocation"))


def test_jobs_from_the_ogc_api_are_visible_through_wps(wps):
    """One job store behind every protocol: GetStatus/GetResult answer for an OGC API job."""
    request = {"inputs": {"features": json.loads(point_geojson()), "distance": 100}}
    job_id = wps.post("/api/processes/buffer/execution", json=request,
                      headers={"Prefer": "respond-async"}).json()["jobID"]
    poll20(wps, job_id)
    result = kvp(wps, request="GetResult", version="2.0.0", jobid=job_id)
    assert _geojson_polygon(result.find("wps2:Output/wps2:Data", NS).text).contains(shapely.Point(10, 50))
    assert status_of(checked(wps.get(f"/wps/status/{job_id}"))) == "ProcessSucceeded"
