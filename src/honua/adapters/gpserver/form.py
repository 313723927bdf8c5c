"""``application/x-www-form-urlencoded`` text -> name/value pairs, fast.

GP requests carry whole feature sets as percent-encoded JSON, where
``urllib.parse.parse_qsl`` spends most of a small request's time decoding one
escape at a time in Python. Percent escapes are quoted-printable escapes with
``%`` for ``=``, so ``binascii.a2b_qp`` (C) decodes them in one call; a part
holding a raw ``=`` or a malformed escape goes the standard way. The result is
the same as ``parse_qsl(text, keep_blank_values=True)``.

>>> parse(b"a=1&env%3AoutSR=3857&q=%7B%22x%22%3A+1%7D&flag")
[('a', '1'), ('env:outSR', '3857'), ('q', '{"x": 1}'), ('flag', '')]
"""

from __future__ import annotations

import binascii
import re
from urllib.parse import unquote_to_bytes

_MALFORMED = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def _unquote(part: bytes) -> str:
    part = part.replace(b"+", b" ")
    if b"%" in part:
        if b"=" in part or _MALFORMED.search(part):
            part = unquote_to_bytes(part)
        else:
            part = binascii.a2b_qp(part.replace(b"%", b"="))
    return part.decode("utf-8", "replace")


def parse(raw: bytes) -> list[tuple[str, str]]:
    """The name/value pairs of a form body or query string, in order."""
    pairs = []
    for pair in raw.split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        pairs.append((_unquote(name), _unquote(value)))
    return pairs
