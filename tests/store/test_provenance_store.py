"""The provenance ledger in every job store: memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from honua.core.jobs import Job, JobStatus
from honua.core.provenance import ProvenanceRecord
from honua.types import JobStore

T0 = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
INPUTS = {"distance": {"sha256": "ab" * 32, "bytes": 30, "value": {"value": 1, "unit": "m"}}}


def _record(job_id: str, **changes) -> ProvenanceRecord:
    fields = {"job_id": job_id, "process_id": "buffer", "process_version": "1.0.0",
              "owner": "alice", "tenant": "t1", "status": "succeeded", "created": T0,
              "started": T0 + dt.timedelta(seconds=1), "finished": T0 + dt.timedelta(seconds=3),
              "inputs": INPUTS, "outputs": {"result": {"sha256": "cd" * 32, "bytes": 9}},
              "worker": {"host": "h", "pid": 7, "kind": "pool"},
              "software": {"honua": "0.1.0", "geos": "3.12"}}
    return ProvenanceRecord(**{**fields, **changes})


def test_record_round_trips_every_field(job_store: JobStore, make_job: Callable[..., Job]) -> None:
    job = make_job(status=JobStatus.SUCCEEDED)
    job_store.create(job)
    record = _record(job.id, parent="wf-1", layers=("made",), reused_from="old",
                     outputs_asked=("result",), inputs_artifact="jobs/x/provenance-inputs.json")
    job_store.put_provenance(record)
    assert job_store.provenance(job.id) == record
    assert record.queued_seconds == 1.0 and record.run_seconds == 2.0


def test_unknown_job_has_no_record(job_store: JobStore) -> None:
    assert job_store.provenance("nope") is None
    assert job_store.provenance_of_layer("nope") is None
    assert job_store.provenance_children("nope") == []


def test_put_replaces_the_pending_record(job_store: JobStore, make_job) -> None:
    job = make_job()
    job_store.create(job)
    job_store.put_provenance(_record(job.id, status="submitted", outputs={}))
    job_store.put_provenance(_record(job.id))
    assert job_store.provenance(job.id).status == "succeeded"


def test_children_of_a_workflow_oldest_first(job_store: JobStore, make_job) -> None:
    for n, step in enumerate(("b", "a", "c")):
        job = make_job()
        job_store.create(job)
        job_store.put_provenance(_record(job.id, parent="wf", process_id=step,
                                         created=T0 + dt.timedelta(seconds=n)))
    assert [r.process_id for r in job_store.provenance_children("wf")] == ["b", "a", "c"]


def test_cache_lookup_is_per_tenant_and_only_succeeded(job_store: JobStore, make_job) -> None:
    jobs = [make_job() for _ in range(3)]
    for job in jobs:
        job_store.create(job)
    job_store.put_provenance(_record(jobs[0].id))
    job_store.put_provenance(_record(jobs[1].id, tenant="t2"))
    job_store.put_provenance(_record(jobs[2].id, status="failed"))
    key = _record("x").cache_key
    assert [r.job_id for r in job_store.reusable("t1", key)] == [jobs[0].id]
    assert [r.job_id for r in job_store.reusable("t2", key)] == [jobs[1].id]
    assert job_store.reusable("t3", key) == []
    other = _record("x", inputs={"distance": {**INPUTS["distance"], "sha256": "00" * 32}})
    assert job_store.reusable("t1", other.cache_key) == []


def test_layer_link_outlives_the_job(job_store: JobStore, make_job) -> None:
    made, plain = make_job(), make_job()
    for job in (made, plain):
        job_store.create(job)
    job_store.put_provenance(_record(made.id, layers=("roads_buffered",)))
    job_store.put_provenance(_record(plain.id))
    job_store.delete(made.id)
    job_store.delete(plain.id)
    assert job_store.provenance(plain.id) is None
    found = job_store.provenance_of_layer("roads_buffered")
    assert found is not None and found.job_id == made.id
