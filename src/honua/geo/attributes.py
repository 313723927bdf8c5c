"""Attribute columns of one or more collections, taken and joined side by side.

Overlays and joins build their output rows from rows of their inputs: row
``r`` of the output takes row ``index_k[r]`` of input ``k`` (``-1`` for none,
which gives ``None`` values). Columns are carried with their neutral types.

Name clashes are resolved predictably: the first collection keeps its names;
a column of a later collection whose name is already taken becomes the first
free of ``name_1``, ``name_2``, ... (``honua.geo.columns.unique_name``). So
with two layers the second layer's ``name`` becomes ``name_1``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

import numpy as np

from honua.errors import InvalidParameter
from honua.geo.columns import unique_name
from honua.geo.features import FeatureCollection, Field

NUMERIC_TYPES = ("integer", "double")


def take_column(column: Sequence[Any], index: np.ndarray | slice) -> list[Any]:
    """``column[i]`` for every ``i`` of ``index``, ``None`` where ``i`` is -1.

    ``index`` may also be ``slice(None)``: every row, in order.

    >>> take_column(["a", "b", None], np.array([2, 0, -1, 1]))
    [None, 'a', None, 'b']
    >>> take_column([[1, 2], {"k": 1}], slice(None))
    [[1, 2], {'k': 1}]
    """
    if isinstance(index, slice):
        if index == slice(None):  # every row: share the list, as FeatureCollection.with_geometry does
            return column if isinstance(column, list) else list(column)
        return list(column[index])
    index = np.asarray(index, dtype=np.intp)
    # an object array built item by item: JSON lists stay values, never nested arrays
    padded = np.fromiter(chain(column, (None,)), dtype=object, count=len(column) + 1)
    return padded[index].tolist()


def join_rows(geometry: np.ndarray, crs: Any,
              parts: Sequence[tuple[FeatureCollection, np.ndarray | slice]],
              extra: Mapping[str, tuple[Sequence[Any], str]] | None = None,
              keep_ids: bool = False) -> FeatureCollection:
    """A collection of ``geometry`` whose attributes are rows of each part's collection.

    ``parts`` is ``[(collection_k, index_k), ...]``: output row ``r`` carries
    row ``index_k[r]`` of ``collection_k`` (``-1``: ``None`` values; an index
    of ``slice(None)`` takes every row in order). Clashing
    names are renamed as the module says. ``extra`` adds computed columns
    ``{name: (values, field type)}``, renamed the same way when they clash.
    With ``keep_ids`` the output carries the first collection's feature ids
    (for outputs whose rows are distinct input features).
    """
    columns: dict[str, list[Any]] = {}
    fields: list[Field] = []
    for collection, index in parts:
        for field in collection.fields:
            name = unique_name(field.name, columns)
            columns[name] = take_column(collection.columns[field.name], index)
            fields.append(Field(name, field.type))
    for name, (values, kind) in (extra or {}).items():
        final = unique_name(name, columns)
        columns[final] = list(values)
        fields.append(Field(final, kind))
    ids = None
    if keep_ids and parts and parts[0][0].ids is not None:
        ids = take_column(parts[0][0].ids, parts[0][1])
    return FeatureCollection(geometry, columns, crs, ids, tuple(fields))


def field_type(collection: FeatureCollection, name: str) -> str:
    """The neutral type of column ``name``."""
    return next(f.type for f in collection.fields if f.name == name)


def require_types(collection: FeatureCollection, names: Iterable[str], types: Sequence[str],
                  *, parameter: str, why: str = "") -> None:
    """InvalidParameter for the first of ``names`` (existing columns) whose type is not in ``types``."""
    for name in names:
        kind = field_type(collection, name)
        if kind not in types:
            raise InvalidParameter(
                f"input {parameter!r}: field {name!r} is {kind}; {why or 'it'} needs "
                f"{' or '.join(types)} fields", parameter=parameter)


def nullable(values: np.ndarray) -> list[float | None]:
    """Floats as a column: NaN becomes ``None``.

    >>> nullable(np.array([1.5, np.nan]))
    [1.5, None]
    """
    return [None if v != v else v for v in np.asarray(values, dtype=float).tolist()]
