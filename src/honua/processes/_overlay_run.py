"""The one body of the overlay processes: prepare the layers, overlay, carry attributes.

Clip, erase, identity and symmetrical difference differ only in the overlay
function, which layer's attributes the pieces carry and the words of their
progress messages; intersect and union likewise over a list of layers. Each
process module keeps its own description and inputs and hands a spec here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from honua.core.context import Context
from honua.geo import overlay
from honua.geo.attributes import join_rows
from honua.geo.features import FeatureCollection
from honua.processes._overlay_inputs import overlay_progress, prepare, prepare_each


@dataclass(frozen=True)
class Pairwise:
    """How one two-layer overlay process runs."""

    second: str
    """The name of the second layer's input (e.g. ``clip_features``), for its errors."""
    operation: Callable[..., tuple[Any, ...]]
    """``geo.overlay`` function: (a, b, progress=) -> (pieces, ia) or (pieces, ia, ib)."""
    starting: str
    """Progress message; ``{a}`` and ``{b}`` are the two layers' feature counts."""
    done: str
    """Progress message; ``{n}`` is the number of pieces."""
    finished: str
    first_kinds: Sequence[str] = ()
    """Geometry kinds the first layer may hold (empty: any)."""


def run_pairwise(ctx: Context, spec: Pairwise, features: FeatureCollection,
                 other: FeatureCollection, invalid: str) -> FeatureCollection:
    """Overlay ``other`` (polygons, reprojected to ``features``' CRS) on ``features``.

    Pieces carry the first layer's attributes, and the second's where the
    operation says which of its features each piece came from; a piece of one
    first-layer feature keeps that feature's id.
    """
    features = prepare(features, "features", kinds=spec.first_kinds, invalid=invalid)
    other = prepare(other, spec.second, kinds=("polygon",), invalid=invalid, crs=features.crs)
    ctx.progress(5, spec.starting.format(a=len(features), b=len(other)))
    pieces, *indices = spec.operation(features.geometry, other.geometry,
                                      progress=overlay_progress(ctx))
    ctx.progress(95, spec.done.format(n=len(pieces)))
    sources = list(zip((features, other), indices, strict=False))
    result = join_rows(pieces, features.crs, sources, keep_ids=len(sources) == 1)
    ctx.progress(100, spec.finished)
    return result


def run_layers(ctx: Context, layers: Sequence[FeatureCollection], how: str, *,
               kinds: Sequence[str] = (), invalid: str, verb: str) -> FeatureCollection:
    """Overlay two or more layers (``how``: "intersection" | "union"), all attributes carried."""
    prepared = prepare_each(layers, "layers", kinds=kinds, invalid=invalid)
    ctx.progress(5, f"{verb} {len(prepared)} layers")

    pieces, indices = overlay.overlay_layers([layer.geometry for layer in prepared], how,
                                             progress=overlay_progress(ctx))
    ctx.progress(95, f"{len(pieces)} pieces")
    result = join_rows(pieces, prepared[0].crs, list(zip(prepared, indices, strict=True)))
    ctx.progress(100, "Done")
    return result
