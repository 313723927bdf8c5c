"""The Services Directory pages: browse, run a task from its form, follow a job."""

import html
import json
import re

from tests.adapters.gpserver.conftest import GP, METERS, ROOT, point_set, poll


def _page(client, path, **params):
    response = client.get(path, params={"f": "html", **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return html.unescape(response.text)


def test_html_is_the_default_format(client):
    assert client.get(ROOT).headers["content-type"].startswith("text/html")


def test_browse_from_catalog_to_task_parameters(client):
    root = _page(client, ROOT)
    assert f"{ROOT}/Geoprocessing/GPServer?f=html" in root and "Analysis" in root
    service = _page(client, GP)
    assert "Buffer" in service and "esriExecutionTypeAsynchronous" in service
    task = _page(client, f"{GP}/Buffer")
    assert "GPFeatureRecordSetLayer" in task and "GPLinearUnit" in task
    assert "Submit Job" in task and "Execute Task" not in task  # an asynchronous service
    assert "f=pjson" in task  # the JSON link every page has


def test_execute_form_lists_inputs_and_environment(client):
    form = _page(client, f"{GP}/AllTypes/execute")
    for name in ("text", "count", "distance", "env:outSR", "env:processSR", "returnZ"):
        assert f'name="{name}"' in form
    assert "<option selected>" not in form and "<option>alpha</option>" in form


def test_execute_from_the_form_shows_results_and_messages(client):
    page = _page(client, f"{GP}/Buffer/execute", features=json.dumps(point_set((1, 1))),
                 distance=METERS)
    assert "esriGeometryPolygon" in page and "esriJobMessageTypeInformative" in page


def test_submit_job_from_the_form_redirects_to_the_job_page(client):
    response = client.post(f"{GP}/AsyncOnly/submitJob", data={"text": "from html", "f": "html"},
                           follow_redirects=False)
    assert response.status_code == 303
    job_url = response.headers["location"].split("?")[0]
    assert re.search(r"/AsyncOnly/jobs/[\w-]+$", job_url)
    poll(client, job_url)
    job_page = _page(client, job_url)
    assert "esriJobSucceeded" in job_page and "results/result?f=html" in job_page
    result_page = _page(client, f"{job_url}/results/result")
    assert "from html" in result_page and "GPString" in result_page


def test_running_job_page_offers_cancel(client):
    job = client.post(f"{GP}/Slow/submitJob", data={"seconds": "20", "f": "json"}).json()
    job_url = f"{GP}/Slow/jobs/{job['jobId']}"
    assert "Cancel job" in _page(client, job_url)
    cancelled = client.post(f"{job_url}/cancel", data={"f": "html"})
    assert cancelled.status_code == 200
    assert poll(client, job_url)["jobStatus"] == "esriJobCancelled"
    assert "Cancel job" not in _page(client, job_url)


def test_info_page(client):
    assert "Current version" in _page(client, "/arcgis/rest/info")


def test_task_without_inputs_runs_from_its_form(client):
    form = _page(client, f"{GP}/NoInputs/execute")
    assert "Execute Task (GET)" in form and "<h2>Results</h2>" not in form
    ran = client.post(f"{GP}/NoInputs/execute", data={"f": "html"})
    assert "<h2>Results</h2>" in ran.text and "done" in ran.text
