"""uploads/upload, items, delete, and features given by upload or by this server's layer URL."""

import base64
import json

import pytest

from tests.adapters.gpserver.conftest import GP, METERS, error_of, poll
from tests.adapters.gpserver.schemas import assert_valid

GEOJSON = json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "a"}, "geometry": {"type": "Point",
                                                                "coordinates": [10, 50]}},
    {"type": "Feature", "properties": {"name": "b"}, "geometry": {"type": "Point",
                                                                "coordinates": [20, 50]}}]})


def _upload(client, content=GEOJSON, name="points.geojson"):
    response = client.post(f"{GP}/uploads/upload", data={"f": "json", "description": "two points"},
                           files={"file": (name, content.encode(), "application/geo+json")})
    return assert_valid(response.json(), "upload")["item"]


def _buffer(client, features, **env):
    response = client.post(f"{GP}/Buffer/execute", data={
        "features": json.dumps(features), "distance": METERS, "f": "json", **env})
    return response.json()


def test_upload_answers_an_item_that_can_be_read_back(client):
    item = _upload(client)
    assert item["itemName"] == "points.geojson" and item["description"] == "two points"
    assert item["committed"] is True and isinstance(item["date"], int)
    again = assert_valid(client.get(f"{GP}/uploads/{item['itemID']}", params={"f": "json"}).json(),
                         "item")
    assert again == item


def test_uploaded_features_are_a_task_input_by_item_id(client):
    item = _upload(client)
    document = assert_valid(_buffer(client, {"itemID": item["itemID"]}), "execute")
    features = document["results"][0]["value"]["features"]
    assert sorted(f["attributes"]["name"] for f in features) == ["a", "b"]


def test_process_sr_and_extent_apply_to_uploaded_features(client):
    item = _upload(client)
    extent = {"xmin": 15, "ymin": 45, "xmax": 25, "ymax": 55, "spatialReference": {"wkid": 4326}}
    context = json.dumps({"processSR": {"wkid": 3857}, "extent": extent})
    value = _buffer(client, {"itemID": item["itemID"]}, context=context)["results"][0]["value"]
    assert value["spatialReference"]["latestWkid"] == 3857
    assert [f["attributes"]["name"] for f in value["features"]] == ["b"]


def test_delete_is_post_only_and_removes_the_item(client):
    item = _upload(client)
    url = f"{GP}/uploads/{item['itemID']}"
    deleted = client.post(f"{url}/delete", data={"f": "pjson"})
    assert deleted.json() == {"success": True} and "\n  " in deleted.text  # f from the body
    assert error_of(client.get(url, params={"f": "json"}))["code"] == 404
    error = error_of(client.post(f"{GP}/Buffer/execute", data={
        "features": json.dumps({"itemID": item["itemID"]}), "distance": METERS, "f": "json"}))
    assert error["code"] == 400 and "upload" in error["message"]


def test_uploads_info_gives_the_size_limit_in_mb(client):
    info = client.get(f"{GP}/uploads/info", params={"f": "json"}).json()
    assert info["maxUploadFileSize"] > 0


@pytest.mark.parametrize(("content", "name", "words"), [
    ("not json at all", "points.geojson", "refused"),
    ("MZ\x90\x00", "tool.exe", "format"),
])
def test_hostile_or_unreadable_uploads_are_refused(client, content, name, words):
    response = client.post(f"{GP}/uploads/upload", data={"f": "json"},
                           files={"file": (name, content.encode(), "application/octet-stream")})
    error = error_of(response)
    assert error["code"] == 400 and words in error["message"].lower()


def test_upload_without_file_part_is_refused(client):
    response = client.post(f"{GP}/uploads/upload", data={"f": "json"},
                           files={"other": ("x.geojson", GEOJSON.encode(), "application/json")})
    assert "'file'" in error_of(response)["message"]


def test_features_by_url_of_this_servers_collection(client):
    url = "http://testserver/api/collections/cities/items?limit=3"
    value = _buffer(client, {"url": url})["results"][0]["value"]
    assert len(value["features"]) == 3


def test_features_by_url_are_in_the_ledger_with_their_url(client, services):
    url = "http://testserver/api/collections/cities/items?limit=2"
    assert len(_buffer(client, {"url": url})["results"][0]["value"]["features"]) == 2
    store = services.manager.recorder.store
    job = next(j for j in services.manager.list(limit=20)[0] if j.process_id == "buffer")
    origin = store.provenance(job.id).inputs["features"]["origin"]
    assert origin["url"] == url and origin["layer"] == "cities"


def test_features_by_url_with_out_sr(client):
    url = "http://testserver/api/collections/cities/items?limit=1"
    value = _buffer(client, {"url": url}, **{"env:outSR": "3857"})["results"][0]["value"]
    assert value["spatialReference"]["latestWkid"] == 3857


def test_upload_page_offers_a_form(client):
    page = client.get(f"{GP}/uploads", params={"f": "html"})
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text


def test_data_file_by_item_id_and_file_outputs_by_url(client):
    """GPDataFile: an upload goes in by itemID; a sync run returns the file in a data: URL."""
    item = _upload(client)
    document = assert_valid(client.post(f"{GP}/FileCopy/execute", data={
        "data": json.dumps({"itemID": item["itemID"]}), "f": "json"}).json(), "execute")
    values = {r["paramName"]: r for r in document["results"]}
    assert values["size"]["value"] == len(GEOJSON.encode())
    assert values["copy"]["dataType"] == "GPDataFile"
    url = values["copy"]["value"]["url"]
    assert url.startswith("data:application/octet-stream;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == GEOJSON.encode()


def test_file_output_of_a_job_is_downloaded_from_its_url(client):
    item = _upload(client)
    job = client.post(f"{GP}/FileCopy/submitJob", data={
        "data": json.dumps({"itemID": item["itemID"]}), "f": "json"}).json()
    job_url = f"{GP}/FileCopy/jobs/{job['jobId']}"
    assert poll(client, job_url)["jobStatus"] == "esriJobSucceeded"
    copy = assert_valid(client.get(f"{job_url}/results/copy", params={"f": "json"}).json(),
                        "result")
    download = client.get(copy["value"]["url"])
    assert download.status_code == 200 and download.content == GEOJSON.encode()
