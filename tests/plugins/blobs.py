"""A process whose one output is a file of a size the caller picks: big results for the
signed-URL tests (``tests/adapters/test_signed_results.py``).

Loaded by the server and its workers through ``process_modules=("tests.plugins.blobs",)``.
"""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input, Output
from honua.core.values import File

_PATTERN = bytes(range(251))  # a prime length: no part repeats at a power-of-two offset


def blob(size: int) -> bytes:
    """The bytes ``make_blob`` returns for ``size``, for the tests to compare with."""
    return (_PATTERN * (size // len(_PATTERN) + 1))[:size]


@process("make_blob", title="Make a file", category="Test", outputs={"blob": Output(File)})
def make_blob(ctx: Context, size: Annotated[int, Input(title="Bytes")] = 1000) -> dict:
    """A binary file of ``size`` bytes."""
    return {"blob": File(name="blob.bin", media_type="application/x-honua-blob",
                         data=blob(size))}
