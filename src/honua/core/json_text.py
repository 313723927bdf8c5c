"""Values still as JSON text, and the members of a JSON object found without decoding it.

A large input (a GeoJSON of a million vertices) costs hundreds of megabytes as
Python objects. The front process need not build them: it hands the text to
the worker, which decodes, binds and checks it under the job's limits, and
the worker hands back its outputs as the neutral JSON it already wrote, which
the front answers with as it is. ``JSONText`` is such a value on its way;
``members`` splits an object into its members' text with vectorised scans
(no Python object per coordinate), so the small members can be decoded as
usual and the large ones left as text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson

from honua.errors import InvalidParameter

__all__ = ["JSONText", "has_text", "members"]


@dataclass(frozen=True, eq=False)
class JSONText:
    """One value as JSON text, decoded where the job runs (``codec.decode``)."""

    data: bytes

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"JSONText({len(self.data):,} bytes)"


def has_text(values: object) -> bool:
    """Whether any value of a mapping of bound values is still ``JSONText``."""
    items = values.values() if isinstance(values, dict) else ()
    return any(isinstance(v, JSONText) or (isinstance(v, list)
                                           and any(isinstance(x, JSONText) for x in v))
               for v in items)


_STRUCTURE = np.zeros(256, dtype=bool)
_STRUCTURE[list(b'{}[]",:')] = True
_QUOTE, _COMMA, _COLON = ord('"'), ord(","), ord(":")


def members(raw: bytes, what: str = "the request body") -> dict[str, bytes]:
    """The members of the JSON object ``raw``, each value's text (not decoded).

    Escaped backslashes and quotes are blanked (same length, so positions hold); a
    structural byte is inside a string when an odd number of quotes precede it. Only the
    structure is checked here -- each value's text is checked by whoever decodes it.
    """
    text = raw.strip()
    if not text.startswith(b"{") or not text.endswith(b"}"):
        raise InvalidParameter(f"{what} must be a JSON object")
    blanked = text.replace(b"\\\\", b"  ").replace(b'\\"', b"  ")
    codes = np.frombuffer(blanked, dtype=np.uint8)
    where = np.flatnonzero(_STRUCTURE[codes])
    kinds = codes[where]
    del codes, blanked
    quotes = kinds == _QUOTE
    outside = (np.cumsum(quotes) & 1) == 0
    outside &= ~quotes
    where, kinds = where[outside], kinds[outside]
    opens = (kinds == ord("{")) | (kinds == ord("["))
    closes = (kinds == ord("}")) | (kinds == ord("]"))
    depth = np.cumsum(opens.astype(np.int32) - closes.astype(np.int32))
    # at depth 1 (inside the outer braces): the colons and commas between members
    level = depth - opens  # depth before an opening bracket, after a closing one
    top = (level == 1) & ((kinds == _COMMA) | (kinds == _COLON))
    if depth[-1] != 0 or (depth[:-1] <= 0).any():
        raise InvalidParameter(f"{what} is not valid JSON (unbalanced brackets)")
    found: dict[str, bytes] = {}
    start = 1
    key: str | None = None
    for position, kind in zip(where[top].tolist(), kinds[top].tolist(), strict=True):
        if kind == _COLON and key is None:
            key = _key(text[start:position], what)
            start = position + 1
        elif kind == _COMMA and key is not None:
            found[key] = text[start:position].strip()
            key, start = None, position + 1
        else:
            raise InvalidParameter(f"{what} is not valid JSON (near byte {position})")
    if key is not None:
        found[key] = text[start:len(text) - 1].strip()
    elif text[start:len(text) - 1].strip():
        raise InvalidParameter(f"{what} is not valid JSON (a member without a value)")
    return found


def _key(text: bytes, what: str) -> str:
    try:
        key = orjson.loads(text)
    except orjson.JSONDecodeError:
        key = None
    if not isinstance(key, str):
        raise InvalidParameter(f"{what} is not valid JSON (a member name is not a string)")
    return key
