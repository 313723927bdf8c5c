"""Honua's built-in toolbox.

Registered through the ``honua.processes`` entry point like any plugin: every
``@process`` function named here is served. Each group module lists its
processes in ``__all__``.
"""

from honua.processes import geometry_tools, proximity_overlay
from honua.processes.geometry_tools import *  # noqa: F403
from honua.processes.proximity_overlay import *  # noqa: F403

__all__ = [*proximity_overlay.__all__, *geometry_tools.__all__]
