"""Validation against the official OGC schemas kept in the repository (``schemas/``).

The schemas are a required part of the test suite: if the folder is missing
the tests fail with a message saying where it was looked for.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
OGCAPI = SCHEMAS / "opengis" / "ogcapi" / "processes" / "part1" / "1.0" / "openapi"


def schemas_dir() -> Path:
    if not SCHEMAS.is_dir():
        raise AssertionError(f"the official schemas are needed at {SCHEMAS} (the repository's "
                             "schemas/ folder)")
    return SCHEMAS


def _retrieve(uri: str) -> Resource:
    path = Path(uri.removeprefix("file://"))
    return Resource.from_contents(yaml.safe_load(path.read_text()), default_specification=DRAFT4)


@cache
def _validator(name: str) -> OAS30Validator:
    schemas_dir()
    registry = Registry(retrieve=_retrieve)
    return OAS30Validator({"$ref": f"file://{OGCAPI / 'schemas' / name}"}, registry=registry)


def assert_ogc_valid(document: Any, schema: str) -> None:
    """Raise if ``document`` does not validate against OGC's ``schemas/<schema>``."""
    _validator(schema).validate(document)
