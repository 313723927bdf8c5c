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


CHUNK_BYTES = 4 * 1024 * 1024
"""Text scanned at a time: the scratch arrays stay a few times this size, whatever the
size of the document (a 150 MB answer would otherwise need a gigabyte of them)."""


def members(raw: bytes, what: str = "the request body") -> dict[str, bytes]:
    """The members of the JSON object ``raw``, each value's text (not decoded).

    Scanned in chunks that never split a run of backslashes from the byte it escapes.
    Escaped backslashes and quotes are blanked (same length, so positions hold); a
    structural byte is inside a string when an odd number of quotes precede it. Only the
    structure is checked here -- each value's text is checked by whoever decodes it.
    """
    text = raw.strip()
    if not text.startswith(b"{") or not text.endswith(b"}"):
        raise InvalidParameter(f"{what} must be a JSON object")
    separators: list[tuple[int, int]] = []
    inside, depth, start = False, 0, 0
    while start < len(text):
        end = min(start + CHUNK_BYTES, len(text))
        while end < len(text) and text[end - 1] == 0x5C:  # keep "\\..." with what it escapes
            end += 1
        inside, depth = _scan(text[start:end], start, len(text) - 1, inside, depth,
                              separators, what)
        start = end
    if depth != 0:
        raise InvalidParameter(f"{what} is not valid JSON (unbalanced brackets)")
    found: dict[str, bytes] = {}
    start = 1
    key: str | None = None
    for position, kind in separators:
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


def _scan(chunk: bytes, offset: int, last: int, inside: bool, depth: int,
          separators: list[tuple[int, int]], what: str) -> tuple[bool, int]:
    """Add the chunk's top-level ``,`` and ``:`` to ``separators``; the string and depth
    state after it."""
    codes = np.frombuffer(chunk.replace(b"\\\\", b"  ").replace(b'\\"', b"  "),
                          dtype=np.uint8)
    where = np.flatnonzero(_STRUCTURE[codes])
    kinds = codes[where]
    del codes
    quotes = kinds == _QUOTE
    parity = np.cumsum(quotes, dtype=np.int64) & 1
    outside = (parity == 0) if not inside else (parity == 1)
    inside = bool(parity[-1] ^ inside) if len(parity) else inside
    outside &= ~quotes
    where, kinds = where[outside], kinds[outside]
    opens = (kinds == ord("{")) | (kinds == ord("["))
    closes = (kinds == ord("}")) | (kinds == ord("]"))
    levels = depth + np.cumsum(opens.astype(np.int64) - closes.astype(np.int64))
    # the outer object closes at the last byte of the text, and nowhere before it
    if ((levels <= 0) & ((where + offset) != last)).any():
        raise InvalidParameter(f"{what} is not valid JSON (unbalanced brackets)")
    before = levels - opens  # the depth a separator sits at
    top = (before == 1) & ((kinds == _COMMA) | (kinds == _COLON))
    separators.extend(zip((where[top] + offset).tolist(), kinds[top].tolist(), strict=True))
    return inside, int(levels[-1]) if len(levels) else depth


def _key(text: bytes, what: str) -> str:
    try:
        key = orjson.loads(text)
    except orjson.JSONDecodeError:
        key = None
    if not isinstance(key, str):
        raise InvalidParameter(f"{what} is not valid JSON (a member name is not a string)")
    return key
