"""How a run ended, in words for the person who asked for it.

A job can end in its worker (a ``Done`` frame), by the pool's hand (wall-clock
timeout, cancel, shutdown) or by the worker dying under it. Each way becomes
an ``Outcome`` whose ``error`` says what happened without a stack trace.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from typing import Any

from honua.core.execution import Outcome, OutcomeStatus, RunLimits
from honua.errors import Unavailable
from honua.executors.protocol import Done, loads

CANCELLED = "Job cancelled"
SHUTTING_DOWN = "Job cancelled: the server is shutting down"

_SIGNALS = {
    signal.SIGSEGV: "The worker process crashed (segmentation fault)",
    signal.SIGBUS: "The worker process crashed (bus error)",
    signal.SIGILL: "The worker process crashed (illegal instruction)",
    signal.SIGFPE: "The worker process crashed (floating-point exception)",
    signal.SIGABRT: "The worker process aborted (SIGABRT), usually a failed check in native code",
    signal.SIGKILL: "The worker process was killed (SIGKILL) from outside the pool, most likely "
                    "because the machine ran out of memory",
}


def from_done(done: Done, duration: float, worker: Mapping[str, Any] | None = None) -> Outcome:
    """The outcome the worker reported; outputs are unpickled here."""
    outputs = {}
    if done.outputs is not None:
        try:
            outputs = loads(done.outputs)
        except Exception as exc:
            return Outcome(OutcomeStatus.FAILED, duration=duration,
                           error=f"The outputs of the process could not be read: "
                                 f"{type(exc).__name__}: {exc}")
    return Outcome(done.status, outputs=outputs, outputs_json=done.outputs_json,
                   error=done.error, error_kind=done.error_kind, duration=duration,
                   worker=worker or {}, output_hashes=done.output_hashes)


def from_exit(returncode: int | None, limits: RunLimits, duration: float) -> Outcome:
    """The outcome of a job whose worker died under it, by ``returncode``."""
    if returncode is not None and -returncode == signal.SIGXCPU:
        return Outcome(OutcomeStatus.TIMED_OUT, duration=duration,
                       error=f"The process exceeded its CPU time limit of {limits.cpu_seconds} s")
    return Outcome(OutcomeStatus.FAILED, error=exit_reason(returncode), duration=duration)


def exit_reason(returncode: int | None) -> str:
    if returncode is None:
        return "The worker process stopped responding"
    if returncode >= 0:
        return f"The worker process exited unexpectedly (exit status {returncode})"
    signum = -returncode
    if signum in _SIGNALS:
        return _SIGNALS[signal.Signals(signum)]
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    return f"The worker process was stopped by {name}"


def timed_out(limits: RunLimits, duration: float) -> Outcome:
    return Outcome(OutcomeStatus.TIMED_OUT, duration=duration,
                   error=f"The process exceeded its time limit of {limits.timeout_seconds:g} s")


def cancelled(duration: float = 0.0, reason: str = CANCELLED) -> Outcome:
    return Outcome(OutcomeStatus.CANCELLED, error=reason, duration=duration)


def shutting_down(duration: float = 0.0) -> Outcome:
    """Stopped because the pool stops: cancelled, with kind 'unavailable' so that a
    caller can tell it from a cancel someone asked for (and, say, queue the job again)."""
    return Outcome(OutcomeStatus.CANCELLED, error=SHUTTING_DOWN, error_kind=Unavailable.kind,
                   duration=duration)


def failed(error: str, duration: float = 0.0) -> Outcome:
    return Outcome(OutcomeStatus.FAILED, error=error, duration=duration)
