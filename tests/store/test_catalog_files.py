"""The file catalog: layers from every supported format, filters pushed down, registered layers."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely

from honua.core.catalog import FeatureQuery, NoSuchLayer, check_filter, parse_filter
from honua.errors import Conflict, Forbidden, InvalidParameter
from honua.store import catalog_ogr
from honua.store.catalog_files import FileCatalog, NoSuchFeature
from tests.support.layers import write_layer, zipped_shapefile

FORMATS = ["gpkg", "geojson", "fgb", "shp", "zip"]
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalog")
    layers = root / "layers"
    for fmt in ("gpkg", "geojson", "fgb"):
        write_layer(layers / f"c_{fmt}.{fmt}", 25)
    write_layer(root / "shp" / "c_shp.shp", 25)
    (layers / "c_zip.zip").write_bytes(zipped_shapefile(root / "zsrc", 25, name="c_zip"))
    write_layer(root / "utm.gpkg", 4, crs="EPSG:32631",
                geometry=shapely.points([[500000, 0], [500000, 1000], [600000, 0], [700000, 0]]))
    return FileCatalog(registered_dir=root / "registered", layers_dir=layers, layers=[
        {"path": str(root / "shp" / "c_shp.shp"), "title": "A Shapefile"},
        {"path": str(root / "utm.gpkg"), "id": "utm", "description": "UTM 31N points"},
    ])


def _query(text=None, **kw):
    return FeatureQuery(filter=parse_filter(text) if text else None, **kw)


def test_catalog_lists_every_format_with_schema_and_extent(catalog):
    layers = {layer.id: layer for layer in catalog.list()}
    assert set(layers) == {"c_gpkg", "c_geojson", "c_fgb", "c_shp", "c_zip", "utm"}
    for fmt in FORMATS:
        layer = layers[f"c_{fmt}"]
        assert layer.count == 25
        assert [f.name for f in layer.fields] == ["name", "population", "score"]
        assert layer.field("population").type == "integer"
        assert layer.extent == pytest.approx((0, 0, 9, 2))
    assert layers["c_shp"].title == "A Shapefile"


def test_catalog_extent_of_projected_layer_is_lon_lat(catalog):
    west, south, east, north = catalog.get("utm").extent
    assert west == pytest.approx(3.0, abs=1e-6) and south == pytest.approx(0, abs=1e-6)
    assert 4.7 < east < 4.9 and north > 0


def test_catalog_unknown_layer_is_not_found(catalog):
    with pytest.raises(NoSuchLayer, match="GET /api/collections"):
        catalog.get("nope")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("text", "expected"), [
    ("population >= 20000", {f"city{i}" for i in range(20, 25)}),
    ("name LIKE 'city2%' AND score >= 0", {"city2"} | {f"city{i}" for i in range(20, 25)}),
    ("name IN ('city3', 'city7') OR population BETWEEN 9000 AND 10000", {"city3", "city7",
                                                                          "city9", "city10"}),
    ("S_INTERSECTS(geometry, BBOX(0.5, 0.5, 2.5, 1.5))", {"city11", "city12"}),
    ("S_WITHIN(geometry, POLYGON((0.5 -0.5, 1.5 -0.5, 1.5 0.5, 0.5 0.5, 0.5 -0.5)))", {"city1"}),
    ("NOT (population < 24000) OR name IS NULL", {"city24"}),
    ("name LIKE 'CITY1%'", set()),  # CQL2 LIKE is case-sensitive
])
def test_catalog_filters_select_the_same_features_in_every_format(catalog, fmt, text, expected):
    query = _query(text)
    found = catalog.read(f"c_{fmt}", query)
    assert set(found.columns["name"]) == expected
    assert catalog.count(f"c_{fmt}", query) == len(expected)


def test_catalog_attribute_filters_become_sql_and_intersects_a_mask():
    """Push-down: SQL for attributes, OGR's spatial filter for intersects, nothing left over."""
    from honua.geo.crs import crs84
    from honua.store.catalog_filter import plan

    planned = plan(parse_filter({"op": "and", "args": [
        {"op": ">", "args": [{"property": "population"}, 5]},
        {"op": "=", "args": [{"property": "name"}, "a'b"]},
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [0, 0, 1, 1]}]}]}),
        ["geometry"], crs84())
    assert planned.where == '("population" > 5) AND ("name" = \'a\'\'b\')'
    assert planned.mask.equals(shapely.box(0, 0, 1, 1)) and planned.residual is None


def test_catalog_filter_values_are_quoted_not_injected(catalog):
    """A quote in a value stays a value: nothing is selected, nothing breaks."""
    ast = parse_filter({"op": "=", "args": [{"property": "name"}, "x' OR '1'='1"]})
    assert len(catalog.read("c_gpkg", FeatureQuery(filter=ast))) == 0
    assert len(catalog.read("c_fgb", FeatureQuery(filter=ast))) == 0


def test_catalog_reads_never_load_the_whole_layer_when_filtered(catalog, monkeypatch):
    """The where clause reaches OGR: the rows OGR returns are only the matching ones."""
    seen = []
    real = catalog_ogr.raw.read

    def spy(path, **kwargs):
        result = real(path, **kwargs)
        seen.append((kwargs.get("where"), len(result[1])))
        return result

    monkeypatch.setattr(catalog_ogr.raw, "read", spy)
    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)  # the window path
    assert len(catalog.read("c_gpkg", _query("population = 3000"))) == 1
    assert seen == [('("population" = 3000)', 1)]


def test_catalog_bbox_is_lon_lat_on_projected_layers(catalog):
    found = catalog.read("utm", FeatureQuery(bbox=(2.9, -0.1, 3.1, 0.1)))
    assert len(found) == 2 and found.crs.to_epsg() == 32631


def test_catalog_paging_and_properties(catalog):
    page = catalog.read("c_fgb", FeatureQuery(limit=10, offset=20, properties=("name",)))
    assert len(page) == 5 and list(page.columns) == ["name"]


def test_catalog_chunks_cover_the_selection_once(catalog):
    chunks = list(catalog.iter_chunks("c_gpkg", _query("population >= 3000"), 7))
    assert [len(c) for c in chunks] == [7, 7, 7, 1]
    names = [n for c in chunks for n in c.columns["name"]]
    assert sorted(names) == sorted(f"city{i}" for i in range(3, 25))


def test_catalog_chunks_with_a_residual_filter_are_filtered_per_chunk(catalog):
    chunks = list(catalog.iter_chunks("c_geojson", _query(
        "S_WITHIN(geometry, BBOX(-1, -1, 9.5, 0.5)) AND population > 1000"), 4))
    assert sum(len(c) for c in chunks) == 8


def test_catalog_feature_by_id(catalog):
    page = catalog.read("c_gpkg", FeatureQuery(limit=1, offset=4))
    one = catalog.feature("c_gpkg", str(page.ids[0]))
    assert one.columns["name"] == ["city4"]
    for bad in ("99999", "abc"):
        with pytest.raises(NoSuchFeature):
            catalog.feature("c_gpkg", bad)


@pytest.mark.parametrize(("text", "message"), [
    ("colour = 'red'", "unknown property 'colour'; the queryables of 'c_gpkg' are: name"),
    ("name = = 1", "not valid cql2-text at line 1, column"),
    ("name = 1", "compares property 'name' \\(text\\) with 1 \\(number\\)"),
    ("population = 'abc'", "compares property 'population' \\(number\\) with 'abc'"),
    ("population = name", "compares property 'population' \\(number\\) with property 'name'"),
    ("name IN (1, 2)", "compares property 'name' \\(text\\)"),
    ("name BETWEEN 1 AND 2", "compares property 'name' \\(text\\)"),
    ("population LIKE '3%'", "compares property 'population' \\(number\\)"),
    ("name + 1 > 2", "arithmetic on property 'name' \\(text\\)"),
    ("S_INTERSECTS(population, POINT(1 1))", "needs geometries.*not property 'population'"),
    ("S_WITHIN(geometry, 'abc')", "needs geometries.*not 'abc'"),
])
def test_catalog_bad_filters_are_refused_before_reading(catalog, text, message):
    with pytest.raises(InvalidParameter, match=message):
        check_filter(parse_filter(text), catalog.get("c_gpkg"))


@pytest.mark.parametrize("text", ["population > 5 AND score < 1", "lower(name) = 'city1'",
                                  "S_INTERSECTS(geom, BBOX(0, 0, 1, 1))",
                                  "S_CONTAINS(POLYGON((0 0, 1 0, 1 1, 0 0)), geometry)",
                                  "population * 2 > 5", "population IN (1000, 2000)"])
def test_catalog_filters_of_matching_types_pass_the_check(catalog, text):
    assert check_filter(parse_filter(text), catalog.get("c_gpkg")) is not None


def test_catalog_sql_the_driver_refuses_is_a_bad_filter_not_a_crash(catalog):
    """OGR's GeoJSON SQL refuses what SQLite allows (text = number): a 400, never a 500."""
    with pytest.raises(InvalidParameter, match="could not be read with this filter"):
        catalog.read("c_geojson", _query("name = 1"))
    with pytest.raises(InvalidParameter, match="could not be read with this filter"):
        catalog.count("c_geojson", _query("name = 1"))


def test_catalog_cql2_json_filters(catalog):
    ast = parse_filter({"op": "and", "args": [
        {"op": ">", "args": [{"property": "population"}, 22000]},
        {"op": "s_intersects", "args": [{"property": "geometry"},
                                        {"type": "Polygon", "coordinates": [[[0, 0], [9, 0], [9, 3],
                                                                             [0, 3], [0, 0]]]}]}]})
    assert set(catalog.read("c_gpkg", FeatureQuery(filter=ast)).columns["name"]) == {
        "city23", "city24"}


def test_catalog_register_survives_a_new_catalog_and_expires(tmp_path, catalog):
    registered = tmp_path / "registered"
    first = FileCatalog(registered_dir=registered)
    layer = first.register("out", catalog.iter_chunks("c_fgb", FeatureQuery(), 10), title="Out",
                           owner="ann", expires=NOW + dt.timedelta(days=1))
    assert layer.registered and layer.count == 25 and layer.title == "Out"
    again = FileCatalog(registered_dir=registered)
    assert [x.id for x in again.list()] == ["out"]
    assert again.remove_expired(NOW) == 0
    assert again.remove_expired(NOW + dt.timedelta(days=2)) == 1
    assert again.list() == [] and first.list() == []
    assert not any(registered.iterdir())


def test_catalog_register_refuses_clashes_unless_owner_overwrites(tmp_path, catalog):
    cat = FileCatalog(registered_dir=tmp_path / "r", layers=[
        {"path": str(tmp_path / "fixed.gpkg"), "id": "fixed"}] if write_layer(
            tmp_path / "fixed.gpkg") else [])
    cat.register("out", [catalog.read("c_gpkg", FeatureQuery(limit=3))], owner="ann")
    with pytest.raises(Conflict, match="already exists"):
        cat.register("out", [catalog.read("c_gpkg", FeatureQuery(limit=1))], owner="ann")
    with pytest.raises(Forbidden, match="belongs to someone else"):
        cat.register("out", [catalog.read("c_gpkg", FeatureQuery(limit=1))], owner="bob",
                     overwrite=True)
    assert cat.get("out").count == 3
    cat.register("out", [catalog.read("c_gpkg", FeatureQuery(limit=1))], owner="ann",
                 overwrite=True)
    assert cat.get("out").count == 1
    with pytest.raises(Conflict, match="configured layer"):
        cat.register("fixed", [], owner="ann", overwrite=True)


def test_catalog_bad_files_are_skipped_not_fatal(tmp_path):
    folder = tmp_path / "layers"
    folder.mkdir()
    (folder / "broken.geojson").write_text("{not json")
    write_layer(folder / "good.gpkg")
    assert [x.id for x in FileCatalog(registered_dir=tmp_path / "r", layers_dir=folder).list()] == [
        "good"]
