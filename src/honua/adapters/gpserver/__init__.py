"""Esri GeoservicesREST GPServer adapter: ArcGIS clients run Honua processes unchanged."""

from honua.adapters.gpserver.routes import refusal, routes

__all__ = ["refusal", "routes"]
