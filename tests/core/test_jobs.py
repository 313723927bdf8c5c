"""The job state machine, exhaustively."""

import datetime as dt

import pytest

from honua.core.jobs import FINISHED, TRANSITIONS, Job, JobEvent, JobStatus, transition
from honua.errors import InvalidTransition

S, E = JobStatus, JobEvent

EXPECTED = {
    (S.ACCEPTED, E.SUBMIT): S.SUBMITTED, (S.SUBMITTED, E.START): S.RUNNING,
    (S.WAITING, E.START): S.RUNNING, (S.SUBMITTED, E.CANCEL): S.CANCELLED,
    (S.RUNNING, E.SUCCEED): S.SUCCEEDED, (S.RUNNING, E.FAIL): S.FAILED,
    (S.RUNNING, E.CANCEL): S.CANCELLING, (S.RUNNING, E.TIME_OUT): S.TIMED_OUT,
    (S.RUNNING, E.REQUEUE): S.SUBMITTED, (S.CANCELLING, E.STOPPED): S.CANCELLED,
    (S.CANCELLING, E.SUCCEED): S.CANCELLED, (S.SUCCEEDED, E.DISMISS): S.DISMISSED,
    (S.RUNNING, E.DISMISS): S.DISMISSED, (S.CANCELLED, E.CANCEL): S.CANCELLED,
}


@pytest.mark.parametrize("status", list(JobStatus))
@pytest.mark.parametrize("event", list(JobEvent))
def test_transition_every_pair_is_defined_or_refused(status, event):
    """Every (status, event) pair either moves to a known status or raises InvalidTransition."""
    if event in TRANSITIONS[status]:
        assert transition(status, event) in JobStatus
    else:
        with pytest.raises(InvalidTransition):
            transition(status, event)


@pytest.mark.parametrize(("pair", "after"), EXPECTED.items())
def test_transition_known_moves(pair, after):
    assert transition(*pair) is after


def test_transition_dismissed_is_final():
    """Nothing happens to a dismissed job any more."""
    for event in JobEvent:
        with pytest.raises(InvalidTransition):
            transition(S.DISMISSED, event)


def test_transition_finished_jobs_never_run_again():
    for status in FINISHED:
        for event in (E.START, E.SUBMIT, E.REQUEUE):
            with pytest.raises(InvalidTransition):
                transition(status, event)


def test_job_apply_stamps_times_and_attempts():
    """Starting sets started and counts an attempt; finishing sets finished once."""
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    job = Job(id="j", process_id="p", created=t0).apply(E.SUBMIT, t0)
    running = job.apply(E.START, t0 + dt.timedelta(seconds=1))
    assert running.started == t0 + dt.timedelta(seconds=1) and running.attempts == 1
    done = running.apply(E.SUCCEED, t0 + dt.timedelta(seconds=3))
    assert done.finished == t0 + dt.timedelta(seconds=3) and done.progress == 100
    requeued = running.apply(E.REQUEUE, t0)
    assert requeued.status is S.SUBMITTED and requeued.started is None
    assert requeued.apply(E.START, t0).attempts == 2
