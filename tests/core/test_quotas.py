"""The stored-bytes quota: refused once a tenant keeps its quota, per tenant, freed by removal."""

import pytest

from honua.core.quotas import check_stored_quota
from honua.errors import OverQuota
from honua.settings import Settings
from honua.store.memory import MemoryUsageLedger

MB = 1 << 20


def test_stored_quota_refuses_only_the_tenant_at_its_limit():
    usage, settings = MemoryUsageLedger(), Settings(quota_stored_mb=1.0)
    usage.add("uploads/a/", "t1", MB // 2)
    check_stored_quota(usage, settings, "t1")
    usage.add("jobs/j1/outputs.json", "t1", MB // 2)
    with pytest.raises(OverQuota, match="stored quota is 1 MB") as refused:
        check_stored_quota(usage, settings, "t1")
    assert refused.value.retry_after > 0
    check_stored_quota(usage, settings, "t2")
    usage.remove_prefix("jobs/j1/")
    check_stored_quota(usage, settings, "t1")


def test_no_stored_quota_by_default():
    usage = MemoryUsageLedger()
    usage.add("uploads/a/", "t1", 10**12)
    check_stored_quota(usage, Settings(), "t1")
    check_stored_quota(None, Settings(quota_stored_mb=1.0), "t1")
