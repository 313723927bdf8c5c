"""The confined GDAL reader: one driver, no network, checks again at read time, limits."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from honua.errors import InvalidParameter, PayloadTooLarge
from honua.store.ogr_isolated import IsolatedOgr, ReaderLimits, reader_environment
from tests.support.layers import write_layer
from tests.support.servers import counting_listener

VRT = (b'<OGRVRTDataSource><OGRVRTLayer name="p"><SrcDataSource>CSV:/etc/passwd'
       b"</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>")


def _in_reader(code: str, driver: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a process confined and configured exactly as the reader is."""
    prelude = ("from honua.store.ogr_isolated import confine\n"
               "print(confine({'memory_mb': 2048, 'cpu_seconds': 60, 'file_mb': 8}))\n")
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                          env=reader_environment(driver), capture_output=True, text=True,
                          timeout=60)


def test_reader_gdal_cannot_open_a_vrt_even_unchecked(tmp_path):
    """With only the GeoJSON driver registered, GDAL itself does not recognise a VRT."""
    path = tmp_path / "p.geojson"
    path.write_bytes(VRT)
    done = _in_reader(f"""
        import pyogrio
        assert "OGR_VRT" not in pyogrio.list_drivers() and "SQLite" not in pyogrio.list_drivers()
        try:
            pyogrio.read_info({str(path)!r})
        except Exception as exc:
            print("refused:", type(exc).__name__)
        else:
            print("OPENED")
        """, "GeoJSON")
    assert "refused: DataSourceError" in done.stdout, done.stdout + done.stderr
    assert "OPENED" not in done.stdout


def test_reader_gdal_has_no_network(tmp_path):
    """/vsicurl/ to a live local server from inside the reader: no request arrives."""
    with counting_listener(b'{"type": "FeatureCollection", "features": []}') as (base, seen):
        done = _in_reader(f"""
            import pyogrio
            try:
                pyogrio.read_info("/vsicurl/{base}/a.geojson")
            except Exception as exc:
                print("refused:", type(exc).__name__)
            """, "GeoJSON")
    assert "refused" in done.stdout, done.stdout + done.stderr
    assert "namespace" in done.stdout  # the kernel gave the reader a network of its own
    assert seen == []


def test_reader_checks_the_content_again_before_opening(tmp_path):
    """A VRT planted where an accepted upload was is refused by the reader itself."""
    path = tmp_path / "roads.kml"
    path.write_bytes(b"<kml/>" + VRT)
    with pytest.raises(InvalidParameter, match="VRT virtual dataset"):
        IsolatedOgr().read(path, "kml")


@pytest.mark.parametrize("path", ["/vsicurl/http://127.0.0.1:9/a.geojson",
                                  "/vsis3/bucket/a.geojson", "/vsizip//tmp/a.zip/a.geojson"])
def test_reader_refuses_virtual_file_systems(path):
    with pytest.raises(InvalidParameter, match="only plain local files"):
        IsolatedOgr().read(__import__("pathlib").Path(path), "geojson")


def test_reader_reads_features_and_counts_vertices(tmp_path):
    path = write_layer(tmp_path / "cities.gpkg", 7)
    reader = IsolatedOgr()
    found = reader.inspect(path, "geopackage")
    assert (found.driver, found.count, found.vertices) == ("GPKG", 7, 7)
    features = reader.read(path, "geopackage")
    assert len(features) == 7 and features.columns["name"][6] == "city6"
    assert features.crs.to_epsg() == 4326


def test_reader_over_its_memory_limit_is_refused_not_fatal(tmp_path):
    path = write_layer(tmp_path / "cities.geojson", 20000)
    with pytest.raises(PayloadTooLarge, match="limits|more than"):
        IsolatedOgr(ReaderLimits(memory_mb=150)).read(path, "geojson")
