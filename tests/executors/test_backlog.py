"""The backlog: priority order, cancel lookups, and exactly one on_finish per item."""

from __future__ import annotations

import pytest

from honua.core.execution import Outcome, OutcomeStatus, RunLimits, WorkItem
from honua.errors import Unavailable
from honua.executors.backlog import Backlog, Ticket
from tests.executors.recorder import Recorder

LIMITS = RunLimits(1, 1, 1, 1, 1)


def _ticket(job_id: str, recorder: Recorder, priority: bool = False) -> Ticket:
    return Ticket(WorkItem(job_id, "echo", LIMITS), recorder, priority)


def _nothing() -> None:
    pass


def test_take_serves_priority_items_first(recorder: Recorder) -> None:
    """Priority items go before earlier normal ones; each kind keeps its order."""
    backlog = Backlog()
    for job_id, priority in (("a", False), ("b", False), ("p1", True), ("p2", True)):
        backlog.put(_ticket(job_id, recorder, priority))
    taken = [backlog.take(_nothing, 0).job_id for _ in range(4)]
    assert taken == ["p1", "p2", "a", "b"]
    assert backlog.take(_nothing, 0) is None


def test_take_counts_the_item_as_running_until_done(recorder: Recorder) -> None:
    """A taken item is findable as running (for cancel) until the slot is done with it."""
    backlog = Backlog()
    backlog.put(_ticket("a", recorder))
    backlog.put(_ticket("b", recorder))
    ticket = backlog.take(_nothing, 0)
    assert backlog.counts() == (1, 1)
    assert backlog.running("a") is ticket and ticket.wake is _nothing
    backlog.done(ticket)
    assert backlog.counts() == (1, 0)


def test_withdraw_removes_only_queued_items(recorder: Recorder) -> None:
    """Withdrawing finds queued items by job id; unknown ids give None."""
    backlog = Backlog()
    backlog.put(_ticket("a", recorder))
    backlog.put(_ticket("b", recorder, priority=True))
    assert backlog.withdraw("a").job_id == "a"
    assert backlog.withdraw("a") is None
    assert backlog.counts() == (1, 0)


def test_close_returns_queued_items_and_refuses_more(recorder: Recorder) -> None:
    """After close nothing is taken and a put raises Unavailable."""
    backlog = Backlog()
    backlog.put(_ticket("a", recorder))
    assert [t.job_id for t in backlog.close()] == ["a"]
    assert backlog.take(_nothing, 0.01) is None
    with pytest.raises(Unavailable):
        backlog.put(_ticket("b", recorder))


def test_ticket_finishes_once(recorder: Recorder) -> None:
    """Only the first finish reaches the listener."""
    ticket = _ticket("a", recorder)
    assert ticket.finish(Outcome(OutcomeStatus.CANCELLED, error="first"))
    assert not ticket.finish(Outcome(OutcomeStatus.FAILED, error="second"))
    assert [o.error for o in recorder.finishes["a"]] == ["first"]
    assert not ticket.request_cancel(0.3)


def test_ticket_swallows_listener_errors(caplog: pytest.LogCaptureFixture) -> None:
    """A listener that raises is logged, and the pool thread carries on."""

    class Broken(Recorder):
        def on_finish(self, job_id: str, outcome: Outcome) -> None:
            raise RuntimeError("listener bug")

    ticket = Ticket(WorkItem("a", "echo", LIMITS), Broken(), False)
    assert ticket.finish(Outcome(OutcomeStatus.SUCCEEDED))
    assert "listener bug" in caplog.text
