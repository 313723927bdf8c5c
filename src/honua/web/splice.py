"""Stored results sent as streams: the stored JSON bytes spliced into the answer's document.

A job's big output is kept as JSON text (``core.stored_outputs``); a face that wraps it
(OGC API's ``{"out": {"value": ...}}``, WPS's ``<wps:ComplexData>``) builds its document
as usual with a *marker* in the value's place, and ``spliced`` sends the document's bytes
around the stored bytes, which go out chunk by chunk as the store reads them: a 100 MB
result never sits whole (nor as Python objects) in the front's memory, and the bytes are
the ones a whole read would have sent. Where the document escapes text (XML), each chunk
is escaped on the way (``xml_text``, ``cdata_text``), with the few bytes an escape could
span carried over to the next chunk.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping

from starlette.responses import StreamingResponse

from honua.core.stored_outputs import StoredValue

__all__ = ["Escape", "cdata_text", "marker", "spliced", "streamed", "xml_text"]

Escape = Callable[[Iterable[bytes]], Iterator[bytes]]
"""Turns the stored bytes, chunk by chunk, into what the document holds in their place."""


def marker() -> str:
    """A text no stored value and no document holds by chance (it stands for a value)."""
    return f"honua-splice-{secrets.token_hex(16)}"


def spliced(document: bytes, values: Mapping[bytes, StoredValue],
            escape: Escape | None = None) -> Iterator[bytes]:
    """``document``'s bytes with each marker of ``values`` (as it appears in ``document``,
    quotes included for JSON) replaced by that value's stored bytes, read as sent."""
    places = sorted((document.index(mark), mark) for mark in values)
    start = 0
    for position, mark in places:
        if position > start:
            yield document[start:position]
        chunks = values[mark].chunks()
        yield from (escape(chunks) if escape is not None else chunks)
        start = position + len(mark)
    if start < len(document):
        yield document[start:]


def xml_text(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Stored bytes as XML character data (``&``, ``<``, ``>`` escaped as lxml does)."""
    for chunk in chunks:
        yield chunk.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")


def cdata_text(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Stored bytes inside a CDATA section: a ``]]>`` in them (it can only be inside a JSON
    string) ends the section and opens another, even across two chunks."""
    carry = b""
    for chunk in chunks:
        text = (carry + chunk).replace(b"]]>", b"]]]]><![CDATA[>")
        keep = 2 if text.endswith(b"]]") else 1 if text.endswith(b"]") else 0
        carry = text[len(text) - keep:] if keep else b""
        if len(text) > keep:
            yield text[:len(text) - keep]
    if carry:
        yield carry


def streamed(chunks: Iterator[bytes], media_type: str, length: int | None = None,
             headers: Mapping[str, str] | None = None) -> StreamingResponse:
    """A response sending ``chunks`` as they come (read on a worker thread, never on the
    event loop); ``length``, when known, becomes its ``Content-Length``."""
    sent = dict(headers or {})
    if length is not None:
        sent["Content-Length"] = str(length)
    return StreamingResponse(chunks, media_type=media_type, headers=sent)
