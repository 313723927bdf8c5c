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

import orjson

from honua.errors import InvalidParameter

__all__ = ["DEFAULT_MAX_DEPTH", "OFFLOAD_BYTES", "check_depth", "load_json"]

DEFAULT_MAX_DEPTH = 64
OFFLOAD_BYTES = 64 * 1024
"""Bodies larger than this are decoded (JSON, XML, forms) on the thread pool: parsing and
checking them costs more than the hop, and would hold up every other request."""


def load_json(data: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH,
              what: str = "the request body") -> Any:
    """``data`` parsed; InvalidParameter if it is not JSON or nests deeper than ``max_depth``."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"{what} is not valid JSON: {exc}") from None
    raw = data if isinstance(data, bytes) else data.encode()
    opened = raw.count(b"[") + raw.count(b"{")
    if opened > max_depth:  # otherwise it cannot nest that deep
        check_depth(document, max_depth, what)
    return document


def check_depth(document: Any, max_depth: int, what: str = "the request body") -> None:
    """InvalidParameter if arrays/objects in ``document`` nest deeper than ``max_depth``."""
    if not isinstance(document, dict | list):
        return
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth >= max_depth:
                    raise InvalidParameter(
                        f"{what} nests arrays/objects deeper than {max_depth} levels "
                        "(server setting json_max_depth)")
                stack.append((child, depth + 1))
