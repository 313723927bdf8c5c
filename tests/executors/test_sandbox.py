"""A plugin in a worker cannot reach what is not its own; the pool carries on.

One real two-worker pool, started the way the server starts it, next to a real
job store, artifact store and upload folder in its data directory. Each
hostile attempt must meet an OSError (EACCES, ENOENT, EROFS, ENETUNREACH,
EPERM), and a normal job must succeed after it in the same pool. Nothing here
skips: on a machine where the sandbox is missing, the tests fail and say why.
"""

from __future__ import annotations

import os
import pwd
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from honua.core.execution import OutcomeStatus
from honua.core.jobs import Job
from honua.executors.pool import LocalPool
from honua.settings import Settings
from honua.store import open_artifact_store, open_job_store
from honua.store.uploads import UploadStore
from tests.executors.conftest import MODULES, item
from tests.executors.recorder import Recorder

SNOOPING = (*MODULES, "tests.plugins.snooping")
REFUSED = {"EACCES", "EPERM", "ENOENT", "EROFS", "ENETUNREACH"}


class Site:
    """The pool and the server's files it must keep from its jobs."""

    def __init__(self, settings: Settings, pool: LocalPool) -> None:
        self.settings = settings
        self.pool = pool
        data = settings.data_dir
        self.database = data / "honua.db"
        self.artifact = settings.resolved_artifacts_dir / "job-of-someone-else" / "result.json"
        self.uploads = data / "uploads"
        self.upload_files = sorted(p for p in self.uploads.rglob("*") if p.is_file())

    def attempt(self, recorder: Recorder, action: str, target: str = "", port: int = 0) -> dict:
        work = item("try_access", action=action, target=target, port=port)
        self.pool.submit(work, recorder)
        outcome = recorder.outcome(work.job_id)
        assert outcome.status is OutcomeStatus.SUCCEEDED, outcome.error
        return outcome.outputs

    def still_works(self, recorder: Recorder) -> None:
        after = item("echo", text="after")
        self.pool.submit(after, recorder)
        assert recorder.outcome(after.job_id).outputs == {"result": "after"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("sandbox")
    settings = Settings(data_dir=root / "data", workers=2, worker_max_jobs=100,
                        process_modules=SNOOPING)
    settings.data_dir.mkdir()
    store = open_job_store(settings)
    store.create(Job(id="job-of-someone-else", process_id="buffer"))
    open_artifact_store(settings).put("job-of-someone-else/result.json", b'{"secret": 1}')
    UploadStore.from_settings(settings).add(b'{"type": "FeatureCollection", "features": []}',
                                            "private.geojson", owner="someone")
    try:
        with LocalPool(settings) as pool:
            yield Site(settings, pool)
    finally:
        store.close()


def test_sandbox_is_complete_on_this_machine(site: Site) -> None:
    """Every layer is in place (mount and network namespaces or Landlock, unprivileged user)."""
    report = site.pool.sandbox
    assert report.missing == (), report.warning()
    assert report.layers


def test_sandbox_workers_run_as_nobody(site: Site, recorder: Recorder) -> None:
    """Started by root, jobs run as 'nobody' (Python lives under a mode-700 /root here)."""
    work = item("identify")
    site.pool.submit(work, recorder)
    uid = recorder.outcome(work.job_id).outputs["uid"]
    assert uid == (pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.geteuid())


@pytest.mark.parametrize("target", ["/etc/shadow", "database", "artifact", "upload"])
def test_sandbox_refuses_to_read_what_is_not_the_jobs(site: Site, recorder: Recorder,
                                                      target: str) -> None:
    """/etc/shadow, the job store, another job's artifact and an upload cannot be read."""
    path = {"/etc/shadow": Path("/etc/shadow"), "database": site.database,
            "artifact": site.artifact, "upload": site.upload_files[0]}[target]
    assert path.is_file()  # the server itself can read it
    got = site.attempt(recorder, "read", str(path))
    assert got["errno"] in REFUSED, got
    site.still_works(recorder)


@pytest.mark.parametrize("folder", ["uploads", "data", "artifacts"])
def test_sandbox_refuses_to_list_the_servers_folders(site: Site, recorder: Recorder,
                                                     folder: str) -> None:
    """The upload folder, the data folder and the artifact folder cannot be listed."""
    path = {"uploads": site.uploads, "data": site.settings.data_dir,
            "artifacts": site.settings.resolved_artifacts_dir}[folder]
    assert os.listdir(path)
    got = site.attempt(recorder, "list", str(path))
    assert got["errno"] in REFUSED, got
    site.still_works(recorder)


@pytest.mark.parametrize("target", ["/tmp/planted", "/var/tmp/planted", "/dev/shm/planted",
                                    "data/planted", "cwd/planted", "python/planted"])
def test_sandbox_refuses_to_write_outside_the_scratch_folder(site: Site, recorder: Recorder,
                                                             target: str) -> None:
    """World-writable temporary folders, the data folder, the server's folder and Python's
    own are all closed to the job; nothing appears there."""
    folder, name = target.rsplit("/", 1)
    path = {"data": site.settings.data_dir, "cwd": Path.cwd(),
            "python": Path(sys.base_prefix)}.get(folder, Path(folder)) / name
    got = site.attempt(recorder, "write", str(path))
    assert got["errno"] in REFUSED, got
    assert not path.exists()
    site.still_works(recorder)


def test_sandbox_has_no_network(site: Site, recorder: Recorder) -> None:
    """A connection to a port listening on 127.0.0.1 fails inside the job."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        got = site.attempt(recorder, "connect", "127.0.0.1", port)
    assert got["errno"] in REFUSED, got
    site.still_works(recorder)


def test_sandbox_keeps_jobs_apart(site: Site, recorder: Recorder) -> None:
    """A job cannot read, list or signal the worker of another job that is running."""
    holder = item("hold_secret", seconds=10.0)
    site.pool.submit(holder, recorder)
    pid, secret = recorder.wait_for(holder.job_id, "message")[1].split(" ", 1)
    assert Path(secret).is_file()
    attempts = [("read", secret), ("list", str(Path(secret).parent)), ("signal", pid)]
    try:
        for action, target in attempts:
            got = site.attempt(recorder, action, target)
            assert got["errno"] in REFUSED, (action, got)
    finally:
        site.pool.cancel(holder.job_id)
    assert recorder.outcome(holder.job_id).status is not OutcomeStatus.FAILED
    site.still_works(recorder)


@pytest.mark.parametrize("module", ["colorsys", "email.mime.audio", "xml.dom.pulldom"])
def test_sandbox_leaves_python_importable(site: Site, recorder: Recorder, module: str) -> None:
    """A module first imported inside the job (after the worker confined itself) loads."""
    work = item("lazy_import", module=module)
    site.pool.submit(work, recorder)
    outcome = recorder.outcome(work.job_id)
    assert outcome.status is OutcomeStatus.SUCCEEDED, outcome.error
    assert outcome.outputs["result"].startswith(os.path.realpath(sys.base_prefix))


def test_sandbox_temporary_files_go_to_the_scratch_folder(site: Site,
                                                          recorder: Recorder) -> None:
    """``tempfile`` works in a job, inside the worker's own scratch folder."""
    work = item("temp_file")
    site.pool.submit(work, recorder)
    outcome = recorder.outcome(work.job_id)
    assert outcome.status is OutcomeStatus.SUCCEEDED, outcome.error
    assert Path(outcome.outputs["result"]).parent.name.startswith("honua-worker-")
