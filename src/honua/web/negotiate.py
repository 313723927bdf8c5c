"""Whether a request wants an HTML page or the JSON document.

``f=html`` asks for the page and ``f=json`` for JSON, whatever the headers.
Without ``f``, the page goes to a browser only: one whose ``Accept`` names
``text/html`` with a quality at least that of ``application/json``. API
clients (OWSLib, httpx, curl: ``*/*`` or ``application/json``) keep getting
JSON exactly as before, so adding pages changes no client's answer.
"""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["accept_quality", "wants_html"]


def accept_quality(accept: str, media_type: str) -> float:
    """The quality ``accept`` gives ``media_type`` named explicitly (wildcards: 0)."""
    best = 0.0
    for part in accept.split(",")[:50]:  # a header of thousands of entries is not read whole
        pieces = [p.strip() for p in part.split(";")]
        if pieces[0].lower() != media_type:
            continue
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        best = max(best, quality)
    return best


def wants_html(request: Request) -> bool:
    f = request.query_params.get("f", "").strip().lower()
    if f:
        return f == "html"
    accept = request.headers.get("accept", "")
    html = accept_quality(accept, "text/html")
    return html > 0 and html >= accept_quality(accept, "application/json")
