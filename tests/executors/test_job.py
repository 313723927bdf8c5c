"""One item inside a worker: outputs asked for, and how failures are put into words."""

from __future__ import annotations

import errno
import os

import pytest

from honua.core.context import Context
from honua.core.execution import OutcomeStatus, RunLimits, WorkItem
from honua.core.registry import discover
from honua.errors import InvalidParameter
from honua.executors import job
from honua.executors.protocol import dumps, loads
from tests.executors.conftest import MODULES

LIMITS = RunLimits(timeout_seconds=60, memory_mb=0, cpu_seconds=0, max_processes=0,
                   max_file_mb=0)
"""No OS limits: these tests run in the test process itself."""


@pytest.fixture(scope="module")
def registry():
    return discover(MODULES)


def _item(process_id: str, **changes) -> WorkItem:
    return WorkItem(f"{process_id}-job", process_id, LIMITS, **changes)


def test_run_returns_only_the_outputs_asked_for(registry) -> None:
    """Pickled outputs hold just the wanted ones."""
    done = job.run(registry, _item("identify", outputs=("pid",)), dumps({}), Context(), os.getpid())
    assert done.status is OutcomeStatus.SUCCEEDED
    assert loads(done.outputs) == {"pid": os.getpid()}


def test_run_with_json_decodes_inputs_and_encodes_outputs(registry) -> None:
    """Stored JSON inputs in, neutral JSON outputs out."""
    item = _item("echo", inputs_json=b'{"text": "hi"}', return_json=True)
    done = job.run(registry, item, None, Context(), os.getpid())
    assert (done.status, done.outputs_json, done.outputs) == (
        OutcomeStatus.SUCCEEDED, b'{"result":"hi"}', None)


def test_run_unknown_process_fails_with_its_kind(registry) -> None:
    """A process missing from the worker's registry is a no-such-process failure."""
    done = job.run(registry, _item("nope"), None, Context(), os.getpid())
    assert (done.status, done.error_kind) == (OutcomeStatus.FAILED, "no-such-process")


@pytest.mark.parametrize(("error", "message", "kind", "recycle"), [
    (InvalidParameter("distance must be positive", parameter="d"),
     "distance must be positive", "invalid-parameter", False),
    (MemoryError(), "The process ran out of memory (limit 0 MB)", "", True),
    (OSError(errno.EFBIG, "File too large"),
     "The process tried to write a file larger than its limit of 0 MB", "", True),
    (OSError(errno.EAGAIN, "Resource temporarily unavailable"),
     "BlockingIOError: [Errno 11] Resource temporarily unavailable", "", True),
    (KeyError("x"), "KeyError: 'x'", "", False),
    (RuntimeError(), "RuntimeError", "", False),
])
def test_failure_puts_errors_into_words(error: BaseException, message: str, kind: str,
                                        recycle: bool) -> None:
    """Honua errors keep message and kind; limits name the limit; others are 'Type: text'."""
    done = job.failure(_item("echo"), error)
    assert (done.status, done.error, done.error_kind, done.recycle) == (
        OutcomeStatus.FAILED, message, kind, recycle)
