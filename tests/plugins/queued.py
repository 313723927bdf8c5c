"""A long-tail process, for the resource-class queue tests."""

import time

from honua import Context, process


@process("tail_sleep", title="Long-tail sleep", category="Test", resource_class="long-tail")
def tail_sleep(ctx: Context, seconds: float = 0.5) -> float:
    """Sleep (stopping early when cancelled): stands for a long job of the long-tail queue."""
    began = time.monotonic()
    while time.monotonic() - began < seconds and not ctx.cancelled:
        time.sleep(0.02)
    return time.monotonic() - began
