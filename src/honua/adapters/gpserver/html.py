"""The Services Directory pages (``f=html``), rendered from Jinja2 templates.

Templates live in ``honua/web/templates/gpserver/``; every page gets the
breadcrumb and a link to the same resource as pretty JSON. Pages show what
the JSON says, plus forms to run a task and to cancel a job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request

from honua.web.pages import environment

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates" / "gpserver"


def _pretty(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY).decode()


class Pages:
    def __init__(self) -> None:
        self.env = environment("gpserver")  # autoescaped; the shared map and live-job parts

    def render(self, template: str, request: Request, crumbs: list[tuple[str, str]],
               **context: Any) -> str:
        json_url = request.url.remove_query_params(["f", "callback"]).include_query_params(
            f="pjson")
        return self.env.get_template(template).render(  # relative: Host never shapes it
            crumbs=crumbs, json_url=f"{json_url.path}?{json_url.query}", **context)

    def error(self, request: Request, code: int, message: str, details: list[str]) -> str:
        return self.render("error.html", request, [], code=code, message=message,
                           details=details)
