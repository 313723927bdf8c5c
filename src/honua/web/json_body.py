"""JSON from a request, with its nesting bounded, and when to decode it off the event loop.

orjson parses in C and refuses nesting beyond 1024 levels, but what reads the
document afterwards is Python, and Python's recursion limit is 1000: a body
nested 1000 deep would end in a RecursionError (a 500) somewhere downstream.
No honest request nests deep (a GeoJSON FeatureCollection of MultiPolygons
needs 7 levels), so the depth is checked once, here, without recursion, and a
deeper body is a 400. Counting brackets first makes the check free for
almost every body.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from honua.errors import InvalidParameter

__all__ = ["DEFAULT_MAX_DEPTH", "OFFLOAD_BYTES", "TEXT_VALUE_BYTES", "check_depth", "load_json"]

DEFAULT_MAX_DEPTH = 64
OFFLOAD_BYTES = 64 * 1024
"""Bodies larger than this are decoded (JSON, XML, forms) on the thread pool: parsing and
checking them costs more than the hop, and would hold up every other request."""
TEXT_VALUE_BYTES = 256 * 1024
"""An input value of more JSON text than this (some 2,500 GeoJSON points) is not decoded in
the front process: it goes to the worker as text (``core.json_text``), which decodes, binds
and checks it under the job's limits, and answers with its outputs already encoded."""


def load_json(data: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH,
              what: str = "the request body") -> Any:
    """``data`` parsed; InvalidParameter if it is not JSON or nests deeper than ``max_depth``."""
    check_depth(data, max_depth, what)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"{what} is not valid JSON: {exc}") from None


def check_depth(text: bytes | str, max_depth: int, what: str = "the request body") -> None:
    """InvalidParameter if arrays/objects in the JSON ``text`` nest deeper than ``max_depth``.

    Counted on the text, before parsing, with array operations: a 10 MB GeoJSON costs a
    few milliseconds, not a walk over every coordinate pair in Python.
    """
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return  # cannot nest that deep
    if nesting_depth(raw) > max_depth:
        raise InvalidParameter(f"{what} nests arrays/objects deeper than {max_depth} levels "
                               "(server setting json_max_depth)")


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of ``[`` / ``{`` in JSON text, brackets inside strings ignored.

    Escaped backslashes, then escaped quotes, are dropped (what is left of a string's
    escapes cannot end it); every other byte but brackets and quotes is deleted; a bracket
    is inside a string when an odd number of quotes precede it.
    """
    kept = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    codes = np.frombuffer(kept, dtype=np.uint8)
    quotes = codes == _QUOTE
    if quotes.any():  # drop the brackets inside strings, then the quotes
        inside = (np.cumsum(quotes, dtype=np.int64) & 1).astype(bool)
        codes = codes[~(inside | quotes)]
    # "[" 91 and "{" 123 (bit 1 set) open; "]" 93 and "}" 125 (bit 1 clear) close
    steps = (codes & 2).astype(np.int32) - 1
    return int(np.cumsum(steps).max(initial=0))


_QUOTE = ord('"')
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
