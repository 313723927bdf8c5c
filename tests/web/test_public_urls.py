"""With ``base_url`` set, a forged ``Host`` header never shapes a link, on any surface."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from honua.app import create_app

BASE = "https://gis.example.org/honua"
FORGED = {"Host": "evil.example.com"}


@pytest.fixture
def behind_proxy(settings):
    with TestClient(create_app(settings.replace(base_url=BASE))) as client:
        yield client


@pytest.mark.parametrize(("path", "expected"), [
    ("/api", f"{BASE}/api/processes"),
    ("/api/processes?limit=1", f"{BASE}/api/processes?limit=1&offset=1"),
    ("/api/jobs?limit=1", f"{BASE}/api/jobs?limit=1"),
    ("/arcgis/rest/services?f=html", "?f=pjson"),
    ("/arcgis/rest/services/Geoprocessing/GPServer?f=html", "?f=pjson"),
    ("/wps?service=WPS&request=GetCapabilities", f"{BASE}/wps"),
    ("/wps?service=WPS&request=GetCapabilities&version=2.0.0", f"{BASE}/wps"),
])
def test_public_urls_forged_host_never_appears(behind_proxy, path, expected):
    answer = behind_proxy.get(path, headers=FORGED)
    assert answer.status_code == 200, answer.text[:300]
    assert "evil.example.com" not in answer.text
    assert expected in answer.text


def test_public_urls_job_links_use_base_url(behind_proxy):
    submitted = behind_proxy.post("/api/processes/buffer/execution", headers={
        **FORGED, "Prefer": "respond-async"}, json={"inputs": {
            "features": {"type": "Point", "coordinates": [0, 0]}, "distance": 10}})
    assert submitted.status_code == 201, submitted.text
    assert submitted.headers["location"].startswith(f"{BASE}/api/jobs/")
    assert "evil.example.com" not in submitted.text
