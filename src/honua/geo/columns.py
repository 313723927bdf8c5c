"""Attribute columns as process inputs and outputs: field checks and output names.

Processes that read fields named by the user check them here, so that every
process answers an unknown name the same way (naming the field and listing
the fields that exist); processes that add fields pick names that cannot
overwrite an input column (``name``, else ``name_1``, ``name_2``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from honua.errors import InvalidParameter
from honua.geo.features import FeatureCollection

__all__ = ["check_fields", "unique_name"]


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
