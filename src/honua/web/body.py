"""Reading request bodies under the configured size limit.

The limit is checked against ``Content-Length`` before anything is read and
again while streaming (a client may lie or send chunks), so an oversized body
is refused without being held in memory. Each adapter turns the error into its
own protocol's format.
"""

from __future__ import annotations

from starlette.requests import Request

from honua.errors import PayloadTooLarge


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is larger than the server's limit of {limit / 1048576:g} MB; "
        "send large inputs as an upload or a layer reference instead")


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def public_base(request: Request, configured: str) -> str:
    """The server's public root URL, without a trailing slash."""
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/")
