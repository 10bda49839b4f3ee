"""H3 cells of points and areas: how agreement areas and record locations meet in SQL."""

from __future__ import annotations

from typing import Any

import h3
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from accord.core.errors import Invalid

__all__ = ["CELL_RESOLUTION", "MAX_AREA_CELLS", "cells_of_geometry", "cells_of_point"]

# Resolution 7 cells average 5.2 km²: fine enough for a jurisdiction or a site's surroundings,
# coarse enough that a county-sized area is a few hundred cells.
CELL_RESOLUTION = 7
MAX_AREA_CELLS = 20_000


def cells_of_point(lat: float, lon: float) -> frozenset[int]:
    return frozenset({h3.str_to_int(h3.latlng_to_cell(lat, lon, CELL_RESOLUTION))})


def _polygons(geom: BaseGeometry) -> list[BaseGeometry]:
    if geom.geom_type == "Polygon":
        return [geom]
    if geom.geom_type == "MultiPolygon":
        return list(geom.geoms)
    raise Invalid("An area must be a GeoJSON Polygon or MultiPolygon.", errors=[{"field": "area"}])


def cells_of_geometry(geometry: dict[str, Any]) -> frozenset[int]:
    """Every cell the area overlaps (not only those whose centre lies inside)."""
    try:
        geom = shape(geometry)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Invalid("The area is not valid GeoJSON.", errors=[{"field": "area"}]) from exc
    if geom.geom_type == "Point":
        return cells_of_point(geom.y, geom.x)
    cells: set[int] = set()
    for polygon in _polygons(geom):
        h3_shape = h3.geo_to_h3shape(mapping(polygon))
        found = h3.h3shape_to_cells_experimental(h3_shape, CELL_RESOLUTION, contain="overlap")
        cells.update(h3.str_to_int(c) for c in found)
        if len(cells) > MAX_AREA_CELLS:
            raise Invalid("The area is too large; draw a smaller one.", errors=[{"field": "area"}])
    return frozenset(cells)
