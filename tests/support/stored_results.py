"""A job whose stored result is big, made without computing it: a small buffer job's kept
outputs are replaced in the artifact store by a big GeoJSON value, stored the way
``core.stored_outputs.externalise`` keeps one (an artifact of its own named by
``{"$artifact": key}``) or inline in ``outputs.json``."""

from __future__ import annotations

import numpy as np
import orjson
import shapely

from honua.core.recorder import outputs_key
from honua.geo.features import FeatureCollection
from honua.geo.geojson import write_features
from honua.geo.precision import DEFAULT


def big_geojson(features: int) -> bytes:
    """GeoJSON of ``features`` points with a few attributes, as the server's own writer
    (compact, default precision) stores a feature output: about 115 bytes a feature."""
    rng = np.random.default_rng(14)
    points = shapely.points(rng.uniform(-180, 180, features), rng.uniform(-90, 90, features))
    collection = FeatureCollection.from_geometries(
        points, name=[f"site-{i}" for i in range(features)],
        value=rng.uniform(0, 1000, features).round(3).tolist(),
        note=['a "quoted" ]]> & <tag>' if i % 1000 == 0 else "" for i in range(features)])
    return write_features(collection, DEFAULT)


def store_result(artifacts, job_id: str, value: bytes, *, inline: bool = False) -> None:
    """Make ``value`` the stored output ``result`` of job ``job_id``."""
    if inline:
        artifacts.put(outputs_key(job_id), b'{"result":' + value + b"}")
        return
    key = f"jobs/{job_id}/outputs/result.geojson"
    artifacts.put(key, value)
    artifacts.put(outputs_key(job_id), orjson.dumps(
        {"result": {"$artifact": key, "mediaType": "application/geo+json"}}))
