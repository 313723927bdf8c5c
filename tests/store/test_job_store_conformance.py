"""What every ``JobStore`` does, run against memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from honua.core.context import MessageLevel
from honua.core.jobs import Job, JobEvent, JobStatus, Message
from honua.core.requests import (
    ExecutionOptions,
    LayerRegistration,
    Mode,
    OutputFormat,
    OutputRequest,
    Transmission,
)
from honua.errors import Conflict, NoSuchJob
from honua.types import JobStore

S = JobStatus
MakeJob = Callable[..., Job]
RunTogether = Callable[[int, Callable[[int], Any]], list[Any]]
THREADS = 6


# -- create / get -------------------------------------------------------------------------

def test_job_store_create_then_get_returns_equal_job(job_store: JobStore, make_job: MakeJob,
                                                     t0: dt.datetime) -> None:
    """Every field of a job comes back as it was stored."""
    job = make_job(status=S.SUCCEEDED, owner="alice", tenant="acme", started=t0,
                   finished=t0 + dt.timedelta(minutes=1), expires=t0 + dt.timedelta(hours=6),
                   progress=100, message="Succeeded in 1.00 s", error_kind="", tier="postgis",
                   attempts=2, has_outputs=True)
    job_store.create(job)
    assert job_store.get(job.id) == job


def test_job_store_create_duplicate_id_conflicts(job_store: JobStore, make_job: MakeJob) -> None:
    """A second job with the same id is refused and the first is kept."""
    job = make_job()
    job_store.create(job)
    with pytest.raises(Conflict, match="already exists"):
        job_store.create(job.evolve(process_id="clip"))
    assert job_store.get(job.id).process_id == "buffer"


def test_job_store_create_with_messages_stores_both_at_once(job_store: JobStore,
                                                           make_job: MakeJob,
                                                           t0: dt.datetime) -> None:
    """A job created with its first messages has them, in order (one write for sync runs)."""
    job = make_job()
    notes = [Message(t0, MessageLevel.INFO, "started"), Message(t0, MessageLevel.ERROR, "boom")]
    job_store.create(job, notes)
    assert job_store.messages(job.id) == notes


def test_job_store_update_with_messages_writes_both_or_neither(job_store: JobStore,
                                                              make_job: MakeJob,
                                                              t0: dt.datetime) -> None:
    """A state change and its message land together; a refused change adds no message."""
    job = make_job(status=S.RUNNING)
    job_store.create(job)
    note = Message(t0, MessageLevel.ERROR, "failed: bad input")
    assert not job_store.update(job.evolve(status=S.FAILED), expected=S.SUBMITTED,
                                messages=[note])
    assert job_store.messages(job.id) == []
    assert job_store.update(job.evolve(status=S.FAILED), expected=S.RUNNING, messages=[note])
    assert job_store.get(job.id).status is S.FAILED
    assert job_store.messages(job.id) == [note]


def test_job_store_list_by_creation_interval(job_store: JobStore, make_job: MakeJob,
                                             t0: dt.datetime) -> None:
    """Jobs created within [created_from, created_to] (both inclusive, either open)."""
    for minutes in (0, 10, 20):
        job_store.create(make_job(created=t0 + dt.timedelta(minutes=minutes)))
    minute = dt.timedelta(minutes=1)
    _, total = job_store.list(created_from=t0 + 10 * minute)
    assert total == 2
    jobs, total = job_store.list(created_from=t0 + 5 * minute, created_to=t0 + 10 * minute)
    assert total == 1 and jobs[0].created == t0 + 10 * minute
    assert job_store.list(created_to=t0 - minute)[1] == 0


def test_job_store_get_unknown_raises_no_such_job(job_store: JobStore) -> None:
    """The error names the id and says why a job might be gone."""
    with pytest.raises(NoSuchJob, match=r"'nope'.*dismissed or expired"):
        job_store.get("nope")


# -- update (compare-and-set) -------------------------------------------------------------

def test_job_store_update_without_expected_overwrites(job_store: JobStore,
                                                      make_job: MakeJob) -> None:
    """A plain update writes whatever the stored status."""
    job = make_job(status=S.RUNNING)
    job_store.create(job)
    done = job.apply(JobEvent.SUCCEED, message="done")
    assert job_store.update(done) is True
    assert job_store.get(job.id) == done


def test_job_store_update_with_matching_expected_writes(job_store: JobStore,
                                                        make_job: MakeJob) -> None:
    """Compare-and-set succeeds while the stored status is the expected one."""
    job = make_job(status=S.RUNNING)
    job_store.create(job)
    done = job.apply(JobEvent.FAIL, message="boom", error_kind="internal")
    assert job_store.update(done, expected=S.RUNNING) is True
    assert job_store.get(job.id) == done


def test_job_store_update_with_stale_expected_is_refused(job_store: JobStore,
                                                         make_job: MakeJob) -> None:
    """Compare-and-set on a status that has moved on writes nothing."""
    job = make_job(status=S.CANCELLING)
    job_store.create(job)
    assert job_store.update(job.evolve(status=S.SUCCEEDED), expected=S.RUNNING) is False
    assert job_store.get(job.id) == job


def test_job_store_update_unknown_job_returns_false(job_store: JobStore,
                                                    make_job: MakeJob) -> None:
    """Updating a job that is not stored writes nothing, with or without expected."""
    job = make_job()
    assert job_store.update(job) is False
    assert job_store.update(job, expected=S.ACCEPTED) is False
    with pytest.raises(NoSuchJob):
        job_store.get(job.id)


def test_job_store_update_has_one_winner_under_contention(
        job_store: JobStore, make_job: MakeJob, run_together: RunTogether) -> None:
    """Of many concurrent compare-and-sets from the same status exactly one is written."""
    job = make_job(status=S.RUNNING)
    job_store.create(job)
    results = run_together(THREADS, lambda i: job_store.update(
        job.apply(JobEvent.SUCCEED, message=f"writer {i}"), expected=S.RUNNING))
    assert results.count(True) == 1
    assert job_store.get(job.id).message == f"writer {results.index(True)}"


# -- claim_next ---------------------------------------------------------------------------

def test_job_store_claim_next_on_empty_queue_returns_none(job_store: JobStore,
                                                          make_job: MakeJob,
                                                          t0: dt.datetime) -> None:
    """Jobs that are not submitted are never claimed."""
    for status in (S.ACCEPTED, S.WAITING, S.RUNNING, S.SUCCEEDED, S.CANCELLING):
        job_store.create(make_job(status=status))
    assert job_store.claim_next(t0) is None


def test_job_store_claim_next_takes_oldest_submitted_first(job_store: JobStore,
                                                           make_job: MakeJob,
                                                           t0: dt.datetime) -> None:
    """Submitted jobs are claimed in order of creation, whatever order they were stored in."""
    jobs = [make_job(status=S.SUBMITTED) for _ in range(3)]
    for job in reversed(jobs):
        job_store.create(job)
    claimed = [job_store.claim_next(t0) for _ in range(4)]
    assert [job.id if job else None for job in claimed] == [j.id for j in jobs] + [None]


def test_job_store_claim_next_breaks_creation_ties_by_id(job_store: JobStore,
                                                         make_job: MakeJob,
                                                         t0: dt.datetime) -> None:
    """Jobs created at the same instant are claimed in byte order of their ids."""
    for job_id in ("b", "a", "B", "_"):
        job_store.create(make_job(id=job_id, created=t0, status=S.SUBMITTED))
    claimed = [job_store.claim_next(t0) for _ in range(4)]
    assert [job.id for job in claimed if job] == ["B", "_", "a", "b"]


def test_job_store_claim_next_matches_job_apply_start(job_store: JobStore, make_job: MakeJob,
                                                      t0: dt.datetime) -> None:
    """A claimed job is what ``Job.apply(START)`` makes of it, returned and stored."""
    job = make_job(status=S.SUBMITTED, attempts=1, progress=40, message="queued again")
    job_store.create(job)
    now = t0 + dt.timedelta(minutes=5)
    expected = job.apply(JobEvent.START, now)
    assert job_store.claim_next(now) == expected
    assert job_store.get(job.id) == expected


def test_job_store_claim_next_gives_each_job_to_one_caller(
        job_store: JobStore, make_job: MakeJob, t0: dt.datetime,
        run_together: RunTogether) -> None:
    """Threads claiming at once between them claim every job exactly once."""
    jobs = [make_job(status=S.SUBMITTED) for _ in range(24)]
    for job in jobs:
        job_store.create(job)

    def claim_all(_: int) -> list[str]:
        mine = []
        while (job := job_store.claim_next(t0)) is not None:
            mine.append(job.id)
        return mine

    claimed = [job_id for ids in run_together(THREADS, claim_all) for job_id in ids]
    assert Counter(claimed) == Counter(job.id for job in jobs)
    stored, _ = job_store.list(limit=100)
    assert {(job.status, job.attempts) for job in stored} == {(S.RUNNING, 1)}


def test_job_store_orphans_are_running_jobs_whose_holder_is_not_live(
        job_store: JobStore, make_job: MakeJob, t0: dt.datetime) -> None:
    """A job claimed by a front, or stored already running with its holder named (a workflow
    run by the engine), belongs to that front while it lives; one without a holder is an
    orphan at once (it would otherwise be re-queued and run a second time)."""
    job_store.create(make_job(id="queued", status=S.SUBMITTED))
    job_store.create(make_job(id="direct", status=S.RUNNING, started=t0), holder="front-a")
    job_store.create(make_job(id="nobody", status=S.RUNNING, started=t0))
    assert job_store.claim_next(t0, front="front-b") is not None
    assert {j.id for j in job_store.orphans(["front-a", "front-b"])} == {"nobody"}
    assert {j.id for j in job_store.orphans(["front-b"])} == {"nobody", "direct"}
    assert {j.id for j in job_store.orphans(["front-a"])} == {"nobody", "queued"}


# -- set_progress -------------------------------------------------------------------------

def test_job_store_set_progress_updates_running_job(job_store: JobStore, make_job: MakeJob,
                                                    t0: dt.datetime) -> None:
    """Progress, message and the update time of a running job are recorded."""
    job = make_job(status=S.RUNNING)
    job_store.create(job)
    later = t0 + dt.timedelta(minutes=3)
    job_store.set_progress(job.id, 42, "half way", later)
    assert job_store.get(job.id) == job.evolve(progress=42, message="half way", updated=later)


def test_job_store_set_progress_without_message_keeps_message(job_store: JobStore,
                                                              make_job: MakeJob,
                                                              t0: dt.datetime) -> None:
    """``message=None`` leaves the job's message as it was."""
    job = make_job(status=S.RUNNING, message="Job started")
    job_store.create(job)
    job_store.set_progress(job.id, 10, None, t0)
    assert job_store.get(job.id).message == "Job started"


@pytest.mark.parametrize("percent, stored", [(-5, 0), (150, 100)])
def test_job_store_set_progress_clamps_percent(job_store: JobStore, make_job: MakeJob,
                                               t0: dt.datetime, percent: int,
                                               stored: int) -> None:
    """Progress is kept within 0..100."""
    job = make_job(status=S.RUNNING)
    job_store.create(job)
    job_store.set_progress(job.id, percent, None, t0)
    assert job_store.get(job.id).progress == stored


@pytest.mark.parametrize("status", [S.SUBMITTED, S.CANCELLING, S.SUCCEEDED])
def test_job_store_set_progress_ignores_job_not_running(job_store: JobStore,
                                                        make_job: MakeJob, t0: dt.datetime,
                                                        status: JobStatus) -> None:
    """Late progress reports cannot change a job that is no longer running."""
    job = make_job(status=status)
    job_store.create(job)
    job_store.set_progress(job.id, 50, "late", t0 + dt.timedelta(hours=1))
    assert job_store.get(job.id) == job


def test_job_store_set_progress_ignores_unknown_job(job_store: JobStore,
                                                    t0: dt.datetime) -> None:
    """Progress of a job that is gone is dropped without an error."""
    job_store.set_progress("gone", 50, "late", t0)
    with pytest.raises(NoSuchJob):
        job_store.get("gone")


# -- messages -----------------------------------------------------------------------------

def test_job_store_messages_keep_insertion_order(job_store: JobStore, make_job: MakeJob,
                                                 t0: dt.datetime) -> None:
    """Messages come back in the order added, across batches and equal timestamps."""
    job = make_job()
    job_store.create(job)
    first = [Message(t0, MessageLevel.INFO, "Job started"),
             Message(t0, MessageLevel.WARNING, "Few features")]
    second = [Message(t0, MessageLevel.DEBUG, "z"), Message(t0, MessageLevel.ERROR, "a")]
    job_store.add_messages(job.id, first)
    job_store.add_messages(job.id, [])
    job_store.add_messages(job.id, second)
    assert job_store.messages(job.id) == first + second


def test_job_store_messages_are_kept_per_job(job_store: JobStore, make_job: MakeJob,
                                             t0: dt.datetime) -> None:
    """One job's messages never show up in another's."""
    one, two = make_job(), make_job()
    job_store.create(one)
    job_store.create(two)
    job_store.add_messages(one.id, [Message(t0, MessageLevel.INFO, "one")])
    job_store.add_messages(two.id, [Message(t0, MessageLevel.INFO, "two")])
    assert [m.text for m in job_store.messages(one.id)] == ["one"]
    assert [m.text for m in job_store.messages(two.id)] == ["two"]


def test_job_store_messages_of_unknown_job_raise_no_such_job(job_store: JobStore) -> None:
    """Asking for the messages of a job that does not exist is an error."""
    with pytest.raises(NoSuchJob, match="'nope'"):
        job_store.messages("nope")


def test_job_store_add_messages_to_unknown_job_are_dropped(job_store: JobStore,
                                                           t0: dt.datetime) -> None:
    """A worker reporting on a dismissed job does not fail, and nothing is kept."""
    job_store.add_messages("gone", [Message(t0, MessageLevel.INFO, "late")])
    with pytest.raises(NoSuchJob):
        job_store.messages("gone")


# -- list ---------------------------------------------------------------------------------

@pytest.fixture
def listed(job_store: JobStore, make_job: MakeJob) -> JobStore:
    """Five jobs, job-000 (oldest) to job-004 (newest)."""
    for process_id, owner, status in [("buffer", "alice", S.SUBMITTED),
                                      ("clip", "alice", S.RUNNING),
                                      ("buffer", "bob", S.SUCCEEDED),
                                      ("buffer", "alice", S.FAILED),
                                      ("clip", "bob", S.SUBMITTED)]:
        job_store.create(make_job(process_id=process_id, owner=owner, status=status))
    return job_store


def ids(jobs: list[Job]) -> list[str]:
    return [job.id for job in jobs]


def test_job_store_list_returns_newest_first_with_total(listed: JobStore) -> None:
    """Without filters every job is listed, newest first."""
    jobs, total = listed.list()
    assert ids(jobs) == ["job-004", "job-003", "job-002", "job-001", "job-000"]
    assert total == 5


@pytest.mark.parametrize("filters, expected", [
    ({"statuses": [S.SUBMITTED]}, ["job-004", "job-000"]),
    ({"statuses": (S.RUNNING, S.SUCCEEDED)}, ["job-002", "job-001"]),
    ({"statuses": ["failed"]}, ["job-003"]),
    ({"statuses": []}, []),
    ({"process_id": "buffer"}, ["job-003", "job-002", "job-000"]),
    ({"owner": "bob"}, ["job-004", "job-002"]),
    ({"statuses": [S.SUBMITTED], "process_id": "buffer", "owner": "alice"}, ["job-000"]),
    ({"process_id": "nothing"}, []),
])
def test_job_store_list_filters(listed: JobStore, filters: dict[str, Any],
                                expected: list[str]) -> None:
    """Filters combine with AND; the total counts what they match."""
    jobs, total = listed.list(**filters)
    assert ids(jobs) == expected
    assert total == len(expected)


@pytest.mark.parametrize("limit, offset, expected", [
    (2, 0, ["job-004", "job-003"]),
    (2, 1, ["job-003", "job-002"]),
    (10, 4, ["job-000"]),
    (0, 0, []),
    (5, 9, []),
])
def test_job_store_list_pages_keep_total(listed: JobStore, limit: int, offset: int,
                                         expected: list[str]) -> None:
    """A page is a slice of the newest-first order; the total ignores paging."""
    jobs, total = listed.list(limit=limit, offset=offset)
    assert ids(jobs) == expected
    assert total == 5


@pytest.mark.parametrize("paging", [{"limit": -1}, {"offset": -1}])
def test_job_store_list_rejects_negative_paging(job_store: JobStore,
                                                paging: dict[str, int]) -> None:
    """Negative limits or offsets are a caller's mistake, not an empty page."""
    with pytest.raises(ValueError, match="must not be negative"):
        job_store.list(**paging)


def test_job_store_list_orders_by_instant_not_wall_clock(job_store: JobStore,
                                                         make_job: MakeJob) -> None:
    """A job created later in UTC is newer even if its local clock time reads earlier."""
    nepal = dt.timezone(dt.timedelta(hours=5, minutes=45))
    earlier = make_job(created=dt.datetime(2026, 1, 1, 10, 0, tzinfo=nepal))  # 04:15 UTC
    later = make_job(created=dt.datetime(2026, 1, 1, 5, 0, tzinfo=dt.UTC))
    job_store.create(earlier)
    job_store.create(later)
    assert ids(job_store.list()[0]) == [later.id, earlier.id]


# -- expired / delete ---------------------------------------------------------------------

def test_job_store_expired_returns_finished_jobs_past_expiry(job_store: JobStore,
                                                             make_job: MakeJob,
                                                             t0: dt.datetime) -> None:
    """Only finished jobs whose expiry is strictly past, soonest expired first."""
    ago = [t0 - dt.timedelta(seconds=s) for s in range(4)]
    for job_id, status, expires in [
        ("succeeded-1s", S.SUCCEEDED, ago[1]), ("failed-3s", S.FAILED, ago[3]),
        ("dismissed-2s", S.DISMISSED, ago[2]), ("cancelled-1s", S.CANCELLED, ago[1]),
        ("timed-out-now", S.TIMED_OUT, t0), ("succeeded-later", S.SUCCEEDED, t0 + dt.timedelta(seconds=1)),
        ("running-1s", S.RUNNING, ago[1]), ("submitted-1s", S.SUBMITTED, ago[1]),
        ("failed-never", S.FAILED, None),
    ]:
        job_store.create(make_job(id=job_id, status=status, expires=expires))
    assert job_store.expired(t0) == ["failed-3s", "dismissed-2s", "cancelled-1s",
                                     "succeeded-1s"]


def test_job_store_delete_removes_job_and_messages(job_store: JobStore, make_job: MakeJob,
                                                   t0: dt.datetime) -> None:
    """After delete neither the job nor its messages exist; other jobs are untouched."""
    gone, kept = make_job(), make_job()
    for job in (gone, kept):
        job_store.create(job)
        job_store.add_messages(job.id, [Message(t0, MessageLevel.INFO, job.id)])
    job_store.delete(gone.id)
    with pytest.raises(NoSuchJob):
        job_store.get(gone.id)
    with pytest.raises(NoSuchJob):
        job_store.messages(gone.id)
    assert job_store.get(kept.id) == kept
    assert [m.text for m in job_store.messages(kept.id)] == [kept.id]
    assert job_store.list() == ([kept], 1)


def test_job_store_delete_unknown_job_is_a_no_op(job_store: JobStore) -> None:
    """Deleting twice (clean-up racing a dismissal) is not an error."""
    job_store.delete("gone")


def test_job_store_deleted_id_can_be_reused(job_store: JobStore, make_job: MakeJob,
                                            t0: dt.datetime) -> None:
    """A new job under a deleted job's id starts with no messages of the old one."""
    job = make_job()
    job_store.create(job)
    job_store.add_messages(job.id, [Message(t0, MessageLevel.INFO, "old")])
    job_store.delete(job.id)
    job_store.create(job)
    assert job_store.messages(job.id) == []


# -- values round trip --------------------------------------------------------------------

def test_job_store_times_round_trip_as_utc(job_store: JobStore, make_job: MakeJob) -> None:
    """Times in any zone come back as the same instant, in UTC, to the microsecond."""
    zone = dt.timezone(dt.timedelta(hours=-9, minutes=-30))
    when = dt.datetime(2026, 7, 8, 23, 59, 58, 987654, tzinfo=zone)
    job = make_job(created=when, updated=when, started=when, finished=when, expires=when)
    job_store.create(job)
    job_store.add_messages(job.id, [Message(when, MessageLevel.INFO, "hi")])
    got = job_store.get(job.id)
    times = [got.created, got.updated, got.started, got.finished, got.expires,
             job_store.messages(job.id)[0].time]
    assert times == [when] * 6
    assert {time.utcoffset() for time in times} == {dt.timedelta(0)}
    assert {time.microsecond for time in times} == {987654}


def test_job_store_naive_times_are_refused(job_store: JobStore, make_job: MakeJob) -> None:
    """A time without a zone is ambiguous, so no store accepts one."""
    naive = dt.datetime(2026, 1, 1, 12, 0)
    with pytest.raises(ValueError, match="no time zone"):
        job_store.create(make_job(created=naive))
    with pytest.raises(ValueError, match="no time zone"):
        job_store.claim_next(naive)


def test_job_store_options_round_trip(job_store: JobStore, make_job: MakeJob) -> None:
    """Execution options, nested JSON and non-ASCII text included, come back equal."""
    options = ExecutionOptions(
        mode=Mode.ASYNC, response="document", strict=True, keep=True,
        outputs={"buffered": OutputRequest(Transmission.REFERENCE,
                                           OutputFormat("application/geo+json")),
                 "kept": OutputRequest(register_as=LayerRegistration(
                     "kept-layer", title="Kīlauea", ttl=dt.timedelta(hours=3)))},
        hints={"f": "pjson", "values": [1, 2.5, None, True, "Kīlauea"], "esri": {"z": False}})
    job = make_job(options=options)
    job_store.create(job)
    assert job_store.get(job.id).options == options


def test_job_store_options_come_back_as_json_values(job_store: JobStore,
                                                    make_job: MakeJob) -> None:
    """Every store turns options into JSON values, so tuples come back as lists."""
    job = make_job(options=ExecutionOptions(hints={"bbox": (1, 2, 3, 4)}))
    job_store.create(job)
    assert job_store.get(job.id).options.hints == {"bbox": [1, 2, 3, 4]}


def test_job_store_returned_options_are_not_shared(job_store: JobStore,
                                                   make_job: MakeJob) -> None:
    """Changing a returned job's options cannot change the stored job."""
    job = make_job(options=ExecutionOptions(hints={"f": "json"}))
    job_store.create(job)
    job_store.get(job.id).options.hints["f"] = "html"  # type: ignore[index]
    assert job_store.get(job.id).options.hints == {"f": "json"}


# -- concurrency --------------------------------------------------------------------------

def test_job_store_concurrent_writers_all_succeed(
        job_store: JobStore, make_job: MakeJob, t0: dt.datetime,
        run_together: RunTogether) -> None:
    """Threads creating, updating and reporting at once never fail (no 'database is locked')."""
    jobs = [make_job(status=S.RUNNING) for _ in range(THREADS)]

    def work(i: int) -> None:
        job = jobs[i]
        job_store.create(job)
        for step in range(3):
            job_store.add_messages(job.id, [Message(t0, MessageLevel.INFO, f"step {step}")])
            job_store.set_progress(job.id, step * 20, None, t0)
            job_store.list(statuses=[S.RUNNING], limit=5)
        assert job_store.update(job.apply(JobEvent.SUCCEED, t0), expected=S.RUNNING)

    run_together(THREADS, work)
    for job in jobs:
        assert job_store.get(job.id).status is S.SUCCEEDED
        assert len(job_store.messages(job.id)) == 3
