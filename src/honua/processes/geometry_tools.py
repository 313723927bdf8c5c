"""The generalisation, geometry, projection, selection and grid processes.

Importing this module registers them (``honua.processes`` imports it).
"""

from honua.processes.densify import densify
from honua.processes.simplify import simplify
from honua.processes.smooth import smooth

__all__ = ["densify", "simplify", "smooth"]
