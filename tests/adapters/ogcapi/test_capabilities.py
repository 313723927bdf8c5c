"""Landing page, conformance, OpenAPI, process list and descriptions."""

from openapi_spec_validator import validate

from tests.support.schemas import assert_ogc_valid


def test_landing_page_links_and_schema(client):
    document = client.get("/api").json()
    assert_ogc_valid(document, "landingPage.yaml")
    rels = {link["rel"] for link in document["links"]}
    assert {"service-desc", "http://www.opengis.net/def/rel/ogc/1.0/conformance",
            "http://www.opengis.net/def/rel/ogc/1.0/processes",
            "http://www.opengis.net/def/rel/ogc/1.0/job-list"} <= rels


def test_conformance_declares_the_classes(client):
    document = client.get("/api/conformance").json()
    assert_ogc_valid(document, "confClasses.yaml")
    for name in ("core", "ogc-process-description", "json", "oas30", "job-list", "dismiss"):
        assert f"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/{name}" in document[
            "conformsTo"]


def test_openapi_document_is_valid_openapi_30(client):
    response = client.get("/api/openapi")
    assert response.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    document = response.json()
    validate(document)
    assert "/processes/buffer/execution" in document["paths"]


def test_process_list_validates_and_has_buffer(client):
    document = client.get("/api/processes").json()
    assert_ogc_valid(document, "processList.yaml")
    ids = [p["id"] for p in document["processes"]]
    assert "buffer" in ids


def test_process_list_pages_with_next_links(client):
    """A limited process list links to the next page, and every process is reachable by paging."""
    everything = [p["id"] for p in client.get("/api/processes").json()["processes"]]
    seen, url = [], "/api/processes?limit=3"
    while url:
        document = client.get(url).json()
        assert_ogc_valid(document, "processList.yaml")
        assert len(document["processes"]) <= 3
        seen += [p["id"] for p in document["processes"]]
        url = next((link["href"] for link in document["links"] if link["rel"] == "next"), None)
    assert seen == everything and len(everything) > 3


def test_process_description_of_buffer(client):
    document = client.get("/api/processes/buffer").json()
    assert_ogc_valid(document, "process.yaml")
    assert set(document["inputs"]) >= {"features", "distance", "dissolve"}
    assert document["inputs"]["features"]["minOccurs"] == 1
    assert document["inputs"]["dissolve"]["minOccurs"] == 0
    assert document["inputs"]["dissolve"]["schema"]["default"] is False
    assert "sync-execute" in document["jobControlOptions"]
    assert "async-execute" in document["jobControlOptions"]
    assert document["outputs"]["result"]["schema"]["contentMediaType"] == "application/geo+json"
    by_value, *by_reference = document["inputs"]["features"]["schema"]["oneOf"]
    assert by_value["contentMediaType"] == "application/geo+json"
    assert {"layerReference", "uploadId"} == {b["required"][0] for b in by_reference}


def test_unknown_process_is_404_problem(client):
    response = client.get("/api/processes/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert_ogc_valid(problem, "exception.yaml")
    assert problem["type"].endswith("/no-such-process") and "nope" in problem["detail"]


def test_unknown_path_and_wrong_method_are_problems(client):
    assert client.get("/api/nothing-here").json()["status"] == 404
    response = client.put("/api/processes")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
