"""Processes that behave badly on purpose, to prove the worker pool contains them.

Loaded by workers through ``process_modules=("tests.plugins.misbehaving",)``.
Everything is imported at module level: workers import process modules
before switching to the unprivileged worker user, who may not be able to read
the standard library afterwards (e.g. a Python installed under /root).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import time
from typing import Annotated

import numpy as np

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input, Output
from honua.errors import InvalidParameter
from honua.geo.features import FeatureCollection

CHUNK = 64 * 1024 * 1024


@process("echo", title="Echo", category="Test")
def echo(ctx: Context, text: Annotated[str, Input(title="Text")]) -> str:
    """Return the input at once."""
    return text


@process("echo_features", title="Echo features", category="Test")
def echo_features(ctx: Context, features: FeatureCollection) -> FeatureCollection:
    """Return the input features unchanged (a round trip of a large input)."""
    return features


@process("identify", title="Identify", category="Test",
         outputs={"pid": Output(int), "uid": Output(int)})
def identify(ctx: Context) -> dict[str, int]:
    """Which worker process ran this, as which user."""
    return {"pid": os.getpid(), "uid": os.getuid()}


@process("sleepy", title="Sleepy", category="Test")
def sleepy(ctx: Context, seconds: float = 10.0) -> float:
    """Sleep in small steps, reporting progress and stopping early when cancelled."""
    began = time.monotonic()
    ctx.message("going to sleep")
    while (elapsed := time.monotonic() - began) < seconds:
        if ctx.cancelled:
            ctx.message("cancelled, stopping")
            break
        ctx.progress(100 * elapsed / seconds, "sleeping")
        time.sleep(0.02)
    return time.monotonic() - began


@process("fail_clearly", title="Fail clearly", category="Test")
def fail_clearly(ctx: Context, value: int = 0) -> int:
    """Refuse the input with a Honua error, as a well-behaved process does."""
    raise InvalidParameter(f"value {value} is not acceptable: give a positive one",
                           parameter="value")


@process("fail_badly", title="Fail badly", category="Test")
def fail_badly(ctx: Context) -> int:
    """Crash with an ordinary Python exception."""
    return 1 // 0


@process("hog_memory", title="Hog memory", category="Test")
def hog_memory(ctx: Context) -> int:
    """Allocate 64 MB after 64 MB, for ever (address space only: pages are never touched)."""
    chunks = []
    while True:
        chunks.append(np.empty(CHUNK, dtype=np.uint8))


@process("fork_bomb", title="Fork bomb", category="Test")
def fork_bomb(ctx: Context) -> int:
    """Fork without end, ignoring failures; every child does the same."""
    while True:
        with contextlib.suppress(OSError):
            os.fork()


@process("spin", title="Spin", category="Test")
def spin(ctx: Context) -> int:
    """Loop for ever, ignoring cancellation."""
    n = 0
    while True:
        n += 1


@process("segfault", title="Segfault", category="Test")
def segfault(ctx: Context) -> int:
    """Read address 0."""
    return len(ctypes.string_at(0))


@process("abort", title="Abort", category="Test")
def abort(ctx: Context) -> int:
    """Abort the interpreter (SIGABRT)."""
    os.abort()


@process("write_big", title="Write big", category="Test")
def write_big(ctx: Context, megabytes: int = 64) -> int:
    """Write a file of ``megabytes`` MB into the job's scratch directory."""
    assert ctx.workdir is not None
    block = b"\0" * (1024 * 1024)
    with open(ctx.workdir / "big.bin", "wb") as file:
        for _ in range(megabytes):
            file.write(block)
    return megabytes


@process("fork_and_return", title="Fork and return", category="Test")
def fork_and_return(ctx: Context) -> str:
    """Fork; the child returns from the process function as if it were the worker."""
    pid = os.fork()
    if pid == 0:
        return "child"
    _, status = os.waitpid(pid, 0)
    return f"parent; child exit status {os.waitstatus_to_exitcode(status)}"


@process("lazy_stdlib", title="Lazy standard-library import", category="Test")
def lazy_stdlib(ctx: Context) -> str:
    import wave  # imported here on purpose: the worker must be able to read Python itself

    return wave.__name__
