"""The HTML pages' one Jinja2 environment: autoescaped, with the shared templates.

Every page escapes what it shows: titles, ids, descriptions and property
values come from users (a process plugin, a layer file, a job's messages)
and are hostile until shown otherwise. Autoescape is on for every template;
data handed to page scripts goes through ``tojson`` (``<``, ``>``, ``&`` and
``'`` escaped), never through string concatenation, and the scripts put
text in the page with ``textContent``, never ``innerHTML``.

Templates live under ``honua/web/templates/``: ``site/`` (the frame, the map
and the live job parts every surface uses) and one folder per surface.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, FileSystemLoader

__all__ = ["TEMPLATES", "environment", "pretty"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_PREFIX = "/static"


def pretty(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY).decode()


def environment(*folders: str) -> Environment:
    """An environment loading from ``folders`` (under ``templates/``), then ``site/``."""
    paths = [TEMPLATES / folder for folder in folders] + [TEMPLATES / "site"]
    env = Environment(loader=FileSystemLoader(paths), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["pretty"] = pretty
    env.globals["static"] = STATIC_PREFIX
    return env
