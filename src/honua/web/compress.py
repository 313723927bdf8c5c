"""Response compression: Brotli or gzip, whichever the client prefers and accepts.

Feature results are text with long runs of digits; gzip takes a GeoJSON buffer
result to about a fifth, Brotli (at the fast quality used here) a little further.
Built on Starlette's responders, so what they already get right stays right:
small bodies go as they are, streamed bodies are compressed chunk by chunk and
flushed (a client sees each chunk when it is sent), large chunks are compressed
off the event loop, and ``text/event-stream`` (Server-Sent Events), images and
archives are never touched. ``Accept-Encoding`` is read with its q-values:
``br;q=0`` refuses Brotli, and without an acceptable coding the body goes as it is.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.middleware.gzip import (
    DEFAULT_EXCLUDED_CONTENT_TYPES,
    GZipResponder,
    IdentityResponder,
)
from starlette.types import ASGIApp, Receive, Scope, Send

try:  # optional: without it, gzip only
    import brotli
except ImportError:  # pragma: no cover - brotli is a dependency
    brotli = None

__all__ = ["CompressionMiddleware", "accepted_codings", "choose_coding"]

EXCLUDED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/vnd.google-earth.kmz",
            "application/x-zip-compressed")
GZIP_LEVEL = 1
"""On 29 MB of coordinate JSON: level 1 takes 1.1 s for 10.4 MB, the default 6 takes
4.4 s for 9.4 MB; responses are compressed on the fly, so speed wins."""
BROTLI_QUALITY = 1
"""The same 29 MB: quality 1 takes 0.7 s for 8.8 MB; quality 4 took 8 s for 10.3 MB."""
THREAD_MINIMUM = 128 * 1024
"""Chunks at least this big are compressed in a thread, not on the event loop."""


def accepted_codings(header: str) -> dict[str, float]:
    """``Accept-Encoding`` as coding -> q (``*`` kept as it is)."""
    codings: dict[str, float] = {}
    for part in header.split(",")[:32]:
        name, *params = (piece.strip() for piece in part.split(";"))
        if not name:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        codings[name.lower()] = quality
    return codings


def choose_coding(header: str, *, brotli_available: bool = brotli is not None) -> str:
    """``br``, ``gzip`` or ``identity`` for a request's ``Accept-Encoding``."""
    codings = accepted_codings(header)
    wildcard = codings.get("*", 0.0)
    offers = [("br", codings.get("br", wildcard)) if brotli_available else ("br", 0.0),
              ("gzip", codings.get("gzip", codings.get("x-gzip", wildcard)))]
    best, quality = max(offers, key=lambda offer: offer[1])  # ties: br, listed first
    return best if quality > 0 else "identity"


class BrotliResponder(IdentityResponder):
    content_encoding = "br"

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        super().__init__(app, minimum_size, exclude_content_types=EXCLUDED)
        self._compressor: Any = None

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if len(body) >= THREAD_MINIMUM:
            return await anyio.to_thread.run_sync(self._compress, body, more_body)
        return self._compress(body, more_body)

    def _compress(self, body: bytes, more_body: bool) -> bytes:
        if self._compressor is None:
            self._compressor = brotli.Compressor(quality=BROTLI_QUALITY)
        compressor = self._compressor
        data: bytes = compressor.process(body)
        data += compressor.flush() if more_body else compressor.finish()
        return data


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, *, minimum_size: int = 1024) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # a ranged download (a stored result resumed) names bytes of the file as stored:
        # compressing the 206 body would break Content-Range, so it goes as it is
        coding = ("identity" if "range" in headers
                  else choose_coding(headers.get("accept-encoding", "")))
        responder: IdentityResponder
        if coding == "br":
            responder = BrotliResponder(self.app, self.minimum_size)
        elif coding == "gzip":
            responder = GZipResponder(self.app, self.minimum_size, compresslevel=GZIP_LEVEL,
                                      thread_minimum_size=THREAD_MINIMUM,
                                      exclude_content_types=EXCLUDED)
        else:
            responder = IdentityResponder(self.app, self.minimum_size,
                                          exclude_content_types=EXCLUDED)
        await responder(scope, receive, send)
