"""Run planning: one decision of sync, async or stored for every protocol."""

import pytest

from honua.core.description import ProcessDescription
from honua.core.planning import Plan, plan_run
from honua.core.requests import ExecutionOptions, Mode, OutputRequest, Transmission
from honua.errors import ModeNotAllowed

BOTH, SYNC_ONLY, ASYNC_ONLY = ("sync", "async"), ("sync",), ("async",)
REFERENCE = {"result": OutputRequest(Transmission.REFERENCE)}


def describe(job_control: tuple[str, ...]) -> ProcessDescription:
    return ProcessDescription(id="p", title="P", job_control=job_control)


# job control, mode, strict, keep (stored response asked), by reference -> plan, or the
# mode named by ModeNotAllowed
TABLE = [
    (BOTH, Mode.AUTO, False, False, False, Plan.SYNC),
    (BOTH, Mode.SYNC, True, False, False, Plan.SYNC),
    (BOTH, Mode.ASYNC, True, False, False, Plan.ASYNC),
    (BOTH, Mode.ASYNC, False, False, False, Plan.ASYNC),
    (BOTH, Mode.SYNC, False, True, False, Plan.STORED),
    (BOTH, Mode.AUTO, False, False, True, Plan.STORED),
    (BOTH, Mode.ASYNC, False, False, True, Plan.ASYNC),
    (SYNC_ONLY, Mode.AUTO, False, False, False, Plan.SYNC),
    (SYNC_ONLY, Mode.ASYNC, False, False, False, Plan.SYNC),  # a preference (OGC Prefer)
    (SYNC_ONLY, Mode.ASYNC, True, False, False, "async"),  # insisted on (WPS 2.0, GPServer)
    (SYNC_ONLY, Mode.SYNC, False, True, False, "async"),  # results cannot be kept
    (SYNC_ONLY, Mode.AUTO, False, False, True, "async"),
    (ASYNC_ONLY, Mode.AUTO, False, False, False, Plan.ASYNC),
    (ASYNC_ONLY, Mode.SYNC, False, False, False, Plan.STORED),  # waited for (WPS 1.0.0)
    (ASYNC_ONLY, Mode.SYNC, True, False, False, "sync"),
    (ASYNC_ONLY, Mode.ASYNC, True, False, True, Plan.ASYNC),
]


@pytest.mark.parametrize(("control", "mode", "strict", "keep", "by_reference", "expected"), TABLE)
def test_plan_run_table(control, mode, strict, keep, by_reference, expected):
    options = ExecutionOptions(mode=mode, strict=strict, keep=keep,
                               outputs=REFERENCE if by_reference else {})
    if isinstance(expected, Plan):
        assert plan_run(describe(control), options) is expected
    else:
        with pytest.raises(ModeNotAllowed) as caught:
            plan_run(describe(control), options)
        assert caught.value.mode == expected and caught.value.kind == "mode-not-allowed"


def test_plan_run_refusal_names_the_process():
    with pytest.raises(ModeNotAllowed, match="'p' runs synchronously only"):
        plan_run(describe(SYNC_ONLY), ExecutionOptions(mode=Mode.ASYNC, strict=True))
