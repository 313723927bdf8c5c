"""Processes that try to reach what is not theirs, to prove the worker sandbox stops them.

Loaded by workers through ``process_modules``. Each attempt that the sandbox
stops ends as the errno name it met, so a test can tell "refused" from "the
path was wrong"; an attempt that works returns what it got.
"""

from __future__ import annotations

import errno
import importlib
import os
import socket
import tempfile
import time
from collections.abc import Callable

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Output


def _read(target: str, port: int) -> str:
    with open(target, "rb") as handle:
        return repr(handle.read(200))


def _list(target: str, port: int) -> str:
    return repr(os.listdir(target))


def _write(target: str, port: int) -> str:
    with open(target, "wb") as handle:
        handle.write(b"planted by a job")
    return f"wrote {target}"


def _connect(target: str, port: int) -> str:
    with socket.create_connection((target or "127.0.0.1", port), timeout=3) as conn:
        return f"connected to {conn.getpeername()}"


def _signal(target: str, port: int) -> str:
    os.kill(int(target), 0)
    return f"may signal process {target}"


ACTIONS: dict[str, Callable[[str, int], str]] = {
    "read": _read, "list": _list, "write": _write, "connect": _connect, "signal": _signal}


@process("try_access", title="Try access", category="Test",
         outputs={"errno": Output(str), "detail": Output(str)})
def try_access(ctx: Context, action: str, target: str = "", port: int = 0) -> dict[str, str]:
    """Try one thing; the errno name it met ('' if it worked) and what happened."""
    try:
        detail = ACTIONS[action](target, port)
    except OSError as exc:
        return {"errno": errno.errorcode.get(exc.errno or 0, str(exc.errno)), "detail": str(exc)}
    return {"errno": "", "detail": detail}


@process("hold_secret", title="Hold a secret", category="Test")
def hold_secret(ctx: Context, seconds: float = 10.0) -> str:
    """Write a file into this job's scratch folder, say where, and wait (or until cancelled)."""
    path = os.path.join(str(ctx.workdir), "secret.txt")
    with open(path, "w") as handle:
        handle.write("another job's intermediate result")
    ctx.message(f"{os.getpid()} {path}")
    began = time.monotonic()
    while time.monotonic() - began < seconds and not ctx.cancelled:
        time.sleep(0.02)
    return "held"


@process("lazy_import", title="Lazy import", category="Test")
def lazy_import(ctx: Context, module: str) -> str:
    """Import ``module`` now, inside the job (after the worker confined itself)."""
    return str(importlib.import_module(module).__file__)


@process("temp_file", title="Temporary file", category="Test")
def temp_file(ctx: Context) -> str:
    """Create a temporary file the usual way; where it went."""
    with tempfile.NamedTemporaryFile(delete=False) as handle:
        handle.write(b"scratch")
    return handle.name
