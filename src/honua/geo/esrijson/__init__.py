"""The one Esri JSON codec: geometries, feature sets and spatial references.

Shared wire code: the GPServer adapter reads and writes it, the WPS adapter
offers it as an output format, and both must write the same JSON (Web
Mercator as ``{"wkid": 102100, "latestWkid": 3857}``, outer rings clockwise).
Adapters do not import each other, so the codec lives here, below them.
"""
