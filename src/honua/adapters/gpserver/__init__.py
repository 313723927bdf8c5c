"""Esri GeoservicesREST GPServer adapter: ArcGIS clients run Honua processes unchanged."""

from honua.adapters.gpserver.routes import routes

__all__ = ["routes"]
