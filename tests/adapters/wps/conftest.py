"""Fixtures and request builders for the WPS tests.

Most tests share one application per module (a real SQLite job store and
worker pool on a temporary folder, with the test processes of ``procs``);
tests that need their own settings build their own. ``checked`` validates
every WPS/OWS XML answer against the official schemas before a test looks at it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree
from starlette.testclient import TestClient

from honua.app import create_app
from honua.settings import Settings
from tests.support.servers import serve
from tests.support.xsd import assert_xsd_valid

PROCS = "tests.adapters.wps.procs"
NS = {"wps": "http://www.opengis.net/wps/1.0.0", "wps2": "http://www.opengis.net/wps/2.0",
      "ows": "http://www.opengis.net/ows/1.1", "ows2": "http://www.opengis.net/ows/2.0",
      "xlink": "http://www.w3.org/1999/xlink", "gml": "http://www.opengis.net/gml/3.2",
      "gml2": "http://www.opengis.net/gml"}
XML_TYPES = ("text/xml", "application/xml")


def wps_settings(data_dir, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": data_dir, "workers": 2, "worker_max_jobs": 200,
                              "job_timeout_seconds": 60, "cleanup_interval_seconds": 3600,
                              "process_modules": (PROCS,)}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="module")
def wps_app(tmp_path_factory):
    return create_app(wps_settings(tmp_path_factory.mktemp("wps") / "data"))


@pytest.fixture(scope="module")
def wps(wps_app) -> Iterator[TestClient]:
    with TestClient(wps_app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def wps_live(wps_app) -> Iterator[str]:
    with serve(wps_app) as base:
        yield base


def checked(response, status: int | None = 200) -> etree._Element | None:
    """Assert the status; validate an XML answer against its XSD and return its root."""
    if status is not None:
        assert response.status_code == status, (response.status_code, response.text[:2000])
    if not response.headers.get("content-type", "").startswith(XML_TYPES):
        return None
    return assert_xsd_valid(response.content)


def kvp(client, status: int | None = 200, **params: str) -> etree._Element | None:
    return checked(client.get("/wps", params={"service": "WPS", **params}), status)


def post(client, body: str | bytes, status: int | None = 200) -> etree._Element | None:
    return checked(client.post("/wps", content=body, headers={"Content-Type": "text/xml"}), status)


def point_geojson(lon: float = 10.0, lat: float = 50.0, **properties: Any) -> str:
    return json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": 1, "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties}]})


def literal(name: str, value: Any, uom: str | None = None) -> str:
    attribute = f' uom="{uom}"' if uom else ""
    return (f"<wps:Input><ows:Identifier>{name}</ows:Identifier><wps:Data>"
            f"<wps:LiteralData{attribute}>{value}</wps:LiteralData></wps:Data></wps:Input>")


def complex_input(name: str, content: str, mime: str = "application/geo+json",
                  schema: str | None = None) -> str:
    schema_attribute = f' schema="{schema}"' if schema else ""
    body = content if content.lstrip().startswith("<") else f"<![CDATA[{content}]]>"
    return (f"<wps:Input><ows:Identifier>{name}</ows:Identifier><wps:Data>"
            f'<wps:ComplexData mimeType="{mime}"{schema_attribute}>{body}</wps:ComplexData>'
            f"</wps:Data></wps:Input>")


def execute10(process: str, *inputs: str, form: str = "") -> str:
    return ('<wps:Execute service="WPS" version="1.0.0" xmlns:wps="http://www.opengis.net/wps/1.0.0"'
            ' xmlns:ows="http://www.opengis.net/ows/1.1" xmlns:xlink="http://www.w3.org/1999/xlink">'
            f"<ows:Identifier>{process}</ows:Identifier>"
            + (f"<wps:DataInputs>{''.join(inputs)}</wps:DataInputs>" if inputs else "")
            + (f"<wps:ResponseForm>{form}</wps:ResponseForm>" if form else "")
            + "</wps:Execute>")


def document(*outputs: str, **attributes: str) -> str:
    attrs = "".join(f' {k}="{v}"' for k, v in attributes.items())
    return f"<wps:ResponseDocument{attrs}>{''.join(outputs)}</wps:ResponseDocument>"


def output10(name: str, **attributes: str) -> str:
    attrs = "".join(f' {k}="{v}"' for k, v in attributes.items())
    return f"<wps:Output{attrs}><ows:Identifier>{name}</ows:Identifier></wps:Output>"


def execute20(process: str, *inputs: str, outputs: str = "", mode: str = "sync",
              response: str = "document") -> str:
    return ('<wps:Execute service="WPS" version="2.0.0" xmlns:wps="http://www.opengis.net/wps/2.0"'
            ' xmlns:ows="http://www.opengis.net/ows/2.0" xmlns:xlink="http://www.w3.org/1999/xlink"'
            f' mode="{mode}" response="{response}"><ows:Identifier>{process}</ows:Identifier>'
            f"{''.join(inputs)}{outputs}</wps:Execute>")


def input20(name: str, content: str, mime: str | None = None) -> str:
    attribute = f' mimeType="{mime}"' if mime else ""
    body = content if content.lstrip().startswith("<") else f"<![CDATA[{content}]]>"
    return f'<wps:Input id="{name}"><wps:Data{attribute}>{body}</wps:Data></wps:Input>'


def status_of(root: etree._Element) -> str:
    """The WPS 1.0.0 status element's name (ProcessSucceeded ...)."""
    return etree.QName(root.find("wps:Status/*", NS)).localname


def poll(client, url: str, until: tuple[str, ...] = ("ProcessSucceeded", "ProcessFailed"),
         timeout: float = 30.0) -> etree._Element:
    """GET a statusLocation until its status is one of ``until`` (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        root = checked(client.get(url))
        if status_of(root) in until:
            return root
        assert time.monotonic() < deadline, f"still {status_of(root)} after {timeout} s"
        time.sleep(0.05)


def poll20(client, job_id: str, until: tuple[str, ...] = ("Succeeded", "Failed"),
           timeout: float = 30.0) -> etree._Element:
    deadline = time.monotonic() + timeout
    while True:
        root = kvp(client, request="GetStatus", version="2.0.0", jobid=job_id)
        status = root.findtext("wps2:Status", namespaces=NS)
        if status in until:
            return root
        assert time.monotonic() < deadline, f"still {status} after {timeout} s"
        time.sleep(0.05)


def complex_text(root: etree._Element, output: str = "result") -> str:
    for element in root.iterfind("wps:ProcessOutputs/wps:Output", NS):
        if element.findtext("ows:Identifier", namespaces=NS) == output:
            return element.find("wps:Data/wps:ComplexData", NS).text
    raise AssertionError(f"no output {output!r}")


def job_count(client) -> int:
    return client.get("/api/jobs", params={"limit": 10000}).json()["numberMatched"]
