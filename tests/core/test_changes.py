"""Waiting without polling: a change recorded in one process wakes the waiters of every
front process (Unix datagrams on one machine, LISTEN/NOTIFY on PostgreSQL), and
``JobManager.wait_for_change`` returns a job as soon as its record moved."""

from __future__ import annotations

import threading

import pytest

from honua.core.changes import LocalChanges
from honua.store.notify_local import SocketChanges
from honua.store.notify_pg import PostgresChanges
from tests.support import postgres

LONG = 30.0  # a wait that only a notification ends early; the tests never sit it out


def _woken_by_other(sender, receiver) -> None:
    seen = receiver.count("job-1")
    got: list[int] = []
    waiter = threading.Thread(target=lambda: got.append(receiver.wait("job-1", seen, LONG)))
    waiter.start()
    while receiver.count("job-1") == seen and waiter.is_alive():
        sender.notify("job-1")
        waiter.join(0.2)
    waiter.join(LONG)
    assert got and got[0] > seen
    assert receiver.count("other-job") == 0  # only the job that changed


def test_local_changes_wake_a_waiter_of_that_job():
    changes = LocalChanges()
    _woken_by_other(changes, changes)


def test_a_change_in_one_process_wakes_the_waiters_of_another(tmp_path):
    one, two = SocketChanges(tmp_path / "changes"), SocketChanges(tmp_path / "changes")
    try:
        _woken_by_other(one, two)
        _woken_by_other(two, one)
    finally:
        one.close()
        two.close()


def test_the_address_of_an_ended_process_is_forgotten(tmp_path):
    folder = tmp_path / "changes"
    gone = SocketChanges(folder)
    gone.close()
    (folder / gone.name).touch()  # as if the process had been killed before closing
    live = SocketChanges(folder)
    try:
        live.notify("job-1")
        assert not (folder / gone.name).exists()
    finally:
        live.close()


def test_postgres_notifications_reach_another_connection():
    with postgres.fresh_database() as name:
        one, two = PostgresChanges(postgres.url(name)), PostgresChanges(postgres.url(name))
        try:
            _woken_by_other(one, two)
        finally:
            one.close()
            two.close()


@pytest.fixture
def manager(tmp_path):
    from honua.app import build_services
    from honua.settings import Settings

    services = build_services(Settings(data_dir=tmp_path / "data", workers=1,
                                       process_modules=("tests.plugins.misbehaving",)))
    services.manager.start()
    yield services.manager
    services.manager.stop()


def test_wait_for_change_follows_a_job_to_its_end(manager):
    job = manager.submit("sleepy", {"seconds": 1.0})
    first = manager.wait_for_change(job.id, None, LONG)
    assert first.id == job.id  # no "since": the job as it is, at once
    seen = [first]
    while not seen[-1].status.finished:
        moved = manager.wait_for_change(job.id, seen[-1], LONG)
        assert moved != seen[-1] or moved.status.finished
        seen.append(moved)
    assert seen[-1].status.value == "succeeded"
    assert {j.status.value for j in seen} >= {"running", "succeeded"}


def test_a_follower_of_any_job_is_woken_by_every_job_and_one_job_only_by_its_own():
    import asyncio

    from honua.core.changes import ANY_JOB, JobChanges

    async def scenario() -> tuple[bool, bool, bool]:
        changes = JobChanges()
        anything = asyncio.create_task(changes.wait(ANY_JOB, LONG))
        mine = asyncio.create_task(changes.wait("job-1", 0.5))
        while changes.followers(ANY_JOB) == 0 or changes.followers("job-1") == 0:
            await asyncio.sleep(0)
        changes.notify("job-2")
        return await anything, await mine, changes.followers(ANY_JOB) == 0

    woken_any, woken_mine, cleared = asyncio.run(scenario())
    assert woken_any and cleared
    assert not woken_mine  # job-1 did not change: it sat out its short wait
