"""Input declarations and checks shared by the geometry toolbox processes.

Kept in one place so that every process describes the same input the same
way (title, wording, allowed values) and refuses bad values with the same
message.
"""

from __future__ import annotations

from typing import Annotated, Literal

from honua.core.parameters import Input
from honua.core.values import LinearUnit
from honua.errors import InvalidParameter

INVALID_DESCRIPTION = (
    "What to do with invalid geometries (self-intersecting rings, bow-ties...): 'repair' "
    "makes them valid first (shapely make_valid, structure method: polygons stay polygons), "
    "'keep' uses them as they are, 'refuse' fails naming the first invalid feature and why."
)

InvalidChoice = Annotated[Literal["repair", "keep", "refuse"], Input(
    title="Invalid geometries", description=INVALID_DESCRIPTION)]

GROUND_NOTE = (
    " Distances are measured on the ground: on a geographic coordinate system (e.g. WGS 84) "
    "the work is done in a local transverse Mercator projection around each feature, on a "
    "projected one in its own plane (converted from the CRS's unit)."
)

NULLS_NOTE = " Features with a null or empty geometry are kept unchanged, with their attributes."

GroupOption = Annotated[Literal["none", "all", "fields"], Input(
    title="Group",
    description="'none': one result per input feature (with its attributes); 'all': one "
                "result for all features together; 'fields': one result per group of features "
                "sharing the values of 'group_fields' (those fields and a 'count' are kept).")]

GroupFields = Annotated[list[str] | None, Input(
    title="Group fields", description="Fields whose equal values form a group (group='fields').")]


def positive_meters(value: LinearUnit, name: str, *, allow_zero: bool = False) -> float:
    """``value`` in metres; InvalidParameter when it is negative (or zero unless allowed)."""
    meters = value.meters
    if meters < 0 or (meters == 0 and not allow_zero):
        raise InvalidParameter(
            f"input {name!r} must be {'zero or more' if allow_zero else 'greater than zero'}, "
            f"got {value.value:g} {value.unit}", parameter=name)
    return meters
