"""Attribute statistics by group: dissolve, one-to-one joins and summaries share them.

Rows are assigned to groups by integer codes (``0 .. n_groups-1``, e.g. from
``honua.geo.grouping.group_codes`` or from join pairs); each
statistic gives one value per group. Null values (``None``) are skipped;
a group with no non-null value gets ``count`` 0 and ``None`` for the others,
except ``first``, which is the value of the group's first row, null or not.
Numeric statistics are computed with numpy in a handful of array calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

STATISTICS = ("count", "sum", "mean", "min", "max", "first")
NUMERIC_ONLY = ("sum", "mean")
"""Statistics that need a numeric (integer or double) field."""


def result_type(statistic: str, field_type: str) -> str:
    """The neutral type of a statistic's output column."""
    if statistic == "count":
        return "integer"
    if statistic == "mean":
        return "double"
    return field_type


def group_statistic(values: Sequence[Any], codes: np.ndarray, n_groups: int,
                    statistic: str, field_type: str) -> list[Any]:
    """``statistic`` of ``values`` per group (``codes[i]`` is row i's group).

    >>> group_statistic([1, 2, None, 5], np.array([0, 0, 0, 1]), 3, "sum", "integer")
    [3, 5, None]
    >>> group_statistic([1.0, None], np.array([0, 0]), 1, "count", "double")
    [1]
    """
    codes = np.asarray(codes, dtype=np.intp)
    if statistic == "first":
        first = np.full(n_groups, -1, dtype=np.intp)
        if len(codes):
            groups, at = np.unique(codes, return_index=True)
            first[groups] = at
        padded = [*values, None]
        return [padded[i] for i in first.tolist()]
    present = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    counts = np.bincount(codes[present], minlength=n_groups)
    if statistic == "count":
        return counts.tolist()
    if field_type in ("integer", "double"):
        result = _numeric(values, present, codes, n_groups, statistic, field_type)
    else:
        result = _ordered(values, present, codes, n_groups, statistic)
    return [None if c == 0 else v for v, c in zip(result, counts.tolist(), strict=True)]


def _numeric(values: Sequence[Any], present: np.ndarray, codes: np.ndarray, n_groups: int,
             statistic: str, field_type: str) -> list[Any]:
    dtype = np.int64 if field_type == "integer" else float
    kept = np.array([v for v, p in zip(values, present.tolist(), strict=True) if p], dtype=dtype)
    groups = codes[present]
    if statistic in ("sum", "mean"):
        sums = np.zeros(n_groups, dtype=dtype)
        np.add.at(sums, groups, kept)
        if statistic == "sum":
            return sums.tolist()
        counts = np.maximum(np.bincount(groups, minlength=n_groups), 1)
        return (sums / counts).tolist()
    if statistic not in ("min", "max"):
        raise ValueError(f"unknown statistic {statistic!r}; use one of {STATISTICS}")
    out = np.zeros(n_groups, dtype=dtype)
    if len(kept):
        order = np.lexsort((kept, groups))
        sorted_groups = groups[order]
        pick = (np.r_[True, sorted_groups[1:] != sorted_groups[:-1]] if statistic == "min"
                else np.r_[sorted_groups[1:] != sorted_groups[:-1], True])
        out[sorted_groups[pick]] = kept[order][pick]
    return out.tolist()


def _ordered(values: Sequence[Any], present: np.ndarray, codes: np.ndarray, n_groups: int,
             statistic: str) -> list[Any]:
    """min/max of non-numeric values (text, dates, booleans): one pass in Python.

    A column mixing kinds of values (e.g. numbers and text) compares them as text.
    """
    if statistic in NUMERIC_ONLY:
        raise ValueError(f"statistic {statistic!r} needs a numeric field")
    if statistic not in ("min", "max"):
        raise ValueError(f"unknown statistic {statistic!r}; use one of {STATISTICS}")
    kinds = {type(v) for v in values if v is not None}
    key = str if len(kinds) > 1 else (lambda v: v)  # a mixed column compares as text
    best: list[Any] = [None] * n_groups
    best_key: list[Any] = [None] * n_groups
    wanted_min = statistic == "min"
    for value, group in zip(values, codes.tolist(), strict=True):
        if value is None:
            continue
        k = key(value)
        current = best_key[group]
        if current is None or (k < current if wanted_min else k > current):
            best[group], best_key[group] = value, k
    return best
