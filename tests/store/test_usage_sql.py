"""The usage ledger (each tenant's stored bytes, item by item) on every implementation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from honua.store import MemoryUsageLedger, SqlUsageLedger
from honua.types import UsageLedger


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UsageLedger]:
    if request.param == "memory":
        yield MemoryUsageLedger()
        return
    url = (request.getfixturevalue("postgres_url") if request.param == "postgresql"
           else f"sqlite:///{tmp_path / 'honua.db'}")
    store = SqlUsageLedger(url)
    store.replace_prefix("", [])  # the session's PostgreSQL database is shared
    yield store
    store.close()


def test_totals_are_per_tenant_and_per_prefix(ledger: UsageLedger) -> None:
    ledger.add("uploads/a/", "t1", 100)
    ledger.add("jobs/j1/inputs.json", "t1", 20)
    ledger.add("jobs/j1/outputs.json", "t1", 30)
    ledger.add("uploads/b/", "t2", 7)
    assert ledger.total("t1") == 150 and ledger.total("t2") == 7 and ledger.total("t3") == 0
    assert ledger.total("t1", "uploads/") == 100 and ledger.total("t1", "jobs/") == 50


def test_adding_again_replaces_and_removing_twice_is_harmless(ledger: UsageLedger) -> None:
    ledger.add("jobs/j1/outputs.json", "t1", 30)
    ledger.add("jobs/j1/outputs.json", "t1", 40)
    assert ledger.total("t1") == 40
    ledger.remove_prefix("jobs/j1/")
    ledger.remove_prefix("jobs/j1/")
    assert ledger.total("t1") == 0


def test_prefixes_are_literal_text(ledger: UsageLedger) -> None:
    """``_`` and ``%`` in a key are not SQL wildcards."""
    ledger.add("jobs/a_b/x", "t1", 1)
    ledger.add("jobs/aXb/x", "t1", 2)
    ledger.add("jobs/a%/x", "t1", 4)
    ledger.remove_prefix("jobs/a_b/")
    assert ledger.total("t1") == 6
    assert ledger.total("t1", "jobs/a%") == 4


def test_replace_prefix_recounts_one_kind_only(ledger: UsageLedger) -> None:
    ledger.add("uploads/stale/", "t1", 10**9)
    ledger.add("jobs/j1/outputs.json", "t1", 5)
    ledger.replace_prefix("uploads/", [("uploads/a/", "t1", 3), ("uploads/b/", "t2", 4)])
    assert ledger.total("t1") == 8 and ledger.total("t2") == 4
