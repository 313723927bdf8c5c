"""geo.statistics: statistics by group, nulls skipped, types kept."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from honua.geo import statistics
from honua.geo.statistics import group_statistic, result_type

CODES = np.array([0, 1, 0, 1, 0])


def test_statistics_doctests():
    """The module's examples hold."""
    assert doctest.testmod(statistics).failed == 0


@pytest.mark.parametrize(("statistic", "expected"), [
    ("count", [2, 1, 0]),
    ("sum", [4, 7, None]),
    ("mean", [2.0, 7.0, None]),
    ("min", [1, 7, None]),
    ("max", [3, 7, None]),
    ("first", [1, None, None]),
])
def test_statistics_integer_column(statistic, expected):
    """Each statistic on an integer column with nulls; an empty group gets None (count 0)."""
    values = [1, None, 3, 7, None]
    assert group_statistic(values, CODES, 3, statistic, "integer") == expected


def test_statistics_integer_results_are_ints():
    """Sums, minima and maxima of integers stay integers."""
    out = group_statistic([1, 2, 3, 4, 5], CODES, 2, "sum", "integer")
    assert out == [9, 6] and all(type(v) is int for v in out)


def test_statistics_double_min_max_with_negative_values():
    """min and max of doubles per group."""
    values = [-1.5, 2.0, 3.5, -7.0, 0.0]
    assert group_statistic(values, CODES, 2, "min", "double") == [-1.5, -7.0]
    assert group_statistic(values, CODES, 2, "max", "double") == [3.5, 2.0]


def test_statistics_text_and_date_min_max():
    """Text and ISO date-times order as text."""
    values = ["pear", "b", "apple", None, "zebra"]
    assert group_statistic(values, CODES, 2, "min", "string") == ["apple", "b"]
    dates = ["2024-05-01", "2023-01-01", "2024-01-01", None, None]
    assert group_statistic(dates, CODES, 2, "max", "datetime") == ["2024-05-01", "2023-01-01"]


def test_statistics_mixed_kinds_compare_as_text():
    """A column mixing numbers and text does not crash min."""
    assert group_statistic([3, "a", 10], np.array([0, 0, 0]), 1, "min", "string") == [10]
    assert group_statistic([3, "a", 10], np.array([0, 0, 0]), 1, "max", "string") == ["a"]


def test_statistics_sum_of_text_is_an_error():
    """sum needs numbers; the caller checks field types first."""
    with pytest.raises(ValueError, match="numeric"):
        group_statistic(["a"], np.array([0]), 1, "sum", "string")


def test_statistics_result_types():
    """count is integer, mean double, the others keep the field's type."""
    assert [result_type(s, "integer") for s in statistics.STATISTICS] == [
        "integer", "integer", "double", "integer", "integer", "integer"]


def test_statistics_no_rows():
    """No rows: every group empty."""
    assert group_statistic([], np.array([], dtype=int), 2, "max", "double") == [None, None]
    assert group_statistic([], np.array([], dtype=int), 2, "first", "double") == [None, None]
