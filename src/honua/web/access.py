"""The processes the caller of a request may see: one lookup every adapter uses.

Lists (``/api/processes``, WPS GetCapabilities, GPServer services), descriptions
and runs all go through ``processes_for``, so a process hidden by an
``[[honua.access]]`` rule is absent everywhere and answers as an unknown id.
"""

from __future__ import annotations

from starlette.requests import Request

from honua.core.access import VisibleRegistry, visible_to
from honua.core.registry import Registry
from honua.web.identity import principal_of

__all__ = ["processes_for"]

def processes_for(request: Request, registry: Registry) -> VisibleRegistry:
    """``registry`` as the request's caller sees it (``app.state.services`` holds the policy)."""
    services = request.app.state.services
    return visible_to(registry, services.access, principal_of(request), services.settings)
