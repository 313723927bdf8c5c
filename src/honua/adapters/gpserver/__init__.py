"""Esri GeoservicesREST GPServer adapter: ArcGIS clients run Honua processes unchanged."""

from honua.adapters.gpserver.routes import PUBLIC_ROUTES, refusal, routes

__all__ = ["PUBLIC_ROUTES", "refusal", "routes"]
