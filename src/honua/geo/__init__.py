"""Pure geometry, CRS and unit functions over shapely arrays. No I/O, no protocol."""
