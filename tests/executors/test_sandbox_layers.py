"""Each sandbox layer on its own, in a forked child, and the settings that choose them.

The pool tests see all layers at once, where the mount namespace answers
first; here Landlock alone (what a developer's laptop gets, without root)
must refuse the same things, and the ``sandbox`` setting must warn or refuse.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from honua.errors import Unavailable
from honua.executors import landlock, namespaces, sandbox
from honua.executors.limits import forbid_new_privileges
from honua.executors.pool import LocalPool
from honua.settings import Settings
from tests.executors.conftest import MODULES, pool_settings


def _in_child(confine: Callable[[], None], attempt: Callable[[], object]) -> int:
    """The errno ``attempt`` meets in a forked child confined by ``confine`` (0: it worked)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover -- the child
        code = 255
        try:
            confine()
            try:
                attempt()
                code = 0
            except OSError as exc:
                code = exc.errno or 254
        finally:
            os.write(write, bytes([code]))
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    data = os.read(read, 1)
    os.close(read)
    return data[0] if data else 255


def _server_files(tmp_path: Path) -> tuple[sandbox.Plan, Path]:
    settings = Settings(data_dir=tmp_path / "data")
    (settings.data_dir / "uploads").mkdir(parents=True)
    secret = settings.data_dir / "uploads" / "secret.geojson"
    secret.write_text("{}")
    workdir = tmp_path / "scratch"
    workdir.mkdir()
    return sandbox.plan(settings, str(workdir)), secret


def test_landlock_is_offered_by_this_kernel() -> None:
    """Linux 5.13+ with Landlock on: ABI 1 or later (ABI 4+ also closes TCP)."""
    assert landlock.abi_version() >= 4


def _landlocked(plan: sandbox.Plan) -> Callable[[], None]:
    def confine() -> None:
        forbid_new_privileges()
        landlock.restrict(landlock.abi_version(), sandbox.rules(plan, sandbox.needed_paths()))
    return confine


def test_landlock_alone_hides_the_data_folder(tmp_path: Path) -> None:
    """Under Landlock only, an upload cannot be read nor its folder listed."""
    plan, secret = _server_files(tmp_path)
    confine = _landlocked(plan)
    assert _in_child(confine, lambda: secret.read_bytes()) == errno.EACCES
    assert _in_child(confine, lambda: os.listdir(secret.parent)) == errno.EACCES
    assert _in_child(lambda: None, lambda: secret.read_bytes()) == 0


def test_landlock_alone_allows_writing_only_the_scratch_folder(tmp_path: Path) -> None:
    """Writing the scratch folder works; writing next to it does not."""
    plan, _ = _server_files(tmp_path)
    confine = _landlocked(plan)
    assert _in_child(confine, lambda: Path(plan.workdir, "ok").write_text("x")) == 0
    assert _in_child(confine, lambda: (tmp_path / "planted").write_text("x")) == errno.EACCES
    assert not (tmp_path / "planted").exists()


def test_landlock_alone_refuses_tcp(tmp_path: Path) -> None:
    """Under Landlock ABI 4+, connecting to a listening 127.0.0.1 port is refused."""
    plan, _ = _server_files(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        connect = lambda: socket.create_connection(("127.0.0.1", port), timeout=2).close()  # noqa: E731
        assert _in_child(lambda: None, connect) == 0
        assert _in_child(_landlocked(plan), connect) == errno.EACCES


def test_landlock_alone_keeps_python_readable(tmp_path: Path) -> None:
    """A standard-library module can still be imported after Landlock."""
    plan, _ = _server_files(tmp_path)
    assert _in_child(_landlocked(plan), lambda: __import__("colorsys")) == 0


def test_mount_namespace_alone_hides_the_data_folder(tmp_path: Path) -> None:
    """In the private mount namespace, as nobody, the data folder is refused and /root
    shows nothing but Python."""
    if os.geteuid() != 0:
        pytest.fail("this machine runs the tests as root; here the mount namespace needs it")
    plan, secret = _server_files(tmp_path)
    os.chown(plan.workdir, 65534, 65534)  # as the pool does for its workers

    def confine() -> None:
        namespaces.isolate_mounts(plan.hidden, sandbox.needed_paths(), plan.workdir)
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)

    assert _in_child(confine, lambda: secret.read_bytes()) in (errno.EACCES, errno.ENOENT)
    assert _in_child(confine, lambda: __import__("colorsys")) == 0
    assert _in_child(confine, lambda: Path(plan.workdir, "ok").write_text("x")) == 0
    assert secret.read_bytes() == b"{}"  # the host's view is unchanged


@pytest.mark.parametrize(("root", "excluded", "expected"), [
    ("/a", [], ["/a"]),
    ("/a", ["/a"], []),
    ("/a", ["/b"], ["/a"]),
    ("/a", ["/ab"], ["/a"]),
])
def test_outside_without_listing(root: str, excluded: list[str], expected: list[str]) -> None:
    """Nothing excluded beneath the root: the root itself; the root excluded: nothing."""
    assert list(namespaces.outside(root, excluded)) == expected


def test_outside_splits_around_what_is_excluded(tmp_path: Path) -> None:
    """Everything but the excluded path and the folders leading to it."""
    for name in ("keep/x", "keep/data/secret", "other"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "file.txt").write_text("")
    (tmp_path / "link").symlink_to(tmp_path / "keep" / "data")
    got = sorted(namespaces.outside(str(tmp_path), [str(tmp_path / "keep" / "data")]))
    assert got == sorted(str(tmp_path / p) for p in ("keep/x", "other", "file.txt"))


def test_pool_off_warns_once_and_still_runs(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    """sandbox = "off": one WARNING at start naming what is missing; jobs run."""
    with caplog.at_level(logging.WARNING, logger="honua.executors"), \
            LocalPool(pool_settings(tmp_path, sandbox="off")) as pool:
        assert pool.sandbox.missing == ('all of it: sandbox = "off"',)
    warnings = [r for r in caplog.records if "JOB SANDBOX INCOMPLETE" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert 'sandbox = "off"' in warnings[0].getMessage()


def test_pool_required_refuses_to_start_without_a_full_sandbox(tmp_path: Path) -> None:
    """sandbox = "required" with workers left as root (worker_user empty): no start."""
    if os.geteuid() != 0:
        pytest.fail("this machine runs the tests as root; only root can keep workers root")
    pool = LocalPool(pool_settings(tmp_path, workers=1, sandbox="required", worker_user=""))
    with pytest.raises(Unavailable, match="an unprivileged user"):
        pool.start()


def test_pool_refuses_an_unknown_sandbox_mode(tmp_path: Path) -> None:
    """A misspelt mode stops the start with the choices named."""
    pool = LocalPool(pool_settings(tmp_path, workers=1, sandbox="strict"))
    with pytest.raises(Unavailable, match="auto, required, off"):
        pool.start()


def test_serve_prints_the_sandbox_warning(tmp_path: Path) -> None:
    """`honua serve` with the sandbox off says so on its output, loudly, at start."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    env = {**os.environ, "HONUA_SANDBOX": "off", "HONUA_WORKERS": "1",
           "HONUA_PROCESS_MODULES": ",".join(MODULES)}
    server = subprocess.Popen(
        [sys.executable, "-m", "honua.cli", "serve", "--port", str(port), "--data-dir",
         str(tmp_path / "data")], env=env, cwd=Path(__file__).parents[2],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.stdout is not None:
            line = server.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "JOB SANDBOX INCOMPLETE" in line or "Application startup complete" in line:
                break
    finally:
        server.terminate()
        server.wait(timeout=20)
    output = "".join(lines)
    assert "WARNING" in output and "JOB SANDBOX INCOMPLETE" in output, output
