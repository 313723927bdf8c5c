"""Honua's built-in toolbox.

Registered through the ``honua.processes`` entry point like any plugin: every
``@process`` function imported here is served.
"""

from honua.processes.buffer import buffer

__all__ = ["buffer"]
