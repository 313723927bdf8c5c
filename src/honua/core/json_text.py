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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import orjson

from honua.errors import InvalidParameter

__all__ = ["JSONText", "as_fragment", "feature_texts", "has_text", "members"]


@dataclass(frozen=True, eq=False)
class JSONText:
    """One value as JSON text, decoded where the job runs (``codec.decode``)."""

    data: bytes

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"JSONText({len(self.data):,} bytes)"


def as_fragment(value: object) -> orjson.Fragment:
    """``orjson``'s ``default`` for values that may hold ``JSONText``: written as it is."""
    if isinstance(value, JSONText):
        return orjson.Fragment(value.data)
    raise TypeError(f"{type(value).__name__} is not JSON")


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


@dataclass
class _Cursor:
    """Where a scan of a FeatureCollection's text stands (``feature_texts``)."""

    inside: bool = False
    depth: int = 0
    state: str = "key"
    """``key`` (before a member's colon), ``value`` (in a member other than the features),
    ``open`` (before the features' ``[``), ``array`` (in it), ``after`` (past its ``]``)."""
    start: int = 1
    """Where the member or feature being read starts (document offset)."""
    key: str = ""
    scanned: int = 0
    """How much of the text held is scanned already (a trailing escape waits)."""


def feature_texts(chunks: Iterable[bytes], head: dict[str, bytes] | None = None,
                  what: str = "the stored features") -> Iterator[bytes]:
    """The text of each feature of the GeoJSON FeatureCollection read as ``chunks``, one
    by one, never the whole document in memory (at most a chunk and the feature being
    read); the collection's other members (``type``, ``crs``...) go into ``head``, text
    by name, as they are met (a ``crs`` written after the features is there at the end).

    Scanned as ``members`` does, with the string and depth state carried from chunk to
    chunk; a run of backslashes is kept with the byte it escapes.
    """
    buffer = bytearray()
    base = 0  # the document offset of buffer[0]
    cursor = _Cursor()
    first = True
    for chunk in chunks:
        if first:
            chunk = chunk.lstrip()
            if not chunk:
                continue
            if not chunk.startswith(b"{"):
                raise InvalidParameter(f"{what} are not a JSON object")
            first = False
        buffer += chunk
        scanned = len(buffer)
        while scanned > 0 and buffer[scanned - 1] == 0x5C:  # an escape waits for its byte
            scanned -= 1
        yield from _advance(buffer, base, cursor.scanned, scanned, cursor, head, what)
        keep = min(cursor.start - base, scanned)
        del buffer[:keep]
        base += keep
        cursor.scanned = scanned - keep
    if first or cursor.state != "done":
        raise InvalidParameter(f"{what} are not a complete GeoJSON FeatureCollection")


def _advance(buffer: bytearray, base: int, done: int, scanned: int, cursor: _Cursor,
             head: dict[str, bytes] | None, what: str) -> Iterator[bytes]:
    """The features completed in ``buffer[done:scanned]``; moves ``cursor`` on."""
    if scanned <= done:
        return
    text = bytes(buffer[done:scanned])
    codes = np.frombuffer(text.replace(b"\\\\", b"  ").replace(b'\\"', b"  "), dtype=np.uint8)
    where = np.flatnonzero(_STRUCTURE[codes])
    kinds = codes[where]
    del codes
    quotes = kinds == _QUOTE
    parity = np.cumsum(quotes, dtype=np.int64) & 1
    outside = (parity == 0) if not cursor.inside else (parity == 1)
    cursor.inside = bool(parity[-1] ^ cursor.inside) if len(parity) else cursor.inside
    outside &= ~quotes
    where, kinds = where[outside], kinds[outside]
    opens = (kinds == ord("{")) | (kinds == ord("["))
    closes = (kinds == ord("}")) | (kinds == ord("]"))
    levels = cursor.depth + np.cumsum(opens.astype(np.int64) - closes.astype(np.int64))
    if len(levels) and (levels < 0).any():
        raise InvalidParameter(f"{what} are not valid JSON (unbalanced brackets)")
    outer = levels - opens  # the depth of the container each byte sits in
    near = (outer <= 1) | ((outer == 2) & (kinds == _COMMA))  # inside a feature: skipped
    cursor.depth = int(levels[-1]) if len(levels) else cursor.depth
    offset = base + done
    for position, kind, depth in zip((where[near] + offset).tolist(), kinds[near].tolist(),
                                     outer[near].tolist(), strict=True):
        if depth == 2:  # a comma between two features, or inside another member's value
            if cursor.state == "array":
                yield bytes(buffer[cursor.start - base:position - base]).strip()
                cursor.start = position + 1
            continue
        yield from _event(buffer, base, position, kind, depth, cursor, head, what)


def _event(buffer: bytearray, base: int, position: int, kind: int, depth: int,
           cursor: _Cursor, head: dict[str, bytes] | None, what: str) -> Iterator[bytes]:
    def text() -> bytes:
        return bytes(buffer[cursor.start - base:position - base]).strip()

    state = cursor.state
    if depth == 0:  # the document's own ``{``, or its ``}`` (nothing may follow)
        if kind == ord("{") and state == "key" and position == 0:
            return
        if kind == ord("}") and state in ("value", "after", "key"):
            if state == "value" and head is not None:
                head[cursor.key] = text()
            cursor.state = "done"
            return
        raise InvalidParameter(f"{what} are not valid JSON (near byte {position})")
    if state == "done":
        raise InvalidParameter(f"{what} are not valid JSON (text after the end)")
    if depth == 1:
        if state == "key" and kind == _COLON:
            cursor.key = _key(text(), what)
            cursor.state = "open" if cursor.key == "features" else "value"
            cursor.start = position + 1
        elif state == "open" and kind == ord("["):
            cursor.state = "array"
            cursor.start = position + 1
        elif state in ("value", "after") and kind == _COMMA:
            if state == "value" and head is not None:
                head[cursor.key] = text()
            cursor.state = "key"
            cursor.start = position + 1
        elif state == "array" and kind == ord("]"):
            last = text()
            if last:
                yield last
            cursor.state = "after"
            cursor.start = position + 1
        elif state not in ("value",) or kind in (_COMMA, _COLON):
            raise InvalidParameter(f"{what} are not valid JSON (near byte {position})")
        return
