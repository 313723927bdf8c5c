"""What an uploaded file is, and whether it is safe to keep: formats, magic bytes, archives.

Every check here runs on a file already inside the upload area, before it is
accepted. A file is refused (``InvalidParameter`` / ``PayloadTooLarge`` with a
message for the person who sent it) when its format is not among the server's
``allowed_formats``, when its bytes are a dataset that points GDAL at other
files or URLs (VRT, GDALG: ``uploads_sniff``), when its name promises one
format and its bytes are another (an SQLite file that is not a GeoPackage
included), when a zip would expand past the limits (total size, ratio, number
of entries) or names an entry outside its folder (``../``, absolute paths,
symbolic links), or when GDAL, in the confined reader, cannot open it as the
format it claims.
Archives are extracted entry by entry, counting the bytes actually written, so
a zip whose directory lies about its sizes is stopped all the same.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from honua.errors import InvalidParameter, PayloadTooLarge
from honua.store.uploads_sniff import HEAD_BYTES, indirection, is_geopackage, text_of, xml_root

__all__ = ["DEFAULT_FORMATS", "FORMATS", "ArchiveLimits", "Format", "allowed_formats",
           "check_dataset", "check_file", "extract_shapefile_zip", "format_for_name", "safe_name"]


@dataclass(frozen=True)
class Format:
    """An accepted upload format."""

    name: str
    title: str
    extensions: tuple[str, ...]
    media_type: str
    driver: str
    """The one GDAL driver that opens it (never GDAL's guess from the content)."""


FORMATS: tuple[Format, ...] = (
    Format("shapefile", "zipped Shapefile", (".zip",), "application/zip", "ESRI Shapefile"),
    Format("geopackage", "GeoPackage", (".gpkg",), "application/geopackage+sqlite3", "GPKG"),
    Format("geojson", "GeoJSON", (".geojson", ".json"), "application/geo+json", "GeoJSON"),
    Format("flatgeobuf", "FlatGeobuf", (".fgb",), "application/flatgeobuf", "FlatGeobuf"),
    Format("kml", "KML", (".kml",), "application/vnd.google-earth.kml+xml", "KML"),
    Format("csv", "CSV with longitude/latitude or WKT columns", (".csv",), "text/csv", "CSV"),
    Format("gml", "GML", (".gml",), "application/gml+xml", "GML"),
)
DEFAULT_FORMATS = tuple(f.name for f in FORMATS)
TEXT_FORMATS = ("geojson", "kml", "csv", "gml")
_GML_NAMESPACE = b"http://www.opengis.net/gml"


def allowed_formats(names: tuple[str, ...] | list[str]) -> tuple[Format, ...]:
    """The formats named (by name, e.g. ``geopackage``, or GDAL driver, e.g. ``GPKG``).

    Raises ``ValueError`` for a name that is not one of ``FORMATS``, so a
    misconfigured server fails at start.
    """
    known = {key.lower(): f for f in FORMATS for key in (f.name, f.driver)}
    chosen = []
    for name in names:
        fmt = known.get(name.strip().lower())
        if fmt is None:
            raise ValueError(f"allowed_formats: {name!r} is not one of "
                             f"{', '.join(f.name for f in FORMATS)}")
        if fmt not in chosen:
            chosen.append(fmt)
    return tuple(chosen)


def _accepted(formats: tuple[Format, ...]) -> str:
    return ", ".join(f"{f.title} ({'/'.join(f.extensions)})" for f in formats)

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
LONGITUDE_NAMES = ("longitude", "lon", "long", "lng", "x")
LATITUDE_NAMES = ("latitude", "lat", "y")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")


@dataclass(frozen=True)
class ArchiveLimits:
    max_uncompressed_bytes: int = 1 << 30
    max_ratio: float = 100.0
    max_entries: int = 1000


def safe_name(name: str, default: str = "upload") -> str:
    """A file name that is harmless on any file system: the last path part, plain characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")[:100]
    return cleaned or default


def format_for_name(name: str, media_type: str = "",
                    formats: tuple[Format, ...] = FORMATS) -> Format:
    """The format a file's name (else its media type) announces, if ``formats`` has it;
    refuses anything else."""
    suffix = PurePosixPath(name.lower()).suffix
    by_extension = {ext: f for f in formats for ext in f.extensions}
    if suffix in by_extension:
        return by_extension[suffix]
    if suffix in (".shp", ".shx", ".dbf") and any(f.name == "shapefile" for f in formats):
        raise InvalidParameter("a Shapefile is several files: zip the .shp, .shx, .dbf "
                               "(and .prj) together and upload the .zip")
    bare = media_type.split(";")[0].strip().lower()
    by_media_type = {f.media_type: f for f in formats}
    if not suffix and bare in by_media_type:
        return by_media_type[bare]
    raise InvalidParameter(f"cannot accept {name!r}: the accepted formats are "
                           f"{_accepted(formats)}")


# -- magic bytes ----------------------------------------------------------------------------------
def _head(path: Path, size: int = HEAD_BYTES) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def _text_start(head: bytes) -> bytes:
    return text_of(head).lstrip()


_SHP_MAGIC = b"\x00\x00\x27\x0a"
"""File code 9994 (big-endian) that starts every .shp and .shx."""


def _looks_like(fmt: Format, head: bytes) -> bool:
    if fmt.name == "shapefile":
        return head.startswith(b"PK\x03\x04")
    if fmt.name == "geopackage":
        return is_geopackage(head)
    if fmt.name == "flatgeobuf":
        return head[:3] == b"fgb" and head[4:7] == b"fgb"
    if b"\x00" in text_of(head):
        return False  # binary bytes in a text format
    start = _text_start(head)
    if fmt.name == "geojson":
        return start.startswith(b"{")
    if fmt.name == "kml":
        return xml_root(head) == "kml"
    if fmt.name == "gml":
        return xml_root(head) is not None and _GML_NAMESPACE in head
    return _decodes(head)


def _mismatch(fmt: Format, head: bytes) -> InvalidParameter:
    if fmt.name == "geopackage" and head.startswith(b"SQLite format 3\x00"):
        return InvalidParameter("the file is an SQLite database but not a GeoPackage (its "
                                "application_id is not GPKG); only GeoPackages are accepted")
    return InvalidParameter(f"the file's name says {fmt.title} but its content is not; upload "
                            "the file in the format its name announces")


def _decodes(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a character cut by the end of the sample
    return True


def _scan_for_entities(path: Path, fmt: Format) -> None:
    """KML and GML are XML: refuse DTDs outright (entity expansion, external entities)."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            window = (tail + chunk).upper()
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                raise InvalidParameter(f"the {fmt.title} file declares a DOCTYPE or entities, "
                                       "which this server does not accept; remove the "
                                       "<!DOCTYPE ...> part")
            tail = chunk[-16:]


def _check_csv_header(path: Path) -> None:
    first = _text_start(_head(path, 16384)).splitlines()[:1]
    header = first[0].decode("utf-8", "replace") if first else ""
    delimiter = max(",;\t|", key=header.count)
    names = {part.strip().strip('"').lower() for part in header.split(delimiter)}
    has_xy = names & set(LONGITUDE_NAMES) and names & set(LATITUDE_NAMES)
    if not has_xy and not names & set(WKT_NAMES):
        raise InvalidParameter(
            "the CSV file needs a header row with longitude and latitude columns "
            "(e.g. 'lon,lat') or a WKT geometry column named 'wkt'")


# -- archives -------------------------------------------------------------------------------------
def _entry_name(info: zipfile.ZipInfo) -> str:
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        raise InvalidParameter(f"the zip file has an entry outside its folder ({info.filename!r}); "
                               "such archives are refused")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise InvalidParameter(f"the zip file holds a symbolic link ({info.filename!r}); "
                               "such archives are refused")
    return name


def _check_directory(archive: zipfile.ZipFile, limits: ArchiveLimits,
                     compressed_size: int) -> list[zipfile.ZipInfo]:
    entries = archive.infolist()
    if len(entries) > limits.max_entries:
        raise PayloadTooLarge(f"the zip file has {len(entries)} entries; at most "
                              f"{limits.max_entries} are accepted")
    total = 0
    for info in entries:
        _entry_name(info)
        total += info.file_size
        if info.file_size > limits.max_ratio * max(info.compress_size, 1) + 4096:
            raise PayloadTooLarge(f"zip entry {info.filename!r} expands more than "
                                  f"{limits.max_ratio:g} times: refused as a possible zip bomb")
    _check_total(total, compressed_size, limits)
    return [info for info in entries if not info.is_dir()]


def _check_total(total: int, compressed_size: int, limits: ArchiveLimits) -> None:
    if total > limits.max_uncompressed_bytes:
        raise PayloadTooLarge(f"the zip file expands to more than "
                              f"{limits.max_uncompressed_bytes / 1048576:g} MB; refused")
    if total > limits.max_ratio * max(compressed_size, 1) + 65536:
        raise PayloadTooLarge(f"the zip file expands more than {limits.max_ratio:g} times its "
                              "size: refused as a possible zip bomb")


def extract_shapefile_zip(archive_path: Path, target: Path, limits: ArchiveLimits) -> Path:
    """Extract the Shapefile parts of a zip into ``target`` (flat); returns the ``.shp``.

    Only ``.shp/.shx/.dbf/.prj/.cpg`` entries are written, under their plain
    base names; the bytes written are counted against the limits as they go.
    """
    compressed = archive_path.stat().st_size
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError):
        raise InvalidParameter("the file is not a readable zip archive") from None
    with archive:
        entries = _check_directory(archive, limits, compressed)
        wanted = [i for i in entries if PurePosixPath(i.filename.lower()).suffix in SHAPEFILE_PARTS]
        shps = [i for i in wanted if i.filename.lower().endswith(".shp")]
        if len(shps) != 1:
            raise InvalidParameter(
                "the zip file must hold exactly one Shapefile (.shp with its .shx and .dbf); "
                f"it holds {len(shps)}")
        target.mkdir(parents=True, exist_ok=True)
        written = 0
        names: set[str] = set()
        for info in wanted:
            name = safe_name(PurePosixPath(_entry_name(info)).name)
            if name.lower() in names:
                raise InvalidParameter(f"the zip file holds {name!r} twice")
            names.add(name.lower())
            written = _copy_entry(archive, info, target / name, written, compressed, limits)
    stem = PurePosixPath(safe_name(PurePosixPath(shps[0].filename).name)).stem
    missing = [ext for ext in (".shx", ".dbf") if f"{stem}{ext}".lower() not in names]
    if missing:
        raise InvalidParameter(f"the zipped Shapefile lacks its {' and '.join(missing)} file")
    return target / safe_name(PurePosixPath(shps[0].filename).name)


def _copy_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, written: int,
                compressed: int, limits: ArchiveLimits) -> int:
    try:
        with archive.open(info) as source, path.open("xb") as sink:
            while chunk := source.read(1 << 20):
                written += len(chunk)
                _check_total(written, compressed, limits)
                sink.write(chunk)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
        raise InvalidParameter(f"zip entry {info.filename!r} cannot be read: {exc}") from None
    return written


# -- the whole check ------------------------------------------------------------------------------
def refuse_indirection(head: bytes) -> None:
    """Refuse a virtual dataset (VRT, GDALG...) whatever its name, naming what it is."""
    what = indirection(head)
    if what is not None:
        raise InvalidParameter(
            f"the file is {what}, which makes GDAL read other files or URLs; such files are "
            "refused: upload the data itself (GeoJSON, GeoPackage, FlatGeobuf, zipped "
            "Shapefile, CSV, KML or GML)")


def check_file(path: Path, fmt: Format) -> None:
    """Refuse ``path`` unless its bytes are what ``fmt`` says (before any extraction)."""
    if path.stat().st_size == 0:
        raise InvalidParameter("the uploaded file is empty")
    head = _head(path)
    if fmt.name in TEXT_FORMATS:  # binary formats are told by their magic bytes
        refuse_indirection(head)
    if fmt.name in ("kml", "gml"):
        _scan_for_entities(path, fmt)
    if not _looks_like(fmt, head):
        raise _mismatch(fmt, head)
    if fmt.name == "csv":
        _check_csv_header(path)


def check_dataset(path: Path, fmt: Format) -> None:
    """The check of the file GDAL is about to open (the .shp of a zip, or the file itself):
    run again just before every open, so a file changed or planted meanwhile is caught."""
    if fmt.name == "shapefile":
        head = _head(path, 4)
        if not head.startswith(_SHP_MAGIC):
            raise InvalidParameter("the zip file's .shp is not a Shapefile")
        return
    check_file(path, fmt)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
