"""The job state machine, exhaustively."""

import datetime as dt

import pytest

from honua.core.jobs import FINISHED, Job, JobEvent, JobStatus, new_job_id, transition
from honua.errors import InvalidTransition

S, E = JobStatus, JobEvent

# Every allowed move, written out by hand from the life of a job (not read from the code's
# table): status -> {event: status after}. Whatever is not here must be refused.
ALLOWED_TEXT = """
accepted    submit->submitted wait->waiting start->running fail->failed cancel->cancelled
            dismiss->dismissed requeue->submitted
submitted   submit->submitted wait->waiting start->running fail->failed cancel->cancelled
            dismiss->dismissed requeue->submitted
waiting     submit->submitted wait->waiting start->running fail->failed cancel->cancelled
            dismiss->dismissed requeue->submitted
running     succeed->succeeded fail->failed cancel->cancelling stopped->cancelled
            time-out->timed-out requeue->submitted dismiss->dismissed
cancelling  stopped->cancelled succeed->cancelled fail->cancelled time-out->cancelled
            requeue->cancelled cancel->cancelling dismiss->dismissed
succeeded   dismiss->dismissed
failed      dismiss->dismissed
cancelled   dismiss->dismissed cancel->cancelled stopped->cancelled
timed-out   dismiss->dismissed
dismissed
"""


def _allowed() -> dict[tuple[JobStatus, JobEvent], JobStatus]:
    moves: dict[tuple[JobStatus, JobEvent], JobStatus] = {}
    status = None
    for line in ALLOWED_TEXT.strip().splitlines():
        words = line.split()
        if not line.startswith(" "):
            status, words = JobStatus(words[0]), words[1:]
        for word in words:
            event, after = word.split("->")
            moves[(status, JobEvent(event))] = JobStatus(after)
    return moves


ALLOWED = _allowed()
REFUSED = [(s, e) for s in JobStatus for e in JobEvent if (s, e) not in ALLOWED]


def test_transition_table_is_written_out_whole():
    """41 allowed moves of the 100 (status, event) pairs; the rest must be refused."""
    assert len(ALLOWED) == 41 and len(REFUSED) == 100 - 41


@pytest.mark.parametrize(("pair", "after"), ALLOWED.items(),
                         ids=[f"{s}-{e}" for s, e in ALLOWED])
def test_transition_allowed_moves(pair, after):
    assert transition(*pair) is after


@pytest.mark.parametrize("pair", REFUSED, ids=[f"{s}-{e}" for s, e in REFUSED])
def test_transition_every_other_move_is_refused(pair):
    status, event = pair
    with pytest.raises(InvalidTransition, match=f"{status.value} cannot {event.value}"):
        transition(status, event)


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


def test_job_apply_leaves_started_of_a_dismissed_running_job_and_stamps_no_finish():
    """Dismissing is forgetting, not finishing: no finished time is invented."""
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    running = Job(id="j", process_id="p", created=t0).apply(E.START, t0)
    dismissed = running.apply(E.DISMISS, t0 + dt.timedelta(seconds=5))
    assert dismissed.status is S.DISMISSED and dismissed.finished is None
    assert dismissed.started == t0 and dismissed.updated == t0 + dt.timedelta(seconds=5)


def test_job_apply_cancelled_keeps_its_first_finish_time():
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cancelled = Job(id="j", process_id="p", created=t0).apply(E.CANCEL, t0)
    again = cancelled.apply(E.CANCEL, t0 + dt.timedelta(seconds=9))
    assert again.finished == t0 and again.status is S.CANCELLED


def test_new_job_ids_never_start_like_a_command_line_option(monkeypatch):
    drawn = iter(["-starts-like-an-option", "_underscored", "Ab3-x"])
    monkeypatch.setattr("honua.core.jobs.secrets.token_urlsafe", lambda n: next(drawn))
    assert new_job_id() == "Ab3-x"
