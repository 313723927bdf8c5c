"""OGC API - Processes - Part 1: Core 1.0 at ``/api``."""

from honua.adapters.ogcapi.routes import PUBLIC_ROUTES, refusal, routes

__all__ = ["PUBLIC_ROUTES", "refusal", "routes"]
