"""Worker pools running the misbehaving test processes, and work items for them."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from honua.core.execution import RunLimits, WorkItem
from honua.executors.pool import LocalPool
from honua.settings import Settings
from tests.executors.recorder import Recorder

MODULES = ("tests.plugins.misbehaving",)
LIMITS = RunLimits(timeout_seconds=3.0, memory_mb=1024, cpu_seconds=30, max_processes=20,
                   max_file_mb=16)
_ids = itertools.count()


def pool_settings(tmp_path: Any, **changes: Any) -> Settings:
    base = Settings(data_dir=tmp_path / "data", workers=2, worker_max_jobs=100,
                    process_modules=MODULES, cancel_grace_seconds=0.3)
    return base.replace(**changes)


def item(process_id: str, *, limits: RunLimits = LIMITS, **inputs: Any) -> WorkItem:
    """A work item with bound inputs and a fresh job id."""
    return WorkItem(f"{process_id}-{next(_ids)}", process_id, limits, inputs=inputs)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_pool(tmp_path: Any) -> Iterator[Callable[..., LocalPool]]:
    """Start a pool with some settings changed; every pool is stopped after the test."""
    pools: list[LocalPool] = []

    def make(**changes: Any) -> LocalPool:
        pool = LocalPool(pool_settings(tmp_path, **changes))
        pools.append(pool)
        pool.start()
        return pool

    yield make
    for pool in pools:
        pool.stop()


@pytest.fixture(scope="session")
def shared_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPool]:
    """One two-worker pool for all these tests: it must survive whatever they do to it."""
    with LocalPool(pool_settings(tmp_path_factory.mktemp("pool"))) as pool:
        yield pool
