"""Attribute columns as process inputs and outputs: field checks and output names.

Processes that read fields named by the user check them here, so that every
process answers an unknown name the same way (naming the field and listing
the fields that exist); processes that add fields pick names that cannot
overwrite an input column (``name``, else ``name_1``, ``name_2``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from honua.errors import InvalidParameter
from honua.geo.features import FeatureCollection, Field

__all__ = ["check_fields", "union_columns", "unique_name"]


def check_fields(collection: FeatureCollection, names: Sequence[str] | None, *,
                 parameter: str) -> list[str]:
    """``names`` as a list, each an existing column; else InvalidParameter naming the first unknown.

    >>> import shapely
    >>> fc = FeatureCollection.from_geometries([shapely.Point(0, 0)], kind=["a"])
    >>> check_fields(fc, ["kind"], parameter="fields")
    ['kind']
    >>> check_fields(fc, ["Kind"], parameter="fields")
    Traceback (most recent call last):
    ...
    honua.errors.InvalidParameter: input 'fields': unknown field 'Kind'; the features have: kind
    """
    wanted = list(names or [])
    for name in wanted:
        if name not in collection.columns:
            known = ", ".join(collection.columns) or "no fields"
            raise InvalidParameter(
                f"input {parameter!r}: unknown field {name!r}; the features have: {known}",
                parameter=parameter)
    return wanted


def unique_name(name: str, existing: Iterable[str]) -> str:
    """``name``, or ``name_1``, ``name_2``... — the first not in ``existing``.

    >>> unique_name("part_index", ["part_index", "part_index_1"])
    'part_index_2'
    """
    taken = set(existing)
    if name not in taken:
        return name
    n = 1
    while f"{name}_{n}" in taken:
        n += 1
    return f"{name}_{n}"


def union_columns(collections: Sequence[FeatureCollection]) -> tuple[dict[str, list[Any]], tuple[Field, ...]]:
    """The columns of ``collections`` one after the other, fields unioned in order of appearance.

    A field missing from a collection is ``None`` for its features. A field
    (with values: all-null columns do not count)
    whose type differs between collections becomes ``double`` when the types
    are integer and double (integers converted), otherwise ``string`` (values
    converted to text; JSON values to their JSON text).

    >>> import shapely
    >>> a = FeatureCollection.from_geometries([shapely.Point(0, 0)], n=[1], s=["x"])
    >>> b = FeatureCollection.from_geometries([shapely.Point(1, 1)], n=[2.5], t=[True])
    >>> columns, fields = union_columns([a, b])
    >>> columns
    {'n': [1.0, 2.5], 's': ['x', None], 't': [None, True]}
    >>> [(f.name, f.type) for f in fields]
    [('n', 'double'), ('s', 'string'), ('t', 'boolean')]
    """
    types: dict[str, set[str]] = {}
    for collection in collections:
        for f in collection.fields:
            kinds = types.setdefault(f.name, set())
            if any(v is not None for v in collection.columns[f.name]):  # all-null columns: no say
                kinds.add(f.type)
    fields = tuple(Field(name, _common_type(kinds)) for name, kinds in types.items())
    columns: dict[str, list[Any]] = {f.name: [] for f in fields}
    for collection in collections:
        for f in fields:
            values = collection.columns.get(f.name)
            columns[f.name].extend(_convert(values, f.type) if values is not None
                                   else [None] * len(collection))
    return columns, fields


def _common_type(kinds: set[str]) -> str:
    if not kinds:
        return "string"
    if len(kinds) == 1:
        return next(iter(kinds))
    return "double" if kinds <= {"integer", "double"} else "string"


def _convert(values: Sequence[Any], kind: str) -> list[Any]:
    if kind == "double":
        return [float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
                for v in values]
    if kind == "string":
        return [v if v is None or isinstance(v, str) else
                orjson.dumps(v).decode() if isinstance(v, dict | list) else str(v) for v in values]
    return list(values)
