"""Starting a run from an adapter's request handler without blocking the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from honua.core.planning import RunResult
from honua.core.requests import ExecutionOptions
from honua.types import JobService

__all__ = ["start_run"]


async def start_run(manager: JobService, process_id: str, inputs: Mapping[str, Any],
                    options: ExecutionOptions, *, offload: bool = False, owner: str = "",
                    tenant: str = "") -> RunResult:
    """The run's result as ``core.planning`` decided. Validation happens on the caller's
    thread unless ``offload`` (big or blocking inputs) moves it to the thread pool; the
    run itself always happens elsewhere."""
    if offload:
        future = await run_in_threadpool(manager.run, process_id, inputs, options, owner=owner,
                                         tenant=tenant)
    else:
        future = manager.run(process_id, inputs, options, owner=owner, tenant=tenant)
    return await asyncio.wrap_future(future)
