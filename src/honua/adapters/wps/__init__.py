"""OGC Web Processing Service 1.0.0 and 2.0 at ``/wps``."""

from honua.adapters.wps.routes import PUBLIC_ROUTES, refusal, routes

__all__ = ["PUBLIC_ROUTES", "refusal", "routes"]
