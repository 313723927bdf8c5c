"""Reading request bodies under the configured size limit.

The limit is checked against ``Content-Length`` before anything is read and
again while streaming (a client may lie or send chunks), so an oversized body
is refused without being held in memory. Each adapter turns the error into its
own protocol's format.
"""

from __future__ import annotations

from starlette.datastructures import URL
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
    """The server's public root URL, without a trailing slash: ``configured`` (setting
    ``base_url``) when set, so that a forged ``Host`` header never shapes a link."""
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/")


def public_url(request: Request, configured: str, url: URL | None = None) -> str:
    """``url`` (default: the request's own URL, e.g. with query parameters changed) under
    the public root: with ``base_url`` set, its host comes from there, never from ``Host``."""
    url = url or request.url
    if not configured:
        return str(url)
    root = request.scope.get("root_path", "")
    path = url.path[len(root):] if root and url.path.startswith(root) else url.path
    return public_base(request, configured) + path + (f"?{url.query}" if url.query else "")
