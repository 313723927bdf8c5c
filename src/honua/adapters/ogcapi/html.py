"""The HTML pages of ``/api`` (``f=html``, or a browser's ``Accept``), from Jinja2 templates.

Each page shows the JSON document the same URL gives an API client, plus
what a person needs around it: a form to run a process (example inputs
filled in from its description, a catalog-layer and an upload picker), a job
that follows itself live (``/api/jobs/{id}/events``) and maps of feature
results and layers. Templates are in ``honua/web/templates/ogcapi/`` on the
shared frame in ``site/``; everything shown is escaped (``web/pages.py``).
Which answer a request gets is ``web/negotiate.py``'s rule, so API clients'
JSON does not change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse

from honua.core import codec
from honua.core.description import ProcessDescription
from honua.core.jobs import Message
from honua.core.parameters import UNBOUNDED, DataType, Parameter
from honua.web.pages import environment

__all__ = ["Pages", "form_fields"]

EXAMPLE_POINTS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "Honolulu"},
     "geometry": {"type": "Point", "coordinates": [-157.8583, 21.3069]}},
    {"type": "Feature", "properties": {"name": "Hilo"},
     "geometry": {"type": "Point", "coordinates": [-155.09, 19.7241]}}]}
EXAMPLE_POLYGONS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "Oahu"},
     "geometry": {"type": "Polygon", "coordinates": [[[-158.3, 21.2], [-157.6, 21.2],
                                                      [-157.6, 21.75], [-158.3, 21.75],
                                                      [-158.3, 21.2]]]}}]}
EXAMPLE_DISTANCE = {"value": 10, "unit": "kilometers"}
EXAMPLE_AREA = {"value": 1, "unit": "square_kilometers"}


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def _example(parameter: Parameter, index: int) -> str:
    """The text a form field starts with: the default, else an example that runs."""
    if parameter.default is not None:
        neutral = codec.to_neutral(parameter.data_type, parameter.default)
        if isinstance(neutral, str | int | float) and not isinstance(neutral, bool):
            return str(neutral)
        return _json(neutral)
    kind = parameter.data_type
    if kind is DataType.FEATURES or kind is DataType.GEOMETRY:
        polygons = any("polygon" in g.lower() for g in parameter.geometry_types) or index > 0
        example: Any = EXAMPLE_POLYGONS if polygons else EXAMPLE_POINTS
        if kind is DataType.GEOMETRY:
            example = example["features"][0]["geometry"]
        return _json([example] if parameter.multiple else example)
    if kind is DataType.LINEAR_UNIT:
        return _json(EXAMPLE_DISTANCE)
    if kind is DataType.AREAL_UNIT and parameter.required:
        return _json(EXAMPLE_AREA)
    return ""


def form_fields(description: ProcessDescription) -> list[dict[str, Any]]:
    """One form field per input: its widget (``kind``) and starting text."""
    fields = []
    feature_inputs = 0
    for parameter in description.inputs:
        kind = "json"
        multiple = parameter.max_occurs == UNBOUNDED or parameter.max_occurs > 1
        if parameter.allowed_values and not multiple:
            kind = "choice"
        elif multiple:
            kind = "json"
        elif parameter.data_type is DataType.BOOLEAN:
            kind = "boolean"
        elif parameter.data_type in (DataType.INTEGER, DataType.DOUBLE):
            kind = "number"
        elif parameter.data_type in (DataType.STRING, DataType.DATETIME):
            kind = "string"
        features = parameter.data_type is DataType.FEATURES
        value = _example(parameter, feature_inputs if features else 0)
        feature_inputs += features
        if kind == "boolean":
            value = "true" if parameter.default is True else "false"
        fields.append({"name": parameter.name, "title": parameter.title or parameter.name,
                       "description": parameter.description, "required": parameter.required,
                       "kind": kind, "value": value, "features": features,
                       "choices": [str(codec.to_neutral(parameter.data_type, c))
                                   for c in parameter.allowed_values]})
    return fields


def _messages(messages: Iterable[Message]) -> list[dict[str, str]]:
    return [{"time": m.time.isoformat(), "level": m.level.value, "text": m.text}
            for m in messages]


class Pages:
    """Renders the ``/api`` pages (see the module docstring)."""

    def __init__(self) -> None:
        self.env = environment("ogcapi")

    def page(self, request: Request, template: str, crumbs: Sequence[tuple[str, str]],
             status: int = 200, **context: Any) -> HTMLResponse:
        json_url = request.url.remove_query_params("f").include_query_params(f="json")
        html = self.env.get_template(template).render(
            crumbs=list(crumbs), surface="ogcapi",
            json_url=f"{json_url.path}?{json_url.query}", **context)
        return HTMLResponse(html, status_code=status, headers={"Vary": "Accept"})

    @staticmethod
    def crumbs(*more: tuple[str, str]) -> list[tuple[str, str]]:
        return [("Honua", "/api?f=html"), *more]

    def error(self, request: Request, document: Mapping[str, Any]) -> HTMLResponse:
        return self.page(request, "error.html", self.crumbs(("Error", "")),
                         status=int(document.get("status", 500)), document=document,
                         title=str(document.get("title", "Error")))

    def job(self, request: Request, document: Mapping[str, Any], messages: Iterable[Message],
            finished: bool, results: list[dict[str, Any]]) -> HTMLResponse:
        job_id = str(document["jobID"])
        return self.page(request, "job.html", self.crumbs(("Jobs", "/api/jobs?f=html"),
                                                          (job_id, "")),
                         document=document, messages=_messages(messages), finished=finished,
                         results=results, maps=any(r.get("features") for r in results),
                         title=f"Job {job_id}")
