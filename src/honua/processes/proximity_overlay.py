"""The proximity, overlay and aggregation processes of the toolbox, in one import.

``honua.processes`` imports this module so that every process below is
registered; each lives in its own module.
"""

from honua.processes.buffer import buffer
from honua.processes.clip import clip
from honua.processes.delaunay import delaunay
from honua.processes.dissolve import dissolve
from honua.processes.erase import erase
from honua.processes.identity import identity
from honua.processes.intersect import intersect
from honua.processes.multiple_ring_buffer import multiple_ring_buffer
from honua.processes.near import near
from honua.processes.point_distance import point_distance
from honua.processes.select_by_location import select_by_location
from honua.processes.spatial_join import spatial_join
from honua.processes.split import split
from honua.processes.summarize_within import summarize_within
from honua.processes.symmetrical_difference import symmetrical_difference
from honua.processes.union import union
from honua.processes.voronoi import voronoi

__all__ = [
    "buffer", "clip", "delaunay", "dissolve", "erase", "identity", "intersect",
    "multiple_ring_buffer", "near", "point_distance", "select_by_location", "spatial_join",
    "split", "summarize_within", "symmetrical_difference", "union", "voronoi",
]
