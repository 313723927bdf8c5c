"""How runs end, in words: worker deaths by signal, timeouts, unreadable outputs."""

from __future__ import annotations

import signal

import pytest

from honua.core.execution import OutcomeStatus, RunLimits
from honua.executors import outcomes
from honua.executors.protocol import Done, dumps

LIMITS = RunLimits(timeout_seconds=2.5, memory_mb=512, cpu_seconds=7, max_processes=4,
                   max_file_mb=1)


@pytest.mark.parametrize(("returncode", "words"), [
    (-signal.SIGSEGV, "crashed (segmentation fault)"),
    (-signal.SIGABRT, "aborted (SIGABRT)"),
    (-signal.SIGKILL, "ran out of memory"),
    (-signal.SIGBUS, "crashed (bus error)"),
    (-signal.SIGTERM, "stopped by SIGTERM"),
    (3, "exited unexpectedly (exit status 3)"),
    (None, "stopped responding"),
])
def test_from_exit_names_the_cause(returncode: int | None, words: str) -> None:
    """A worker's death is reported as a failure that says how it died."""
    outcome = outcomes.from_exit(returncode, LIMITS, 1.0)
    assert outcome.status is OutcomeStatus.FAILED
    assert words in outcome.error
    assert outcome.duration == 1.0


def test_from_exit_sigxcpu_is_a_cpu_timeout() -> None:
    """Death by SIGXCPU is the CPU time limit, reported as timed-out."""
    outcome = outcomes.from_exit(-signal.SIGXCPU, LIMITS, 1.0)
    assert outcome.status is OutcomeStatus.TIMED_OUT
    assert outcome.error == "The process exceeded its CPU time limit of 7 s"


def test_timed_out_names_the_limit() -> None:
    """The wall-clock timeout message gives the limit."""
    assert outcomes.timed_out(LIMITS, 2.6).error == "The process exceeded its time limit of 2.5 s"


def test_from_done_unpickles_outputs() -> None:
    """Pickled outputs come back as values."""
    done = Done("j", OutcomeStatus.SUCCEEDED, outputs=dumps({"result": 42}))
    assert outcomes.from_done(done, 0.1).outputs == {"result": 42}


def test_from_done_with_unreadable_outputs_fails_the_job() -> None:
    """Outputs the server cannot unpickle fail that job with a message, nothing more."""
    done = Done("j", OutcomeStatus.SUCCEEDED, outputs=b"\x80\x05garbage")
    outcome = outcomes.from_done(done, 0.1)
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.error.startswith("The outputs of the process could not be read")
