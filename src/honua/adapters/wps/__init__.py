"""OGC Web Processing Service 1.0.0 and 2.0 at ``/wps``."""

from honua.adapters.wps.routes import refusal, routes

__all__ = ["refusal", "routes"]
