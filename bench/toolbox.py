"""Benchmark: toolbox processes through the process API against the bare shapely floor.

    python bench/toolbox.py [--sizes 10000 100000] [--repeat 5] [--processes clip dissolve]

For each process and size, the inputs are built once as in-memory feature
collections and bound with ``bind_inputs`` (not timed); then ``call_process``
is timed on the bound inputs, and so are the bare shapely/numpy calls that do
the same geometric work on the same arrays (the floor), alternately, after a
warm-up run. The table shows the best of ``--repeat`` runs of each (CPU
seconds of this process) and their ratio; the target is 1.3x or less.
Data are in a projected CRS (EPSG:3857), about one feature per 100 m square.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

from honua.core.context import Context
from honua.core.decorator import definition_of
from honua.core.invoke import bind_inputs, call_process
from honua.geo.features import FeatureCollection

CRS = "EPSG:3857"
SPACING = 100.0  # metres between features on average


def blobs(n: int, seed: int) -> np.ndarray:
    """``n`` small, partly overlapping polygons (17-vertex circles of 30-60 m)."""
    rng = np.random.default_rng(seed)
    side = np.sqrt(n) * SPACING
    centres = shapely.points(rng.uniform(0, side, (n, 2)))
    return shapely.buffer(centres, rng.uniform(30, 60, n), quad_segs=4)


def points(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    side = np.sqrt(n) * SPACING
    return shapely.points(rng.uniform(0, side, (n, 2)))


def grid(n: int, cells_per_side: int) -> tuple[np.ndarray, np.ndarray]:
    """A square grid of cells over the data's area, and each cell's row-major number."""
    side = np.sqrt(n) * SPACING
    step = side / cells_per_side
    i, j = np.meshgrid(np.arange(cells_per_side), np.arange(cells_per_side))
    i, j = i.ravel(), j.ravel()
    return shapely.box(i * step, j * step, (i + 1) * step, (j + 1) * step), j * cells_per_side + i


def collection(geometry: np.ndarray, **columns: Any) -> FeatureCollection:
    return FeatureCollection(geometry, {k: list(v) for k, v in columns.items()}, CRS)


def attributes(n: int) -> dict[str, Any]:
    return {"fid": np.arange(n).tolist(), "name": [f"f{i}" for i in range(n)],
            "value": np.linspace(0, 1, n).tolist()}


# -- cases: (module, process inputs, floor) ------------------------------------------------------

def case_buffer(n: int):
    geometry = points(n, 1)
    inputs = {"features": collection(geometry, **attributes(n)), "distance": 50}

    def floor() -> Any:
        return shapely.buffer(geometry, 50.0, quad_segs=16)

    return "buffer", inputs, floor


def case_clip(n: int):
    geometry = blobs(n, 2)
    cells, _ = grid(n, 10)
    clipper = cells[np.arange(len(cells)) % 3 != 0]  # two cells in three: many edges cut

    def floor() -> Any:
        i, j = shapely.STRtree(clipper).query(geometry, predicate="intersects")
        return shapely.intersection(geometry[i], clipper[j])

    inputs = {"features": collection(geometry, **attributes(n)),
              "clip_features": collection(clipper)}
    return "clip", inputs, floor


def case_intersect(n: int):
    a, b = blobs(n, 3), blobs(n, 4)

    def floor() -> Any:
        i, j = shapely.STRtree(b).query(a, predicate="intersects")
        return shapely.intersection(a[i], b[j])

    inputs = {"layers": [collection(a, **attributes(n)), collection(b, **attributes(n))]}
    return "intersect", inputs, floor


def case_dissolve(n: int):
    side = int(round(np.sqrt(n)))
    cells, number = grid(side * side, side)
    district = (number // side // 10) * 100 + (number % side) // 10  # 10 x 10 blocks

    def floor() -> Any:
        order = np.argsort(district, kind="stable")
        keys, starts = np.unique(district[order], return_index=True)
        bounds = np.append(starts, len(order))
        return [shapely.union_all(cells[order[bounds[k]:bounds[k + 1]]]) for k in range(len(keys))]

    inputs = {"features": collection(cells, district=district.tolist()),
              "dissolve_fields": ["district"]}
    return "dissolve", inputs, floor


def case_spatial_join(n: int):
    targets = points(n, 5)
    zones, number = grid(n, 32)  # about a thousand zones

    def floor() -> Any:
        i, j = shapely.STRtree(zones).query(targets, predicate="intersects")
        first = np.full(n, -1)
        first[i[::-1]] = j[::-1]
        return np.bincount(i, minlength=n), first

    inputs = {"target_features": collection(targets, **attributes(n)),
              "join_features": collection(zones, zone=number.tolist())}
    return "spatial_join", inputs, floor


def case_simplify(n: int):
    rng = np.random.default_rng(6)
    side = np.sqrt(n) * SPACING
    geometry = shapely.buffer(shapely.points(rng.uniform(0, side, (n, 2))), 50.0, quad_segs=16)

    def floor() -> Any:
        return shapely.simplify(geometry, 5.0, preserve_topology=True)

    inputs = {"features": collection(geometry, **attributes(n)), "tolerance": 5}
    return "simplify", inputs, floor


CASES: list[Callable[[int], tuple[str, dict[str, Any], Callable[[], Any]]]] = [
    case_buffer, case_clip, case_intersect, case_dissolve, case_spatial_join, case_simplify,
]


def timed(function: Callable[[], Any]) -> float:
    """CPU seconds of this process spent in ``function`` (steadier than wall time on a busy
    machine: GEOS, PROJ and numpy all run in this thread)."""
    gc.collect()
    start = time.process_time()
    function()
    return time.process_time() - start


def best_of(process: Callable[[], Any], floor: Callable[[], Any],
            repeat: int) -> tuple[float, float]:
    """Best times of the process and of its floor, run alternately (fair under varying load)."""
    process()  # warm caches (transformers, imports) once, untimed
    runs, bares = [], []
    for _ in range(repeat):
        runs.append(timed(process))
        bares.append(timed(floor))
    return min(runs), min(bares)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--processes", nargs="+", default=None,
                        help="only these processes (default: all)")
    args = parser.parse_args()
    print(f"{'process':<14}{'features':>10}{'process s':>12}{'floor s':>10}{'ratio':>8}"
          "   (CPU seconds, best of runs)")
    for size in args.sizes:
        for case in CASES:
            if args.processes and case.__name__.removeprefix("case_") not in args.processes:
                continue
            name, raw, floor = case(size)
            try:
                module = importlib.import_module(f"honua.processes.{name}")
            except ImportError:
                print(f"{name:<14}{size:>10,}{'(process module not available)':>30}")
                continue
            definition = definition_of(getattr(module, name))
            bound = bind_inputs(definition.description, raw)
            run, bare = best_of(lambda: call_process(definition, Context(), bound),  # noqa: B023
                                floor, args.repeat)
            print(f"{name:<14}{size:>10,}{run:>12.3f}{bare:>10.3f}{run / bare:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
