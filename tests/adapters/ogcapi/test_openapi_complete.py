"""The API definition covers every /api route, and the interactive page is served by
Honua itself (no CDN), loading that definition."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from starlette.routing import Route

UNDOCUMENTED = {"/api", "/api/", "/api/docs", "/api/docs/static/{name}"}
"""The landing page is documented as "/"; the docs page describes itself."""


def _template(path: str) -> str:
    """Starlette's {job_id} as the document's {jobId}, for comparison (each process has its
    own documented execute path)."""
    path = re.sub(r"^/api/processes/[^/{}]+/execution$", "/api/processes/{}/execution", path)
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_api_route_is_in_the_definition(client, app):
    document = client.get("/api/openapi").json()
    validate(document)
    documented = {_template("/api" + path) for path in document["paths"]}
    routes = {_template(route.path) for route in app.routes
              if isinstance(route, Route) and route.path.startswith("/api")
              and route.path not in UNDOCUMENTED}
    assert routes - documented == set()
    for path in ("/collections/{collectionId}/items", "/uploads", "/jobs/{jobId}/events",
                 "/jobs/{jobId}/cancel"):
        assert path in document["paths"], path


def test_methods_match_too(client, app):
    document = client.get("/api/openapi").json()
    by_template = {_template("/api" + p): {m.upper() for m in ops} for p, ops in
                   document["paths"].items()}
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/api") and (
                route.path not in UNDOCUMENTED):
            methods = (route.methods or set()) - {"HEAD"}
            assert methods <= by_template[_template(route.path)], route.path


def test_events_are_documented_as_an_event_stream(client):
    operation = client.get("/api/openapi").json()["paths"]["/jobs/{jobId}/events"]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]


def test_precision_is_an_option_of_execute_and_items(client):
    paths = client.get("/api/openapi").json()["paths"]
    names = {p["name"] for p in paths["/processes/buffer/execution"]["post"]["parameters"]}
    assert "precision" in names
    items = {p["name"] for p in paths["/collections/{collectionId}/items"]["get"]["parameters"]}
    assert {"precision", "filter", "bbox"} <= items


def test_docs_page_is_local_and_loads_the_definition(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/api/") for s in sources), sources
    assert '"/api/openapi"' in page.text
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 100


def test_openapi_f_html_leads_to_the_page(client):
    answer = client.get("/api/openapi?f=html", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith("/api/docs")


@pytest.mark.parametrize("name", ["../../../etc/passwd", "index.j2", "swagger-ui.js.map",
                                  "%2e%2e%2fsettings.py", "x" * 5000])
def test_only_the_listed_assets_are_served(client, name):
    answer = client.get(f"/api/docs/static/{name}")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
