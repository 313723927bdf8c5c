"""Tier 2: each process as one SQL statement over its layer references' queries.

A builder gets the bound inputs (feature inputs still ``LayerReference``s) and,
for each of them, a ``LayerSource`` (``store.catalog_postgis``: a composed
``SELECT`` of ``__honua_id``, ``__honua_geometry`` and the fields, with its bound
parameters). It returns a ``Statement`` whose rows are the id, the result
geometry as WKB and the output fields, in order. Values are bound parameters;
names are ``psycopg.sql.Identifier``s; the layer queries are composed as CTEs.

Each builder says first what it does not cover (``refuse``: a one-sided buffer,
a filter CRS...), so that such requests run on tier 1 rather than differently.
The semantics are tier 1's (``honua.processes``): the comparison suite
(``tests/executors/test_postgis_tiers.py``) holds them to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql
from pyproj import CRS

from honua.errors import InvalidParameter
from honua.geo import precision
from honua.geo.crs import meters_per_unit
from honua.geo.features import Field

__all__ = ["BUILDERS", "Builder", "Statement", "as_geojson"]

ID = sql.Identifier("__honua_id")
GEOM = sql.Identifier("__honua_geometry")
_REPAIR = ("repair", "keep")


@dataclass(frozen=True)
class Statement:
    sql: sql.Composed
    params: tuple[Any, ...]
    fields: tuple[Field, ...]
    crs: CRS
    keep_ids: bool = True
    geometry_type: str = "Unknown"


@dataclass(frozen=True)
class Builder:
    """The tier-2 form of one process."""

    feature_inputs: tuple[str, ...]
    refuse: Callable[[Mapping[str, Any]], str | None]
    build: Callable[[Mapping[str, Any], Mapping[str, Any]], Statement]
    filter_input: str | None = None
    """An input holding a CQL2 filter that narrows the first layer's own query (pushed into
    its WHERE), with ``invert_input`` selecting the complement."""
    invert_input: str | None = None


def as_geojson(statement: Statement) -> tuple[sql.Composed, tuple[Any, ...]]:
    """The statement with each row turned into its GeoJSON Feature text inside PostgreSQL,
    as ``geo.geojson.feature_dicts`` writes it (id when kept and not null, geometry,
    properties in field order) with tier 1's output precision (``geo.precision.DEFAULT``):
    the server then joins texts instead of decoding WKB and encoding every feature in
    Python (``executors.postgis``, stored job outputs). The geometry's text is spliced in
    as ``ST_AsGeoJSON`` writes it, not cast to ``json`` (which would parse it again)."""
    aliases = [sql.Identifier(f"c{i}") for i in range(2 + len(statement.fields))]
    properties = sql.SQL(", ").join([sql.SQL("{}, q.{}").format(sql.Literal(f.name), a)
                                     for f, a in zip(statement.fields, aliases[2:], strict=True)])
    decimals = precision.DEFAULT.decimals(statement.crs)
    start: sql.Composable = sql.SQL("'{\"type\":\"Feature\",'")
    if statement.keep_ids:
        start = sql.SQL("CASE WHEN q.c0 IS NULL THEN {} ELSE '{{\"type\":\"Feature\",\"id\":' || "
                        "to_json(q.c0)::text || ',' END").format(start)
    feature = sql.SQL(
        "{} || '\"geometry\":' || COALESCE(ST_AsGeoJSON(ST_GeomFromWKB(q.c1), %s), 'null') || "
        "',\"properties\":' || json_build_object({})::text || '}}'").format(start, properties)
    return (sql.SQL("SELECT {} FROM ({}) AS q ({})").format(
        feature, statement.sql, sql.SQL(", ").join(aliases)),
        (precision.MAX_DECIMALS if decimals is None else decimals, *statement.params))


def _cols(fields: Sequence[Field], prefix: str = "s") -> sql.Composable:
    return sql.SQL("").join([sql.SQL(", {}.{}").format(sql.Identifier(prefix),
                                                      sql.Identifier(f.name)) for f in fields])


def _geometry(invalid: str, expression: sql.Composable) -> sql.Composable:
    """Tier 1 repairs invalid geometries by default (``make_valid``)."""
    if invalid == "repair":
        return sql.SQL("CASE WHEN ST_IsValid({g}) THEN {g} ELSE ST_MakeValid({g}) END").format(
            g=expression)
    return expression


def _with(sources: Sequence[tuple[str, Any]]) -> tuple[sql.Composable, list[Any]]:
    parts, params = [], []
    for name, source in sources:
        parts.append(sql.SQL("{} AS ({})").format(sql.Identifier(name), source.select))
        params += list(source.params)
    return sql.SQL("WITH {} ").format(sql.SQL(", ").join(parts)), params


@dataclass(frozen=True)
class _Over:
    """The skeleton every statement shares, which each process's builder fills in: its
    layer queries as the CTEs ``s`` (and ``c``), with their parameters; each side's
    geometry expression, repaired as tier 1 does unless ``invalid=keep``, the second
    side's brought into the first's SRID; and the rows as ``__honua_id``, the result as
    WKB and the first layer's fields (``each``, ``pieces``)."""

    head: sql.Composable
    params: tuple[Any, ...]
    a: Any
    b: Any
    ga: sql.Composable
    gb: sql.Composable
    transform: tuple[Any, ...]
    """The parameters of one use of ``gb`` (its ``ST_Transform``'s SRID, if any)."""

    def each(self, geometry: sql.Composable, where: sql.Composable | None = None
             ) -> sql.Composed:
        """One row per feature of ``s`` (those passing ``where``) in id order, its geometry
        replaced by ``geometry``."""
        filtered = sql.SQL("") if where is None else sql.SQL(" WHERE {}").format(where)
        return sql.SQL("{}SELECT s.{}, ST_AsBinary({}){} FROM s{} ORDER BY s.{}").format(
            self.head, ID, geometry, _cols(self.a.fields), filtered, ID)

    def pieces(self, piece: sql.Composable) -> sql.Composed:
        """One row per feature of ``s`` whose ``piece`` (over its geometry ``l.a``) is neither
        null nor empty, in id order."""
        return sql.SQL(
            "{head}SELECT x.{id}, ST_AsBinary(x.piece){cols} FROM (SELECT s.*, {piece} AS piece "
            "FROM s, LATERAL (SELECT {ga} AS a) AS l) AS x WHERE x.piece IS NOT NULL AND "
            "NOT ST_IsEmpty(x.piece) ORDER BY x.{id}").format(
            head=self.head, id=ID, cols=_cols(self.a.fields, "x"), piece=piece, ga=self.ga)


def _over(inputs: Mapping[str, Any], sources: Mapping[str, Any], first: str,
          second: str | None = None) -> _Over:
    a = sources[first]
    b = sources[second] if second is not None else None
    head, params = _with([("s", a)] if b is None else [("s", a), ("c", b)])
    invalid = inputs.get("invalid", "repair")
    ga = _geometry(invalid, sql.SQL("s.{}").format(GEOM))
    gb = _geometry(invalid, sql.SQL("c.{}").format(GEOM))
    transform: tuple[Any, ...] = ()
    if b is not None and b.srid != a.srid:
        gb = sql.SQL("ST_Transform({}, %s)").format(gb)
        transform = (a.srid,)
    return _Over(head, tuple(params), a, b, ga, gb, transform)


def _invalid_refusal(inputs: Mapping[str, Any]) -> str | None:
    invalid = inputs.get("invalid", "repair")
    return None if invalid in _REPAIR else f"invalid={invalid!r} is handled by tier 1 only"


# -- buffer ----------------------------------------------------------------------------------------
_CAPS = {"round": "round", "flat": "flat", "square": "square"}
_JOINS = {"round": "round", "mitre": "mitre", "bevel": "bevel"}


def _refuse_buffer(inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("side", "full") != "full":
        return "one-sided buffers are drawn by tier 1 only"
    if inputs.get("distance") is None and not inputs.get("distance_field"):
        return None  # tier 1 names the missing distance
    return _invalid_refusal(inputs)


def _build_buffer(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    from honua.geo import units

    source = sources["features"]
    distance, field = inputs.get("distance"), inputs.get("distance_field")
    params: list[Any] = []
    if field:
        if source.field(field) is None:
            raise InvalidParameter(f"input 'distance_field': no field {field!r}",
                                   parameter="distance_field")
        unit = distance.unit if distance is not None else "meters"
        fallback = distance.value if distance is not None else None
        meters: sql.Composable = sql.SQL("(COALESCE({}::double precision, %s) * %s)").format(
            sql.SQL("s.{}").format(sql.Identifier(field)))
        params += [fallback, units.LINEAR_UNITS[unit]]
    else:
        if distance is None:
            raise InvalidParameter("input 'distance': give a distance, or a distance field",
                                   parameter="distance")
        if abs(distance.meters) > 40_075_017.0:
            raise InvalidParameter(f"input 'distance': a buffer distance of {distance.meters:.6g}"
                                   " m is longer than the earth's circumference; check the value "
                                   "and its unit", parameter="distance")
        meters = sql.SQL("%s::double precision")
        params.append(distance.meters)
    style = (f"quad_segs=16 endcap={_CAPS[inputs.get('cap_style', 'round')]} "
             f"join={_JOINS[inputs.get('join_style', 'round')]}")
    over = _over(inputs, sources, "features")
    geometry = over.ga
    if source.crs.is_geographic:
        buffered = sql.SQL("ST_Buffer(({})::geography, {}, %s)::geometry").format(geometry,
                                                                                   meters)
    else:
        buffered = sql.SQL("ST_Buffer({}, {} / %s, %s)").format(geometry, meters)
        params.append(meters_per_unit(source.crs))
    params.append(style)
    dissolve_fields = list(inputs.get("dissolve_fields") or [])
    if not inputs.get("dissolve") and not dissolve_fields:
        return Statement(over.each(buffered), (*over.params, *params), source.fields,
                         source.crs, True, "Polygon")
    return _grouped(over.head, list(over.params), buffered, params, source, dissolve_fields, [], [],
                    multipart=True, kind="polygon")


# -- dissolve -----------------------------------------------------------------------------------
_STATS = {"count": "count({})", "sum": "sum({})", "mean": "avg({})", "min": "min({})",
          "max": "max({})",
          "first": "(array_agg({} ORDER BY s.\"__honua_id\") FILTER (WHERE {} IS NOT NULL))[1]"}


def _check_fields(source: Any, names: Sequence[str], parameter: str) -> None:
    for name in names:
        if source.field(name) is None:
            raise InvalidParameter(f"input {parameter!r}: no field {name!r}", parameter=parameter)


def _grouped(head: sql.Composable, head_params: list[Any], geometry: sql.Composable,
             params: list[Any], source: Any, group: list[str], stat_fields: list[str],
             stats: list[str], *, multipart: bool, kind: str) -> Statement:
    """One feature per group of ``group`` values (all features when empty), in the order of
    each group's first feature, with ``<stat>_<field>`` columns."""
    _check_fields(source, group, "dissolve_fields")
    _check_fields(source, stat_fields, "statistics_fields")
    keys = [sql.SQL("s.{}").format(sql.Identifier(g)) for g in group]
    if kind == "point":
        merged = sql.SQL("ST_Collect({})").format(geometry)
    elif kind == "line":
        merged = sql.SQL("ST_LineMerge(ST_Union({}))").format(geometry)
    else:
        merged = sql.SQL("ST_Union({})").format(geometry)
    outputs: list[sql.Composable] = []
    fields = [f for f in source.fields if f.name in group]
    fields.sort(key=lambda f: group.index(f.name))
    for name in stat_fields:
        column = sql.SQL("s.{}").format(sql.Identifier(name))
        for stat in stats:
            outputs.append(sql.SQL(_STATS[stat]).format(column, column))
            kind_of = source.field(name).type
            fields.append(Field(f"{stat}_{name}", "integer" if stat == "count" else
                                "double" if stat == "mean" else kind_of))
    names = sql.SQL("").join([sql.SQL(", d.{}").format(sql.Identifier(f.name))
                              for f in fields[:len(group)]])
    extra = sql.SQL("").join([sql.SQL(", d.{}").format(sql.Identifier(f"c{i}"))
                              for i in range(len(fields) - len(group))])
    # statistics columns are positional (c0, c1...): their output names may clash with SQL's
    inner = sql.SQL(", ").join([sql.SQL("min(s.{}) AS {}").format(ID, ID),
                                sql.SQL("{} AS g").format(merged),
                                *[sql.SQL("{} AS {}").format(k, sql.Identifier(g))
                                  for k, g in zip(keys, group, strict=True)],
                                *[sql.SQL("{} AS {}").format(o, sql.Identifier(f"c{i}"))
                                  for i, o in enumerate(outputs)]])
    statement = sql.SQL("{}SELECT {} FROM s").format(head, inner)
    if keys:
        statement = sql.SQL("{} GROUP BY {}").format(statement, sql.SQL(", ").join(keys))
    geometry_out = sql.SQL("d.g") if multipart else sql.SQL("(ST_Dump(d.g)).geom")
    outer = sql.SQL("SELECT NULL, ST_AsBinary({}){}{} FROM ({}) AS d ORDER BY d.{}").format(
        geometry_out, names, extra, statement, ID)
    if not multipart:  # null and empty results are kept as they are, like tier 1
        outer = sql.SQL("SELECT NULL, ST_AsBinary(p.geom){}{} FROM ({}) AS d, LATERAL ("
                        "SELECT (ST_Dump(d.g)).geom WHERE d.g IS NOT NULL AND NOT ST_IsEmpty(d.g) "
                        "UNION ALL SELECT d.g WHERE d.g IS NULL OR ST_IsEmpty(d.g)) AS p "
                        "ORDER BY d.{}").format(names, extra, statement, ID)
    return Statement(outer, (*head_params, *params), tuple(fields), source.crs, False)


def _refuse_dissolve(inputs: Mapping[str, Any]) -> str | None:
    return _invalid_refusal(inputs)


def _kind(geometry_type: str) -> str:
    kind = geometry_type.lower()
    return "point" if "point" in kind else "line" if "line" in kind else "polygon"


def _build_dissolve(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    source = sources["features"]
    stat_fields = list(inputs.get("statistics_fields") or [])
    stats = list(dict.fromkeys(inputs.get("statistics") or []))
    if bool(stat_fields) != bool(stats):
        raise InvalidParameter("input 'statistics': give both statistics fields and statistics",
                               parameter="statistics")
    for name in stat_fields:
        kind = source.field(name).type if source.field(name) is not None else "string"
        if kind not in ("integer", "double") and {"sum", "mean"} & set(stats):
            raise InvalidParameter(f"input 'statistics_fields': {name!r} is not numeric, so "
                                   "sum and mean cannot be computed", parameter="statistics_fields")
    over = _over(inputs, sources, "features")
    return _grouped(over.head, list(over.params), over.ga, [], source,
                    list(inputs.get("dissolve_fields") or []), stat_fields, stats,
                    multipart=bool(inputs.get("multipart", True)),
                    kind=_kind(source.geometry_type))


# -- clip ----------------------------------------------------------------------------------------
def _build_clip(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    over = _over(inputs, sources, "features", "clip_features")
    piece = sql.SQL(
        "(SELECT ST_Union(ST_CollectionExtract(ST_Intersection(l.a, {gb}), "
        "ST_Dimension(l.a) + 1)) FROM c WHERE ST_Intersects(l.a, {gb}))").format(gb=over.gb)
    return Statement(over.pieces(piece), (*over.params, *over.transform, *over.transform),
                     over.a.fields, over.a.crs)


# -- centroid ------------------------------------------------------------------------------------
def _build_centroid(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    source = sources["features"]
    over = _over(inputs, sources, "features")
    geometry = over.ga
    if inputs.get("method", "centroid") == "inside":
        point = sql.SQL("ST_PointOnSurface({})").format(geometry)
    elif source.crs.is_geographic:
        point = sql.SQL("ST_Centroid(({})::geography)::geometry").format(geometry)
    else:
        point = sql.SQL("ST_Centroid({})").format(geometry)
    return Statement(over.each(point), over.params, source.fields, source.crs, True, "Point")


# -- select by attribute ------------------------------------------------------------------------
def _refuse_select(inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("filter_crs") is not None:
        return "a filter CRS is handled by tier 1 only"
    return None


def _build_select(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    source = sources["features"]  # the filter is pushed into the layer's own query
    over = _over(inputs, sources, "features")
    return Statement(over.each(sql.SQL("s.{}").format(GEOM)), over.params, source.fields,
                     source.crs)


# -- erase ---------------------------------------------------------------------------------------
def _build_erase(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    over = _over(inputs, sources, "features", "erase_features")
    rest = sql.SQL(
        "COALESCE(ST_CollectionExtract(ST_Difference(l.a, (SELECT ST_Union({gb}) FROM c WHERE "
        "ST_Intersects(l.a, {gb}))), ST_Dimension(l.a) + 1), l.a)").format(gb=over.gb)
    return Statement(over.pieces(rest), (*over.params, *over.transform, *over.transform),
                     over.a.fields, over.a.crs)


# -- convex hull ---------------------------------------------------------------------------------
def _refuse_hull(inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("group", "none") != "none":
        return "hulls of groups are drawn by tier 1 only"
    return None


def _build_hull(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    source = sources["features"]
    over = _over(inputs, sources, "features")
    return Statement(over.each(sql.SQL("ST_ConvexHull(s.{})").format(GEOM)), over.params,
                     source.fields, source.crs)


# -- project -------------------------------------------------------------------------------------
def _refuse_project(inputs: Mapping[str, Any]) -> str | None:
    target = inputs.get("output_crs")
    if target is None or target.crs.to_epsg() is None:
        return "only EPSG coordinate systems are known to PostGIS"
    return None


def _build_project(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    source = sources["features"]
    target = inputs["output_crs"].crs
    over = _over(inputs, sources, "features")
    return Statement(over.each(sql.SQL("ST_Transform(s.{}, %s)").format(GEOM)),
                     (*over.params, int(target.to_epsg())), source.fields, target)


# -- select by location --------------------------------------------------------------------------
_RELATIONS = {"intersects": "ST_Intersects", "within": "ST_Within", "contains": "ST_Contains",
              "touches": "ST_Touches", "crosses": "ST_Crosses", "overlaps": "ST_Overlaps"}


def _refuse_location(inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("predicate", "intersects") not in _RELATIONS:
        return f"the {inputs.get('predicate')!r} relationship is evaluated by tier 1 only"
    if inputs.get("search_distance") is not None:
        return "a search distance is handled by tier 1 only"
    return _invalid_refusal(inputs)


def _build_location(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    over = _over(inputs, sources, "features", "selecting_features")
    test = sql.SQL("EXISTS (SELECT 1 FROM c WHERE {}({}, {}))").format(
        sql.SQL(_RELATIONS[inputs.get("predicate", "intersects")]), over.ga, over.gb)
    if inputs.get("invert"):
        test = sql.SQL("NOT {}").format(test)
    return Statement(over.each(sql.SQL("s.{}").format(GEOM), test),
                     (*over.params, *over.transform), over.a.fields, over.a.crs)


# -- near ----------------------------------------------------------------------------------------
def _refuse_near(inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("location"):
        return "near_x/near_y are found by tier 1 only"
    return _invalid_refusal(inputs)


def _build_near(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    from honua.geo import units

    a = sources["features"]
    over = _over(inputs, sources, "features", "near_features")
    head, params, ga, gb, extra = over.head, over.params, over.ga, over.gb, list(over.transform)
    radius = inputs.get("search_radius")
    if radius is not None and radius.meters < 0:
        raise InvalidParameter("input 'search_radius' must be zero or more",
                               parameter="search_radius")
    unit = inputs.get("distance_unit") or (radius.unit if radius is not None else "meters")
    if a.crs.is_geographic:  # on the spheroid, in metres
        meters = sql.SQL("ST_Distance(({})::geography, ({})::geography)").format(ga, gb)
        scale: list[Any] = []
    else:
        meters = sql.SQL("(ST_Distance({}, {}) * %s)").format(ga, gb)
        scale = [meters_per_unit(a.crs)]
    where: sql.Composable = sql.SQL("")
    where_params: list[Any] = []
    if radius is not None:
        where = sql.SQL("WHERE {} <= %s").format(meters)
        where_params = [*extra, *scale, radius.meters]
    statement = sql.SQL(
        "{head}SELECT s.{id}, ST_AsBinary(s.{g}){cols}, n.fid, n.dist / %s FROM s LEFT JOIN "
        "LATERAL (SELECT c.{id} AS fid, {m} AS dist FROM c {where} ORDER BY 2, 1 LIMIT 1) AS n "
        "ON TRUE ORDER BY s.{id}").format(head=head, id=ID, g=GEOM, cols=_cols(a.fields),
                                          m=meters, where=where)
    fields = (*a.fields, Field("near_fid", "integer"), Field("near_dist", "double"))
    return Statement(statement, (*params, units.LINEAR_UNITS[unit], *extra, *scale,
                                 *where_params), fields, a.crs)


# -- simplify ------------------------------------------------------------------------------------
def _refuse_simplify(inputs: Mapping[str, Any]) -> str | None:
    if not inputs.get("preserve_topology", True):
        return "simplification without preserving topology is done by tier 1 only"
    return _invalid_refusal(inputs)


def _build_simplify(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    source = sources["features"]
    tolerance = inputs.get("tolerance")
    if tolerance is None or not tolerance.meters > 0:
        raise InvalidParameter("input 'tolerance' must be greater than zero",
                               parameter="tolerance")
    over = _over(inputs, sources, "features")
    if source.crs.is_geographic:  # the tolerance on the ground: in the feature's UTM zone
        simplified = sql.SQL(
            "ST_Transform(ST_SimplifyPreserveTopology(ST_Transform(l.g, _ST_BestSRID(l.g)), "
            "%s), ST_SRID(l.g))")
        values: list[Any] = [tolerance.meters]
    else:
        simplified = sql.SQL("ST_SimplifyPreserveTopology(l.g, %s)")
        values = [tolerance.meters / meters_per_unit(source.crs)]
    statement = sql.SQL(
        "{}SELECT s.{}, ST_AsBinary(CASE WHEN l.g IS NULL OR ST_IsEmpty(l.g) OR "
        "ST_Dimension(l.g) = 0 THEN l.g ELSE {} END){} FROM s, LATERAL (SELECT {} AS g) AS l "
        "ORDER BY s.{}").format(over.head, ID, simplified, _cols(source.fields), over.ga, ID)
    return Statement(statement, (*over.params, *values), source.fields, source.crs)


# -- spatial join --------------------------------------------------------------------------------
def _refuse_join(inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("predicate", "intersects") not in _RELATIONS:
        return f"the {inputs.get('predicate')!r} relationship is joined by tier 1 only"
    if inputs.get("join_type", "one_to_one") != "one_to_one":
        return "one-to-many joins are made by tier 1 only"
    if inputs.get("statistics") or inputs.get("statistics_fields"):
        return "statistics of joined features are computed by tier 1 only"
    return _invalid_refusal(inputs)


def _build_join(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    from honua.geo.columns import unique_name

    a, b = sources["target_features"], sources["join_features"]
    names = list(inputs.get("join_fields") or [])
    _check_fields(b, names, "join_fields")
    carried = [f for f in b.fields if not names or f.name in names]
    over = _over(inputs, sources, "target_features", "join_features")
    head, params, ga, gb, transform = over.head, over.params, over.ga, over.gb, over.transform
    test = sql.SQL("{}({}, {})").format(sql.SQL(_RELATIONS[inputs.get("predicate",
                                                                      "intersects")]), ga, gb)
    taken: list[str] = []
    fields: list[Field] = []
    for f in (*a.fields, *carried, Field("join_count", "integer")):  # as geo.attributes names
        fields.append(Field(unique_name(f.name, taken), f.type))
        taken.append(fields[-1].name)
    first = sql.SQL("").join([sql.SQL(", m.{}").format(sql.Identifier(f"j{i}"))
                              for i in range(len(carried))])
    chosen: list[sql.Composable] = [sql.SQL("c.{} AS {}").format(
        sql.Identifier(f.name), sql.Identifier(f"j{i}")) for i, f in enumerate(carried)]
    picked = sql.SQL(", ").join(chosen or [sql.SQL("1 AS j")])
    where = sql.SQL("") if inputs.get("keep_all", True) else sql.SQL("WHERE n.k > 0 ")
    statement = sql.SQL(
        "{head}SELECT s.{id}, ST_AsBinary(s.{g}){cols}{first}, n.k FROM s "
        "LEFT JOIN LATERAL (SELECT {picked} FROM c WHERE {test} ORDER BY c.{id} LIMIT 1) AS m "
        "ON TRUE CROSS JOIN LATERAL (SELECT count(*) AS k FROM c WHERE {test}) AS n "
        "{where}ORDER BY s.{id}").format(head=head, id=ID, g=GEOM, cols=_cols(a.fields),
                                         first=first, picked=picked, test=test, where=where)
    return Statement(statement, (*params, *transform, *transform), tuple(fields), a.crs)


# -- summarize within ----------------------------------------------------------------------------
def _refuse_summarize(inputs: Mapping[str, Any]) -> str | None:
    if inputs.get("statistics") or inputs.get("statistics_fields"):
        return "statistics of the features inside are computed by tier 1 only"
    return _invalid_refusal(inputs)


def _build_summarize(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    from honua.geo import units
    from honua.geo.columns import unique_name

    z, c = sources["polygons"], sources["summary_features"]
    if "polygon" not in z.geometry_type.lower():
        raise InvalidParameter("input 'polygons' must hold polygons", parameter="polygons")
    if c.geometry_type.lower() in ("unknown", "geometrycollection", ""):
        raise InvalidParameter("summary features of mixed geometry types are summarised by "
                               "tier 1 only", parameter="summary_features")
    kind = _kind(c.geometry_type)
    over = _over(inputs, sources, "polygons", "summary_features")
    head, params, gz, gc, transform = over.head, over.params, over.ga, over.gb, over.transform
    extract = {"point": 1, "line": 2, "polygon": 3}[kind]
    if z.crs.is_geographic:  # on the spheroid, as tier 1 measures lon/lat
        measure = sql.SQL("ST_Length(x.piece::geography)" if kind == "line" else
                          "ST_Area(x.piece::geography)")
        scale: list[Any] = []
    else:
        measure = sql.SQL("ST_Length(x.piece) * %s" if kind == "line" else
                          "ST_Area(x.piece) * %s")
        scale = [meters_per_unit(z.crs) ** (1 if kind == "line" else 2)]
    taken = [f.name for f in z.fields]
    fields = list(z.fields)
    added = [("count", "integer")]
    divisor: list[Any] = []
    if kind == "line":
        added.append((f"sum_length_{inputs.get('length_unit', 'meters')}", "double"))
        divisor = [units.LINEAR_UNITS[inputs.get("length_unit", "meters")]]
    elif kind == "polygon":
        added.append((f"sum_area_{inputs.get('area_unit', 'square_meters')}", "double"))
        divisor = [units.AREAL_UNITS[inputs.get("area_unit", "square_meters")]]
    for name, type_ in added:
        fields.append(Field(unique_name(name, taken), type_))
        taken.append(fields[-1].name)
    total = (sql.SQL(", COALESCE(sum({}), 0) / %s AS m").format(measure) if divisor
             else sql.SQL(""))
    where = sql.SQL("") if inputs.get("keep_all", True) else sql.SQL("WHERE t.k > 0 ")
    statement = sql.SQL(
        "{head}SELECT s.{id}, ST_AsBinary(s.{g}){cols}, t.k{m} FROM s CROSS JOIN LATERAL ("
        "SELECT count(*) AS k{total} FROM (SELECT ST_CollectionExtract(ST_Intersection({gc}, "
        "{gz}), {extract}) AS piece FROM c WHERE ST_Intersects({gc}, {gz})) AS x WHERE NOT "
        "ST_IsEmpty(x.piece)) AS t {where}ORDER BY s.{id}").format(
        head=head, id=ID, g=GEOM, cols=_cols(z.fields),
        m=sql.SQL(", t.m") if divisor else sql.SQL(""), total=total, gc=gc, gz=gz,
        extract=sql.Literal(extract), where=where)
    return Statement(statement, (*params, *scale, *divisor, *transform, *transform),
                     tuple(fields), z.crs)


# -- intersect, union ----------------------------------------------------------------------------
_POLYGON_TYPES = ("Polygon", "MultiPolygon")


def _kept(piece: sql.Composable, dimension: sql.Composable) -> sql.Composable:
    """``piece`` reduced to its parts of ``dimension``, as ``geo.dimension.keep_dimension``
    does it (a collection keeping one part becomes that part)."""
    return sql.SQL(
        "CASE WHEN GeometryType({p}) = 'GEOMETRYCOLLECTION' AND ST_NumGeometries("
        "ST_CollectionExtract({p}, {d} + 1)) = 1 THEN ST_GeometryN(ST_CollectionExtract({p}, "
        "{d} + 1), 1) ELSE ST_CollectionExtract({p}, {d} + 1) END").format(p=piece, d=dimension)


def _layer(k: int, source: Any, srid: int, invalid: str, polygons: bool
           ) -> tuple[sql.Composable, list[Any]]:
    """The CTE ``l<k>``: layer ``k``'s features whose geometry is neither null nor empty, as
    ``p`` (the position in id order, as tier 1 reads the layer), ``g`` (brought into the
    first layer's ``srid``, then repaired: ``_overlay_inputs.prepare``'s order) and the
    fields as ``f0``, ``f1``... (positional: no field name can clash with ``p`` or ``g``)."""
    fields = sql.SQL("").join([sql.SQL(", q.{} AS {}").format(sql.Identifier(f.name),
                                                             sql.Identifier(f"f{i}"))
                               for i, f in enumerate(source.fields)])

    def names(alias: str) -> sql.Composable:
        return sql.SQL("").join([sql.SQL(", {}.{}").format(sql.Identifier(alias),
                                                          sql.Identifier(f"f{i}"))
                                 for i in range(len(source.fields))])

    inner: list[Any] = []
    t: sql.Composable = sql.SQL("q.{}").format(GEOM)
    if source.srid != srid:
        t = sql.SQL("ST_Transform({}, %s)").format(t)
        inner.append(srid)
    rows = sql.SQL("SELECT row_number() OVER (ORDER BY q.{id}) AS p, {t} AS t{fields} FROM "
                   "({select}) AS q").format(id=ID, t=t, fields=fields, select=source.select)
    checked: list[Any] = []
    if polygons:  # tier 1 refuses the whole request for one feature of another kind
        rows = sql.SQL(
            "SELECT t.p, CASE WHEN t.t IS NULL OR ST_IsEmpty(t.t) OR GeometryType(t.t) IN "
            "('POLYGON', 'MULTIPOLYGON') THEN t.t ELSE ((%s || GeometryType(t.t) || %s)::int)"
            "::text::geometry END AS t{names} FROM ({rows}) AS t").format(names=names("t"),
                                                                            rows=rows)
        checked = [f"input 'layers' (layer {k + 1}): a feature is a ",
                   "; this process takes polygon or multipolygon features only"]
    cte = sql.SQL(
        "{l} AS (SELECT r.* FROM (SELECT t.p, {g} AS g{names} FROM ({rows}) AS t OFFSET 0) AS r "
        "WHERE r.g IS NOT NULL AND NOT ST_IsEmpty(r.g))").format(
        l=sql.Identifier(f"l{k}"), g=_geometry(invalid, sql.SQL("t.t")), names=names("t"),
        rows=rows)
    return cte, [*checked, *inner, *source.params]


def _indices(k: int, alias: str = "a") -> sql.Composable:
    """The positions a piece of the first ``k`` layers comes from, as ``i0``, ``i1``..."""
    if k == 1:
        return sql.SQL("{}.p AS i0").format(sql.Identifier(alias))
    return sql.SQL(", ").join([sql.SQL("{}.{}").format(sql.Identifier(alias),
                                                       sql.Identifier(f"i{i}"))
                               for i in range(k)])


def _step(k: int, how: str) -> sql.Composable:
    """The CTE ``x<k>``: the pieces so far (``l0`` or ``x<k-1>``) overlaid with layer ``k``,
    as ``geo.overlay.intersection_pairs`` (and, for a union, both sides of its ``erase``)
    make them: pieces of the lower dimension of the two, slivers and empties dropped."""
    a = sql.Identifier("l0" if k == 1 else f"x{k - 1}")
    b = sql.Identifier(f"l{k}")
    i_k = sql.Identifier(f"i{k}")

    def pieces(select: sql.Composable, source: sql.Composable, piece: sql.Composable,
               dimension: sql.Composable) -> sql.Composable:
        return sql.SQL(
            "SELECT {select}, y.g FROM {source} CROSS JOIN LATERAL (SELECT {piece} AS x OFFSET 0) "
            "AS o CROSS JOIN LATERAL (SELECT {kept} AS g OFFSET 0) AS y WHERE y.g IS NOT NULL "
            "AND NOT ST_IsEmpty(y.g)").format(select=select, source=source, piece=piece,
                                              kept=_kept(sql.SQL("o.x"), dimension))

    both = pieces(sql.SQL("{}, b.p AS {}").format(_indices(k), i_k),
                  sql.SQL("{} AS a JOIN {} AS b ON ST_Intersects(a.g, b.g)").format(a, b),
                  sql.SQL("ST_Intersection(a.g, b.g)"),
                  sql.SQL("LEAST(ST_Dimension(a.g), ST_Dimension(b.g))"))
    if how == "intersection":
        return sql.SQL("{} AS ({})").format(sql.Identifier(f"x{k}"), both)
    only_a = pieces(sql.SQL("{}, NULL::bigint AS {}").format(_indices(k), i_k),
                    sql.SQL("{} AS a").format(a),
                    sql.SQL("COALESCE(ST_Difference(a.g, (SELECT ST_Union(b.g) FROM {} AS b "
                            "WHERE ST_Intersects(a.g, b.g))), a.g)").format(b),
                    sql.SQL("ST_Dimension(a.g)"))
    nulls = sql.SQL(", ").join([sql.SQL("NULL::bigint AS {}").format(sql.Identifier(f"i{i}"))
                                for i in range(k)])
    only_b = pieces(sql.SQL("{}, b.p AS {}").format(nulls, i_k),
                    sql.SQL("{} AS b").format(b),
                    sql.SQL("COALESCE(ST_Difference(b.g, (SELECT ST_Union(a.g) FROM {} AS a "
                            "WHERE ST_Intersects(b.g, a.g))), b.g)").format(a),
                    sql.SQL("ST_Dimension(b.g)"))
    return sql.SQL("{} AS ({} UNION ALL {} UNION ALL {})").format(
        sql.Identifier(f"x{k}"), both, only_a, only_b)


def _overlay_layers(inputs: Mapping[str, Any], sources: Mapping[str, Any], how: str
                    ) -> Statement:
    """Intersect or union (``how``) of the ``layers``, as ``_overlay_run.run_layers``: layers
    overlaid in turn, each piece carrying the fields of the feature of every layer it lies
    in (nulls for a layer it lies outside of), later layers' clashing names suffixed as
    ``geo.attributes.join_rows`` does, no ids, pieces in the order of the features they
    come from (layer by layer, none last)."""
    from honua.geo.columns import unique_name

    layers = list(sources["layers"])
    if len(layers) < 2:
        raise InvalidParameter("input 'layers' needs two or more layers", parameter="layers")
    polygons = how == "union"
    if polygons:
        for k, layer in enumerate(layers, start=1):
            if layer.geometry_type not in (*_POLYGON_TYPES, "Unknown", "GeometryCollection"):
                raise InvalidParameter(
                    f"input 'layers' (layer {k}) holds {layer.geometry_type} features; this "
                    "process takes polygon or multipolygon features only", parameter="layers")
    invalid = inputs.get("invalid", "repair")
    srid = layers[0].srid
    ctes: list[sql.Composable] = []
    params: list[Any] = []
    for k, layer in enumerate(layers):
        cte, values = _layer(k, layer, srid, invalid, polygons)
        ctes.append(cte)
        params += values
    ctes += [_step(k, how) for k in range(1, len(layers))]
    taken: list[str] = []
    fields: list[Field] = []
    columns: list[sql.Composable] = []
    joins: list[sql.Composable] = []
    for k, layer in enumerate(layers):
        alias = sql.Identifier(f"l{k}")
        joins.append(sql.SQL(" LEFT JOIN {l} AS {l} ON {l}.p = x.{i}").format(
            l=alias, i=sql.Identifier(f"i{k}")))
        for i, f in enumerate(layer.fields):
            fields.append(Field(unique_name(f.name, taken), f.type))
            taken.append(fields[-1].name)
            columns.append(sql.SQL(", {}.{}").format(alias, sql.Identifier(f"f{i}")))
    order = sql.SQL(", ").join([sql.SQL("x.{}").format(sql.Identifier(f"i{k}"))
                                for k in range(len(layers))])
    statement = sql.SQL("WITH {ctes} SELECT NULL, ST_AsBinary(x.g){columns} FROM {last} AS x"
                        "{joins} ORDER BY {order}").format(
        ctes=sql.SQL(", ").join(ctes), columns=sql.SQL("").join(columns),
        last=sql.Identifier(f"x{len(layers) - 1}"), joins=sql.SQL("").join(joins), order=order)
    return Statement(statement, tuple(params), tuple(fields), layers[0].crs, False,
                     "Polygon" if polygons else "Unknown")


def _build_intersect(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    return _overlay_layers(inputs, sources, "intersection")


def _build_union(inputs: Mapping[str, Any], sources: Mapping[str, Any]) -> Statement:
    return _overlay_layers(inputs, sources, "union")


BUILDERS: dict[str, Builder] = {
    "intersect": Builder(("layers",), _invalid_refusal, _build_intersect),
    "union": Builder(("layers",), _invalid_refusal, _build_union),
    "summarize_within": Builder(("polygons", "summary_features"), _refuse_summarize,
                                _build_summarize),
    "spatial_join": Builder(("target_features", "join_features"), _refuse_join, _build_join),
    "simplify": Builder(("features",), _refuse_simplify, _build_simplify),
    "buffer": Builder(("features",), _refuse_buffer, _build_buffer),
    "dissolve": Builder(("features",), _refuse_dissolve, _build_dissolve),
    "clip": Builder(("features", "clip_features"), _invalid_refusal, _build_clip),
    "centroid": Builder(("features",), _invalid_refusal, _build_centroid),
    "select_by_attribute": Builder(("features",), _refuse_select, _build_select,
                                   filter_input="filter", invert_input="invert"),
    "erase": Builder(("features", "erase_features"), _invalid_refusal, _build_erase),
    "convex_hull": Builder(("features",), _refuse_hull, _build_hull),
    "project": Builder(("features",), _refuse_project, _build_project),
    "select_by_location": Builder(("features", "selecting_features"), _refuse_location,
                                  _build_location),
    "near": Builder(("features", "near_features"), _refuse_near, _build_near),
}
"""The processes that have a tier-2 form."""
