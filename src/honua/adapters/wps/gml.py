"""GML simple features <-> the core's FeatureCollection and geometries.

Reading accepts GML 2.1.2 (``coordinates``), GML 3.1 and 3.2 (``pos``/``posList``)
geometries, alone or inside any feature collection that wraps its features in
``featureMember``/``member``/``featureMembers`` (WFS 1.0/1.1/2.0, OGR, GeoServer).
Writing produces GML 3.2 inside a WFS 2.0 ``FeatureCollection`` or GML 2.1.2
inside a WFS 1.0 one. Axis order follows the CRS name (see ``crsnames``): with
``urn:ogc:def:crs:EPSG::4326`` coordinates are lat/lon on the wire, with
``EPSG:4326`` and CRS84 lon/lat; the core always holds x/y.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from lxml import etree
from pyproj import CRS

from honua.adapters.wps import crsnames
from honua.adapters.wps.safexml import E, children, local, namespace, qname
from honua.errors import InvalidParameter
from honua.geo.features import FeatureCollection

GML32 = "http://www.opengis.net/gml/3.2"
GML = "http://www.opengis.net/gml"  # GML 2 and 3.1
GML_NAMESPACES = (GML32, GML)
WFS20 = "http://www.opengis.net/wfs/2.0"
WFS10 = "http://www.opengis.net/wfs"
FEATURES_NS = "urn:honua:features"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_NIL = f"{{{XSI}}}nil"

GEOMETRIES = frozenset({
    "Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiCurve",
    "MultiPolygon", "MultiSurface", "MultiGeometry", "GeometryCollection", "Envelope", "Box",
})
_MEMBERS = {"pointMember": "*", "pointMembers": "*", "lineStringMember": "*", "curveMember": "*",
            "curveMembers": "*", "polygonMember": "*", "surfaceMember": "*", "surfaceMembers": "*",
            "geometryMember": "*", "geometryMembers": "*"}
_MULTI = frozenset({"MultiPoint", "MultiLineString", "MultiCurve", "MultiPolygon", "MultiSurface",
                    "MultiGeometry", "GeometryCollection"})
_NCNAME = re.compile(r"[^A-Za-z0-9_.\-]")


# -- reading --------------------------------------------------------------------------------

@dataclass
class _Reading:
    """CRS state while reading one document: every geometry must share one CRS."""

    where: str
    current: crsnames.WireCrs | None = None
    dims: list[int] = field(default_factory=list)

    def enter(self, element: etree._Element, inherited: crsnames.WireCrs | None) -> crsnames.WireCrs:
        name = element.get("srsName")
        wire = crsnames.read_crs(name, inherited) if name else inherited
        if wire is None:
            wire = self.current or crsnames.read_crs(None)
        if self.current is None:
            self.current = wire
        elif not wire.crs.equals(self.current.crs) and name:
            raise InvalidParameter(f"{self.where}: geometries in several CRSs "
                                   f"({self.current.crs.name} and {wire.crs.name}); use one")
        return wire


def is_gml_geometry(element: etree._Element) -> bool:
    return namespace(element) in GML_NAMESPACES and local(element) in GEOMETRIES


def _is_gml_shape(element: etree._Element) -> bool:
    """A GML geometry element, simple or not (Curve, Surface ... are refused when read)."""
    return namespace(element) in GML_NAMESPACES and local(element)[:1].isupper() and local(
        element) not in ("FeatureCollection", "Null")


def _numbers(text: str | None, where: str) -> np.ndarray:
    try:
        return np.array((text or "").split(), dtype=float)
    except ValueError:
        raise InvalidParameter(f"{where}: GML coordinates must be numbers") from None


def _dimension(element: etree._Element, default: int) -> int:
    """``srsDimension`` of the element or of the nearest ancestor that declares it."""
    for candidate in (element, *element.iterancestors()):
        if candidate.get("srsDimension"):
            try:
                return max(2, min(3, int(candidate.get("srsDimension"))))
            except ValueError:
                break
    return default


def _coordinates_element(element: etree._Element, where: str) -> np.ndarray:
    decimal, cs, ts = element.get("decimal", "."), element.get("cs", ","), element.get("ts", " ")
    text = (element.text or "").strip()
    if decimal != "." and decimal not in (cs, ts):
        text = text.replace(decimal, ".")
    rows = [row for row in (text.split(ts) if ts.strip() else text.split()) if row.strip()]
    try:
        points = [[float(v) for v in row.split(cs)] for row in rows]
    except ValueError:
        raise InvalidParameter(f"{where}: GML coordinates must be numbers") from None
    if not points or len({len(p) for p in points}) != 1 or len(points[0]) not in (2, 3):
        raise InvalidParameter(f"{where}: each GML coordinate needs 2 or 3 numbers")
    return np.array(points, dtype=float)


def _coords(element: etree._Element, wire: crsnames.WireCrs, where: str) -> np.ndarray:
    """The coordinates held by a Point/LineString/LinearRing, in x/y order."""
    dim = _dimension(element, 2)
    pos_list = next(iter(children(element, "posList")), None)
    if pos_list is not None:
        numbers = _numbers(pos_list.text, where)
        dim = _dimension(pos_list, dim)
        if len(numbers) % dim:
            raise InvalidParameter(f"{where}: a posList needs a multiple of {dim} numbers")
        points = numbers.reshape(-1, dim)
    elif children(element, "pos"):
        rows = [_numbers(p.text, where) for p in children(element, "pos")]
        if len({len(r) for r in rows}) != 1 or len(rows[0]) not in (2, 3):
            raise InvalidParameter(f"{where}: each gml:pos needs 2 or 3 numbers")
        points = np.vstack(rows)
    elif children(element, "coordinates"):
        points = _coordinates_element(children(element, "coordinates")[0], where)
    elif children(element, "coord"):
        points = np.array([[float(c.findtext(f"{{{namespace(c)}}}{axis}") or "nan")
                            for axis in ("X", "Y")] for c in children(element, "coord")])
    else:
        raise InvalidParameter(f"{where}: gml:{local(element)} has no coordinates")
    if wire.swap:
        points = points.copy()
        points[:, [0, 1]] = points[:, [1, 0]]
    return points


def _ring(holder: etree._Element, wire: crsnames.WireCrs, where: str) -> np.ndarray:
    rings = [c for c in children(holder) if local(c) == "LinearRing"]
    if not rings:
        raise InvalidParameter(f"{where}: a polygon boundary needs a gml:LinearRing")
    return _coords(rings[0], wire, where)


def _members(element: etree._Element) -> list[etree._Element]:
    found: list[etree._Element] = []
    for member in children(element):
        if local(member) in _MEMBERS:
            found.extend(c for c in children(member) if _is_gml_shape(c))
    return found


def _geometry(element: etree._Element, reading: _Reading,
              inherited: crsnames.WireCrs | None) -> shapely.Geometry:
    wire = reading.enter(element, inherited)
    kind, where = local(element), reading.where
    if kind == "Point":
        points = _coords(element, wire, where)
        if len(points) != 1:
            raise InvalidParameter(f"{where}: a gml:Point has exactly one position")
        return shapely.points(points[0])
    if kind in ("LineString", "LinearRing"):
        return shapely.linestrings(_coords(element, wire, where))
    if kind == "Polygon":
        outer = [c for c in children(element) if local(c) in ("exterior", "outerBoundaryIs")]
        if not outer:
            raise InvalidParameter(f"{where}: a gml:Polygon needs an exterior ring")
        holes = [_ring(c, wire, where) for c in children(element)
                 if local(c) in ("interior", "innerBoundaryIs")]
        try:
            return shapely.Polygon(_ring(outer[0], wire, where), holes)
        except (ValueError, shapely.errors.GEOSException) as exc:
            raise InvalidParameter(f"{where}: invalid gml:Polygon ring: {exc}") from None
    if kind in ("Envelope", "Box"):
        corners = [element.findtext(f"{{{namespace(element)}}}{c}") for c in ("lowerCorner", "upperCorner")]
        if all(corners):
            box = np.vstack([_numbers(c, where)[:2] for c in corners])
            box = box[:, [1, 0]] if wire.swap else box
        else:
            box = _coords(element, wire, where)
        if len(box) != 2:
            raise InvalidParameter(f"{where}: a gml:{kind} has two corners")
        return shapely.box(*box.min(axis=0)[:2], *box.max(axis=0)[:2])
    if kind not in _MULTI:
        raise InvalidParameter(f"{where}: gml:{kind} is not a simple feature geometry; use Point, "
                               "LineString, Polygon or their Multi- forms")
    parts = [_geometry(m, reading, wire) for m in _members(element)]
    if kind == "MultiPoint":
        return shapely.MultiPoint(parts)
    if kind in ("MultiLineString", "MultiCurve"):
        return shapely.MultiLineString(parts)
    if kind in ("MultiPolygon", "MultiSurface"):
        return shapely.MultiPolygon(parts)
    return shapely.GeometryCollection(parts)


def read_geometry(element: etree._Element, *, where: str = "geometry") -> tuple[Any, CRS]:
    """One shapely geometry (x/y order) and its CRS from a GML geometry element."""
    if not is_gml_geometry(element):
        raise InvalidParameter(f"{where}: expected a GML geometry, got <{local(element)}>")
    reading = _Reading(where)
    try:
        shape = _geometry(element, reading, None)
    except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
        raise InvalidParameter(f"{where}: invalid GML geometry: {exc}") from None
    return shape, (reading.current or crsnames.read_crs(None)).crs


def _typed(text: str | None) -> Any:
    """Attribute text as a number when it reads back identically, else as text."""
    if text is None or not any(c.isdigit() for c in text):
        return text
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        if repr(value) == text or (kind is int and str(value) == text):
            return value
    return text


def _feature_elements(root: etree._Element) -> list[etree._Element]:
    found: list[etree._Element] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = local(element)
        if name in ("featureMember", "member"):
            found.extend(children(element)[:1])
        elif name == "featureMembers":
            found.extend(children(element))
    return found


def _feature(element: etree._Element, reading: _Reading,
             inherited: crsnames.WireCrs | None) -> tuple[Any, dict[str, Any], Any]:
    geometry = None
    attributes: dict[str, Any] = {}
    for prop in children(element):
        if local(prop) == "boundedBy":
            continue
        kids = children(prop)
        shapes = [k for k in kids if _is_gml_shape(k)]
        if shapes:
            if geometry is None:
                geometry = _geometry(shapes[0], reading, inherited)
        elif namespace(prop) in GML_NAMESPACES:
            continue  # gml:name, gml:description ...
        elif not kids:
            attributes[local(prop)] = None if prop.get(XSI_NIL) == "true" else _typed(prop.text)
    identifier = element.get(qname(GML32, "id")) or element.get(qname(GML, "id")) or element.get("fid")
    return geometry, attributes, identifier


def read_features(root: etree._Element, *, where: str = "features") -> FeatureCollection:
    """A FeatureCollection from a GML geometry, feature or feature collection element."""
    reading = _Reading(where)
    try:
        if _is_gml_shape(root):
            shape = _geometry(root, reading, None)
            assert reading.current is not None  # reading a geometry sets it
            return FeatureCollection.from_geometries([shape], crs=reading.current.crs)
        elements = _feature_elements(root) or [root]
        bounded = next((c for b in children(root, "boundedBy") for c in children(b)), None)
        inherited = (crsnames.read_crs(bounded.get("srsName"))
                     if bounded is not None and bounded.get("srsName") else None)
        rows = [_feature(e, reading, inherited) for e in elements]
    except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
        raise InvalidParameter(f"{where}: invalid GML: {exc}") from None
    names: dict[str, None] = {}
    for _, attributes, _ in rows:
        names.update(dict.fromkeys(attributes))
    columns = {n: [attributes.get(n) for _, attributes, _ in rows] for n in names}
    ids = [identifier for _, _, identifier in rows]
    crs = (reading.current or inherited or crsnames.read_crs(None)).crs
    return FeatureCollection(np.array([g for g, _, _ in rows], dtype=object), columns, crs,
                             ids if any(i is not None for i in ids) else None)


# -- writing --------------------------------------------------------------------------------

@dataclass
class _Writer:
    version: str  # "3.2" | "2"
    srs_name: str
    swap: bool
    counter: int = 0

    @property
    def ns(self) -> str:
        return GML32 if self.version == "3.2" else GML

    def _text(self, coords: np.ndarray) -> str:
        if self.swap:
            coords = coords[:, [1, 0, *range(2, coords.shape[1])]]
        if self.version == "3.2":
            return " ".join(repr(float(v)) for v in coords.ravel())
        return " ".join(",".join(repr(float(v)) for v in row) for row in coords)

    def _positions(self, tag: str, coords: np.ndarray, **attrib: str | None) -> etree._Element:
        element = self._el(tag, attrib)
        if self.version == "3.2":
            name = "pos" if tag == "Point" else "posList"
            element.append(E(qname(GML32, name), {"srsDimension": str(coords.shape[1])},
                             text=self._text(coords)))
        else:
            element.append(E(qname(GML, "coordinates"), {"decimal": ".", "cs": ",", "ts": " "},
                             text=self._text(coords)))
        return element

    def _el(self, tag: str, attrib: dict[str, str | None] | None = None) -> etree._Element:
        attrib = dict(attrib or {})
        if self.version == "3.2" and tag != "LinearRing":  # GML 3.2 geometries need a gml:id
            self.counter += 1
            attrib[qname(GML32, "id")] = f"g{self.counter}"
        return E(qname(self.ns, tag), attrib)

    def geometry(self, shape: Any, top: bool = True) -> etree._Element:
        kind = shape.geom_type
        coords = shapely.get_coordinates(shape, include_z=shapely.has_z(shape))
        if kind in ("Point", "LineString", "LinearRing"):
            element = self._positions(kind, coords)
        elif kind == "Polygon":
            element = self._polygon(shape)
        else:
            element = self._multi(shape)
        if top:
            element.set("srsName", self.srs_name)
        return element

    def _polygon(self, shape: Any) -> etree._Element:
        element = self._el("Polygon")
        outer, inner = ("exterior", "interior") if self.version == "3.2" else (
            "outerBoundaryIs", "innerBoundaryIs")
        rings = [(outer, shape.exterior), *((inner, r) for r in shape.interiors)]
        for name, ring in rings:
            coords = shapely.get_coordinates(ring, include_z=shapely.has_z(ring))
            element.append(E(qname(self.ns, name), None, self._positions("LinearRing", coords)))
        return element

    def _multi(self, shape: Any) -> etree._Element:
        names32 = {"MultiPoint": ("MultiPoint", "pointMember"),
                   "MultiLineString": ("MultiCurve", "curveMember"),
                   "MultiPolygon": ("MultiSurface", "surfaceMember"),
                   "GeometryCollection": ("MultiGeometry", "geometryMember")}
        names2 = {"MultiPoint": ("MultiPoint", "pointMember"),
                  "MultiLineString": ("MultiLineString", "lineStringMember"),
                  "MultiPolygon": ("MultiPolygon", "polygonMember"),
                  "GeometryCollection": ("MultiGeometry", "geometryMember")}
        tag, member = (names32 if self.version == "3.2" else names2)[shape.geom_type]
        element = self._el(tag)
        for part in shape.geoms:
            element.append(E(qname(self.ns, member), None, self.geometry(part, top=False)))
        return element


def _writer(crs: CRS, version: str) -> _Writer:
    if version == "3.2":
        name, swap = crsnames.urn_name(crs)
        return _Writer("3.2", name, swap)
    return _Writer("2", crsnames.short_name(crs), False)


def write_geometry(shape: Any, crs: CRS, version: str = "3.2") -> etree._Element:
    """A GML geometry element (``version`` "3.2" or "2") for one shapely geometry."""
    if shape is None or shapely.is_empty(shape):
        raise InvalidParameter("an empty geometry cannot be written as GML")
    return _writer(crs, version).geometry(shape)


def _property_name(name: str) -> str:
    cleaned = _NCNAME.sub("_", name) or "_"
    return cleaned if cleaned[0].isalpha() or cleaned[0] == "_" else f"_{cleaned}"


def _value_text(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _feature_element(writer: _Writer, index: int, shape: Any, identifier: Any,
                     attributes: Iterable[tuple[str, Any]]) -> etree._Element:
    fid = _NCNAME.sub("_", f"f.{identifier if identifier is not None else index + 1}")
    attrib = {qname(GML32, "id"): fid} if writer.version == "3.2" else {"fid": fid}
    feature = E(qname(FEATURES_NS, "feature"), attrib)
    if shape is not None and not shapely.is_empty(shape):
        feature.append(E(qname(FEATURES_NS, "geometry"), None, writer.geometry(shape)))
    for name, value in attributes:
        prop = E(qname(FEATURES_NS, _property_name(name)))
        if value is None:
            prop.set(XSI_NIL, "true")
        else:
            prop.text = _value_text(value)
        feature.append(prop)
    return feature


def _bounded_by(writer: _Writer, bounds: tuple[float, ...] | None) -> etree._Element:
    envelope = E(qname(GML, "boundedBy"))
    if bounds is None:
        envelope.append(E(qname(GML, "null"), text="missing"))
        return envelope
    box = np.array([[bounds[0], bounds[1]], [bounds[2], bounds[3]]])
    envelope.append(E(qname(GML, "Box"), {"srsName": writer.srs_name},
                      E(qname(GML, "coordinates"), {"decimal": ".", "cs": ",", "ts": " "},
                        text=writer._text(box))))
    return envelope


def write_features(collection: FeatureCollection, version: str = "3.2") -> etree._Element:
    """A WFS feature collection of GML features: WFS 2.0 + GML 3.2, or WFS 1.0 + GML 2.1.2."""
    writer = _writer(collection.crs, version)
    names = list(collection.columns)
    columns = [collection.columns[n] for n in names]
    ids = collection.ids
    count = str(len(collection))
    if version == "3.2":
        stamp = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        root = E(qname(WFS20, "FeatureCollection"),
                 {"timeStamp": stamp, "numberMatched": count, "numberReturned": count},
                 nsmap={"wfs": WFS20, "gml": GML32, "hf": FEATURES_NS, "xsi": XSI})
        member = qname(WFS20, "member")
    else:
        root = E(qname(WFS10, "FeatureCollection"), None,
                 _bounded_by(writer, collection.bounds),
                 nsmap={"wfs": WFS10, "gml": GML, "hf": FEATURES_NS, "xsi": XSI})
        member = qname(GML, "featureMember")
    for i, shape in enumerate(collection.geometry):
        attributes = [(n, c[i]) for n, c in zip(names, columns, strict=True)]
        root.append(E(member, None, _feature_element(
            writer, i, shape, ids[i] if ids is not None else None, attributes)))
    return root
