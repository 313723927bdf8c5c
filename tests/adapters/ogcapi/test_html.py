"""The ``/api`` pages: a browser (``Accept: text/html``) or ``f=html`` gets a page on every
resource, API clients keep their JSON byte for byte, and hostile words (process titles,
layer titles, property names and values, job messages) are shown as text, never as markup."""

from __future__ import annotations

import json
import time

import pytest
from rich.console import Console
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.demo import install_demo
from honua.settings import Settings
from tests.plugins.hostile import SCRIPT

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
HOSTILE_FEATURES = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "id": 7, "geometry": {"type": "Point", "coordinates": [10, 50]},
    "properties": {"name": SCRIPT, "<img src=x onerror=alert(9)>": "odd key"}}]}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("html")
    hostile_layer = root / "hostile.geojson"
    hostile_layer.write_text(json.dumps(HOSTILE_FEATURES))
    settings = Settings(data_dir=root / "data", workers=1, cleanup_interval_seconds=3600,
                        process_modules=("tests.plugins.hostile",),
                        layers=({"path": str(hostile_layer), "id": "hostile",
                                 "title": f"Layer {SCRIPT}", "description": SCRIPT},))
    install_demo(settings, Console(quiet=True))
    services = build_services(settings)
    with TestClient(create_app(settings, services=services),
                    raise_server_exceptions=False) as test_client:
        yield test_client


def finished_job(client, process: str, inputs: dict) -> str:
    response = client.post(f"/api/processes/{process}/execution",
                           headers={"Prefer": "respond-async"}, json={"inputs": inputs})
    assert response.status_code == 201, response.text
    job_id = response.json()["jobID"]
    for _ in range(400):
        if client.get(f"/api/jobs/{job_id}").json()["status"] in ("successful", "failed"):
            return job_id
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


@pytest.fixture(scope="module")
def buffer_job(client):
    return finished_job(client, "buffer", {
        "features": {"layerReference": {"collectionId": "cities"}},
        "distance": {"value": 20, "unit": "kilometers"}})


@pytest.fixture(scope="module")
def hostile_job(client):
    return finished_job(client, "hostile", {"features": HOSTILE_FEATURES})


def resources(job_id: str) -> list[str]:
    return ["/api", "/api/conformance", "/api/processes", "/api/processes/buffer", "/api/jobs",
            f"/api/jobs/{job_id}", "/api/collections", "/api/collections/cities",
            "/api/collections/cities/items", "/api/collections/cities/queryables"]


def test_every_resource_is_a_page_for_a_browser_and_for_f_html(client, buffer_job):
    for path in resources(buffer_job) + [f"/api/jobs/{buffer_job}/results",
                                         "/api/collections/cities/items/1"]:
        for response in (client.get(path, headers=BROWSER),
                         client.get(path, params={"f": "html"},
                                    headers={"Accept": "application/json"})):
            assert response.status_code == 200, (path, response.text[:300])
            assert response.headers["content-type"].startswith("text/html"), path
            assert "<html" in response.text and "Honua" in response.text


@pytest.mark.parametrize("accept", [None, "*/*", "application/json",
                                    "application/json, text/html;q=0.5"])
def test_api_clients_get_the_same_json_as_before(client, buffer_job, accept):
    headers = {} if accept is None else {"Accept": accept}
    for path in resources(buffer_job):
        response = client.get(path, headers=headers)
        plain = client.get(path, params={"f": "json"})
        assert response.status_code == 200, path
        assert "html" not in response.headers["content-type"], path
        json.loads(response.text)
        if path not in ("/api/jobs", "/api/collections/cities/items"):  # links echo the query
            assert response.content == plain.content, path
        vary = [name.strip() for name in response.headers.get("vary", "").split(",")]
        assert "Accept" in vary, path  # caches keep the page and the JSON apart


def test_job_results_stay_json_for_clients(client, buffer_job):
    response = client.get(f"/api/jobs/{buffer_job}/results")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] in ("application/json",
                                                              "application/geo+json")


def test_the_root_lands_a_browser_on_a_page_linking_all_three_surfaces(client):
    response = client.get("/", headers=BROWSER)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    for href in ('href="/api/processes?f=html"', 'href="/arcgis/rest/services?f=html"',
                 'href="/wps?service=WPS&amp;request=GetCapabilities"', 'href="/api/collections?f=html"'):
        assert href in response.text
    assert client.get("/").json()["links"]  # and JSON for API clients, as before


def test_the_process_page_has_a_form_with_runnable_examples_and_pickers(client):
    page = client.get("/api/processes/buffer", headers=BROWSER).text
    assert '<form class="run' in page and 'action="/api/processes/buffer/execution"' in page
    assert "Honolulu" in page  # example features, escaped JSON in the textarea
    assert "{&#34;value&#34;:10,&#34;unit&#34;:&#34;kilometers&#34;}" in page
    assert '<option value="cities">' in page  # the catalog-layer picker
    assert 'data-upload-for=' in page  # the upload picker
    assert '<option selected>round</option>' in page  # a choice list with its default


def test_a_succeeded_jobs_page_lists_its_results_with_a_map(client, buffer_job):
    page = client.get(f"/api/jobs/{buffer_job}", headers=BROWSER).text
    assert "successful" in page
    assert f'data-map-url="/api/jobs/{buffer_job}/results/result/map"' in page
    assert f'data-job-events="/api/jobs/{buffer_job}/events"' in page
    assert "/static/leaflet/leaflet.js" in page


def test_the_map_view_of_a_result_is_limited_and_simplified(client, buffer_job):
    url = f"/api/jobs/{buffer_job}/results/result/map"
    whole = client.get(url).json()
    assert whole["numberMatched"] == whole["numberReturned"] > 5
    one = client.get(url, params={"limit": 1}).json()
    assert one["numberReturned"] == 1 and one["numberMatched"] == whole["numberMatched"]
    rough = client.get(url, params={"tolerance": 0.05}).json()
    vertices = lambda doc: sum(len(f["geometry"]["coordinates"][0]) for f in doc["features"])  # noqa: E731
    assert vertices(rough) < vertices(whole) / 2
    empty = client.get(url, params={"bbox": "100,-80,101,-79"}).json()
    assert empty["numberMatched"] == 0 and empty["features"] == []


@pytest.mark.parametrize("params", [{"limit": "NaN"}, {"limit": "0"}, {"limit": "10000000"},
                                    {"tolerance": "inf"}, {"tolerance": "-1"},
                                    {"bbox": "1,2,3"}, {"bbox": "a,b,c,d"}, {"bbox": "5,5,1,1"},
                                    {"bbox": "nan,0,1,1"}])
def test_hostile_map_parameters_are_a_clear_400(client, buffer_job, params):
    response = client.get(f"/api/jobs/{buffer_job}/results/result/map", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_the_map_of_an_unknown_job_or_output_is_404(client, buffer_job):
    assert client.get("/api/jobs/nope/results/result/map").status_code == 404
    assert client.get(f"/api/jobs/{buffer_job}/results/nope/map").status_code == 404


def test_hostile_words_are_text_on_every_page(client, hostile_job):
    pages = {path: client.get(path, headers=BROWSER) for path in (
        "/api/processes", "/api/processes/hostile", "/api/collections",
        "/api/collections/hostile", "/api/collections/hostile/items",
        "/api/collections/hostile/items/7", f"/api/jobs/{hostile_job}", "/api/jobs")}
    for path, response in pages.items():
        assert response.status_code == 200, (path, response.text[:300])
        text = response.text
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text, path
        assert "</textarea><script>" not in text, path
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in pages[
        "/api/processes/hostile"].text
    assert "&lt;script&gt;" in pages["/api/collections/hostile/items"].text  # property value
    assert "&lt;img src=x onerror=alert(9)&gt;" in pages["/api/collections/hostile/items"].text
    assert "message &lt;script&gt;" in pages[f"/api/jobs/{hostile_job}"].text


def test_a_browsers_error_is_a_page_and_a_clients_stays_problem_json(client):
    page = client.get("/api/processes/%3Cscript%3Ealert(1)%3C%5Cscript%3E", headers=BROWSER)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<script>alert(1)" not in page.text
    problem = client.get("/api/processes/nope")
    assert problem.status_code == 404
    assert problem.headers["content-type"] == "application/problem+json"


def test_a_huge_accept_header_is_answered_fast(client):
    began = time.monotonic()
    response = client.get("/api/processes", headers={"Accept": "text/plain;q=0.1," * 20000})
    assert response.status_code == 200 and time.monotonic() - began < 2


def test_leaflet_is_served_by_honua_with_its_licence(client):
    script = client.get("/static/leaflet/leaflet.js")
    assert script.status_code == 200 and "Leaflet" in script.text[:400]
    assert "BSD" in client.get("/static/leaflet/LICENSE").text
    assert client.get("/static/leaflet/../../settings.py").status_code == 404


def test_an_upload_is_a_page_for_a_browser(client):
    created = client.post("/api/uploads", files={"file": ("pts.geojson", json.dumps(
        HOSTILE_FEATURES).encode(), "application/geo+json")}, data={"description": SCRIPT})
    assert created.status_code == 201, created.text
    path = f"/api/uploads/{created.json()['uploadId']}"
    page = client.get(path, headers=BROWSER)
    assert page.headers["content-type"].startswith("text/html") and "<script>alert" not in page.text
    assert client.get(path).json()["uploadId"] == created.json()["uploadId"]
