"""The demo layers that ``honua serve --demo`` installs are served by the catalog."""

from __future__ import annotations

import pytest
from rich.console import Console

from honua.core.catalog import FeatureQuery, parse_filter
from honua.demo import install_demo
from honua.settings import Settings
from honua.store.catalog_files import FileCatalog


def test_catalog_demo_layers_are_listed_and_queryable(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    install_demo(settings, Console(file=open("/dev/null", "w")))  # noqa: SIM115
    catalog = FileCatalog.from_settings(settings)
    layers = {layer.id: layer for layer in catalog.list()}
    assert {layers[i].geometry_type for i in layers} == {"Point", "Polygon", "LineString"}
    assert layers["cities"].count == 10 and layers["city-links"].count == 9
    grid = catalog.read("world-grid", FeatureQuery())
    assert sum(grid.columns["area_km2"]) == pytest.approx(510.07e6, rel=1e-3)  # the Earth's area
    big = catalog.read("cities", FeatureQuery(filter=parse_filter("population > 1000000")))
    assert 0 < len(big) < 10
    assert (tmp_path / "data" / "demo" / "buffer-layer-request.json").is_file()
