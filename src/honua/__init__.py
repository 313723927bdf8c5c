"""Honua: an open-source geoprocessing server.

The public API for writing processes::

    from typing import Annotated
    import honua

    @honua.process("double_area", title="Double", version="1.0.0")
    def double(ctx: honua.Context, value: float) -> float:
        ctx.progress(50, "halfway")
        return value * 2
"""

from honua.core.context import Context, MessageLevel
from honua.core.decorator import process
from honua.core.description import JobControl, Limits, ResourceClass
from honua.core.parameters import Input, Output
from honua.core.values import ArealUnit, Envelope, File, Geometry, LinearUnit, SpatialReference
from honua.geo.features import FeatureCollection, Field

__version__ = "0.1.0"

__all__ = [
    "ArealUnit", "Context", "Envelope", "FeatureCollection", "Field", "File", "Geometry",
    "Input", "JobControl", "Limits", "LinearUnit", "MessageLevel", "Output", "ResourceClass",
    "SpatialReference", "process", "__version__",
]
