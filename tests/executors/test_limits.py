"""Per-job OS limits: lowered for the job, restored after; the worker user."""

from __future__ import annotations

import math
import os
import pwd
import resource

import pytest

from honua.core.execution import RunLimits
from honua.executors import limits

GENEROUS = RunLimits(timeout_seconds=60, memory_mb=64 * 1024, cpu_seconds=3600,
                     max_processes=5_000, max_file_mb=64 * 1024)
"""Limits this test process can live under for a moment."""
_RESOURCES = (resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_NPROC,
              resource.RLIMIT_FSIZE)


def test_apply_lowers_soft_limits_and_restore_puts_them_back() -> None:
    """Soft limits take the job's values; hard limits never move; restore undoes it all."""
    before = {res: resource.getrlimit(res) for res in _RESOURCES}
    restore = limits.apply(GENEROUS)
    try:
        assert resource.getrlimit(resource.RLIMIT_AS)[0] == 64 * 1024 * limits.MIB
        assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] == 64 * 1024 * limits.MIB
        assert resource.getrlimit(resource.RLIMIT_NPROC)[0] == 5_000
        assert {res: resource.getrlimit(res)[1] for res in _RESOURCES} == {
            res: hard for res, (_, hard) in before.items()}
    finally:
        restore()
    assert {res: resource.getrlimit(res) for res in _RESOURCES} == before


def test_apply_counts_cpu_from_what_the_process_used_already() -> None:
    """RLIMIT_CPU is cumulative, so the job's budget is added to the CPU time used so far."""
    used = limits.cpu_seconds_used()
    restore = limits.apply(GENEROUS)
    try:
        soft = resource.getrlimit(resource.RLIMIT_CPU)[0]
    finally:
        restore()
    assert math.ceil(used + 3600) <= soft <= math.ceil(limits.cpu_seconds_used() + 3600)


def test_apply_treats_zero_as_no_limit() -> None:
    """A limit of 0 leaves that resource alone."""
    before = resource.getrlimit(resource.RLIMIT_AS)
    restore = limits.apply(RunLimits(60, 0, 0, 0, 0))
    try:
        assert resource.getrlimit(resource.RLIMIT_AS) == before
    finally:
        restore()


def test_worker_ids_stay_when_user_empty() -> None:
    """An empty worker_user means the workers keep the server's user."""
    assert limits.worker_ids("") is None


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches user")
def test_worker_ids_of_nobody_as_root() -> None:
    """Root switches to the named user."""
    entry = pwd.getpwnam("nobody")
    assert limits.worker_ids("nobody") == (entry.pw_uid, entry.pw_gid)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root looks the user up")
def test_worker_ids_of_unknown_user_raises() -> None:
    """A misconfigured worker_user is an error that names it."""
    with pytest.raises(ValueError, match="no-such-honua-user"):
        limits.worker_ids("no-such-honua-user")


def test_slot_users_are_one_uid_per_slot_when_a_base_is_set() -> None:
    assert limits.slot_user("nobody", 0, 3) == "nobody"
    assert limits.slot_user("nobody", 60000, 3) == "#60003"
    for base, slot in ((60000, 5600), (100, 0)):
        with pytest.raises(ValueError, match="worker_uid_base"):
            limits.slot_user("nobody", base, slot)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches user")
def test_worker_ids_of_a_bare_uid_as_root() -> None:
    assert limits.worker_ids("#60003") == (60003, 60003)
