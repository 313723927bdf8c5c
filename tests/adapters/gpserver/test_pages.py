"""The GPServer pages a person uses: task forms with examples and hints, only the operation
the service offers, job pages that follow the job live (SSE) and show results as a table and
a map (drawn from a limited view) instead of a JSON dump."""

import html
import json

from tests.adapters.gpserver.conftest import GP, METERS, PROXIMITY, point_set, poll


def _page(client, path, **params):
    response = client.get(path, params={"f": "html", **params})
    assert response.status_code == 200, response.text
    return response.text


def test_the_submit_form_starts_with_runnable_examples_and_hints(client):
    page = html.unescape(_page(client, f"{GP}/Buffer/submitJob"))
    assert '{"url":"http://testserver/api/collections/cities"}' in page
    assert '{"itemID": "<id>"}' in page and '"units": "esriKilometers"' in page
    job = client.post(f"{GP}/Buffer/submitJob", data={
        "f": "json", "features": '{"url":"http://testserver/api/collections/cities"}',
        "distance": '{"distance":10,"units":"esriKilometers"}'}).json()  # the examples run
    assert poll(client, f"{GP}/Buffer/jobs/{job['jobId']}")["jobStatus"] == "esriJobSucceeded"


def test_a_synchronous_service_offers_execute_only(client):
    page = _page(client, f"{PROXIMITY}/Buffer")
    assert "Execute Task" in page and "Submit Job" not in page


def test_a_job_page_follows_the_job_and_maps_its_results(client):
    job = client.post(f"{GP}/Buffer/submitJob", data={
        "f": "json", "features": json.dumps(point_set((1, 1), (2, 2))), "distance": METERS}).json()
    url = f"{GP}/Buffer/jobs/{job['jobId']}"
    poll(client, url)
    page = _page(client, url)
    assert "data-job-events=" in page and f"{job['jobId']}/events\"" in page
    assert 'data-map-url="' in page and "/results/" in page and "/static/leaflet/leaflet.js" in page
    assert "<pre>" not in page
    name = next(iter(client.get(url, params={"f": "json"}).json()["results"]))
    text = _page(client, f"{url}/results/{name}")
    assert "<table" in text and "polygon (1 rings)" in text and "data-map-url" in text
    view = client.get(f"{url}/results/{name}/map", params={"limit": 1}).json()
    assert view["numberMatched"] == 2 and view["numberReturned"] == 1
    assert client.get(f"{url}/results/{name}/map", params={"bbox": "x"}).status_code == 400
    with client.stream("GET", f"{url}/events") as stream:
        body = "".join(stream.iter_text())
    assert "event: status" in body and "esriJobSucceeded" in body and "event: end" in body


def test_events_of_an_unknown_job_are_an_esri_error(client):
    response = client.get(f"{GP}/Buffer/jobs/nope/events", params={"f": "json"})
    assert "error" in response.json()
