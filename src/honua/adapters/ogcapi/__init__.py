"""OGC API - Processes - Part 1: Core 1.0 at ``/api``."""

from honua.adapters.ogcapi.routes import refusal, routes

__all__ = ["refusal", "routes"]
