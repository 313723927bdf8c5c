"""Resource classes as queues: with 20 long-tail jobs queued, a cpu-burst job does not
wait for them -- it runs while almost all of them are still queued (order, not timing)."""

from __future__ import annotations

import pytest

from honua.app import build_services
from honua.core.queues import queues_from_settings
from honua.settings import Settings

LONG = 60.0


@pytest.fixture
def manager(tmp_path):
    services = build_services(Settings(
        data_dir=tmp_path / "data", workers=2,
        process_modules=("tests.plugins.misbehaving", "tests.plugins.queued")))
    services.manager.start()
    yield services.manager
    services.manager.stop()


def test_a_cpu_burst_job_overtakes_twenty_queued_long_tail_jobs(manager):
    tails = [manager.submit("tail_sleep", {"seconds": 0.5}) for _ in range(20)]
    burst = manager.submit("echo", {"text": "now"})
    assert manager.wait(burst.id, LONG).status.value == "succeeded"
    unfinished = [job for job in tails if not manager.get(job.id).status.finished]
    assert len(unfinished) >= 17  # long-tail runs one at a time here: the rest still wait
    for job in tails:
        manager.cancel(job.id)


def test_queue_settings_override_the_defaults_and_refuse_unknown_names():
    queues = queues_from_settings(4, ({"name": "long-tail", "concurrency": 2, "backlog": 5},))
    assert queues["long-tail"].concurrency == 2 and queues["long-tail"].backlog == 5
    assert queues["cpu-burst"].concurrency == 4
    assert queues["cpu-burst"].priority > queues["long-tail"].priority
    with pytest.raises(ValueError, match="not a resource class"):
        queues_from_settings(4, ({"name": "fast"},))
