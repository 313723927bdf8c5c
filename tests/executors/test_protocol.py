"""Frames and their pickling: geometry arrays as vectorised WKB, files inlined."""

from __future__ import annotations

import pickle

import numpy as np
import shapely

from honua.core.execution import OutcomeStatus
from honua.core.values import File
from honua.executors.protocol import Done, dumps, inline_files, loads
from honua.geo.features import FeatureCollection


def _geometries() -> np.ndarray:
    return np.array([None, shapely.Point(), shapely.Point(1, 2, 3),
                     shapely.LineString([(0, 0), (1, 1)]), shapely.GeometryCollection(),
                     shapely.box(0, 0, 1, 1)], dtype=object)


def test_dumps_geometry_array_round_trips_none_empty_and_z() -> None:
    """None stays None, empties stay empty, Z coordinates survive."""
    back = loads(dumps(_geometries()))
    assert back.dtype == object
    assert back[0] is None
    assert list(shapely.is_empty(back[1:])) == [True, False, False, True, False]
    assert shapely.equals_exact(back[1:], _geometries()[1:]).tolist()[1:] == [True] * 4
    assert shapely.has_z(back[2])


def test_dumps_geometry_array_keeps_shape() -> None:
    """A 2-D object array of geometries comes back 2-D."""
    grid = np.array([[shapely.Point(0, 0), shapely.Point(1, 1)]] * 3, dtype=object)
    assert loads(dumps(grid)).shape == (3, 2)


def test_dumps_geometry_array_uses_one_wkb_conversion() -> None:
    """The pickle holds WKB for the whole column, not one reduce call per geometry."""
    polygons = shapely.buffer(shapely.points(np.arange(1000.0), 0), 0.5)
    data = dumps(polygons)
    assert b"_geometries_from_wkb" in data
    assert data.count(b"from_wkb") == 1
    assert shapely.equals_exact(loads(data), polygons).all()


def test_dumps_leaves_other_object_arrays_alone() -> None:
    """Object arrays that are not all geometries pickle as usual."""
    mixed = np.array([shapely.Point(0, 0), "not a geometry", 3], dtype=object)
    data = dumps(mixed)
    assert b"_geometries_from_wkb" not in data
    back = loads(data)
    assert back[1:].tolist() == ["not a geometry", 3]
    assert loads(dumps(np.array([None, None], dtype=object))).tolist() == [None, None]


def test_dumps_feature_collection_round_trips() -> None:
    """A feature collection keeps its geometry, columns, ids and CRS."""
    features = FeatureCollection.from_geometries(
        [shapely.Point(1, 2), None], crs=3857, name=["a", "b"])
    back = loads(dumps(features))
    assert back.geometry[0].equals(shapely.Point(1, 2)) and back.geometry[1] is None
    assert back.columns == {"name": ["a", "b"]}
    assert back.crs == features.crs


def test_dumps_uses_protocol_5() -> None:
    """Frames are pickle protocol 5 and readable by the standard unpickler."""
    data = dumps(Done("job", OutcomeStatus.SUCCEEDED, outputs=b"x"))
    assert data[:2] == b"\x80\x05"
    assert pickle.loads(data) == Done("job", OutcomeStatus.SUCCEEDED, outputs=b"x")


def test_inline_files_reads_files_on_disk(tmp_path) -> None:
    """A File with a path travels as its bytes; other values are untouched."""
    path = tmp_path / "upload.bin"
    path.write_bytes(b"payload")
    on_disk = File(name="upload.bin", media_type="application/x-test", path=path)
    values = inline_files({"file": on_disk, "files": [on_disk], "n": 3})
    assert values["file"] == File("upload.bin", "application/x-test", data=b"payload")
    assert values["files"] == [values["file"]]
    assert values["n"] == 3
