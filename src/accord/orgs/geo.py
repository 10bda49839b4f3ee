"""Validation of an organization's service area: a GeoJSON Polygon or MultiPolygon in WGS84."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.validation import explain_validity

from accord.core.errors import Invalid

__all__ = ["AREA_TYPES", "MAX_VERTICES", "clean_service_area"]

AREA_TYPES = ("MultiPolygon", "Polygon")
# A county outline drawn by hand has a few thousand points; this bounds the work per request.
MAX_VERTICES = 50_000


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(f"{field}: {message}", errors=[{"field": field, "message": message}])


def _rings(coordinates: Any, kind: str) -> Iterator[Any]:
    """Every linear ring of a Polygon's or a MultiPolygon's coordinates."""
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list | tuple):
        raise TypeError
    for polygon in polygons:
        if not isinstance(polygon, list | tuple) or not polygon:
            raise TypeError
        for ring in polygon:
            # RFC 7946 §3.1.6: a linear ring is closed and has four or more positions.
            if not isinstance(ring, list | tuple) or len(ring) < 4:
                raise TypeError
            yield ring


def _check_position(position: Any) -> tuple[float, float]:
    # RFC 7946 §3.1.1: longitude then latitude (an optional altitude is allowed and ignored).
    if not isinstance(position, list | tuple) or len(position) not in (2, 3):
        raise TypeError
    values = []
    for value in position:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError
        if not math.isfinite(value):
            raise ValueError
        values.append(float(value))
    lon, lat = values[0], values[1]
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError
    return lon, lat


def _check_coordinates(field: str, kind: str, coordinates: Any) -> None:
    count = 0
    try:
        for ring in _rings(coordinates, kind):
            positions = [_check_position(p) for p in ring]
            if positions[0] != positions[-1]:
                raise _invalid(field, "each ring must end where it starts (RFC 7946 §3.1.6)")
            count += len(positions)
            if count > MAX_VERTICES:
                raise _invalid(field, f"has more than {MAX_VERTICES} points")
    except TypeError:
        raise _invalid(field, f"coordinates are not those of a GeoJSON {kind}") from None
    except ValueError:
        raise _invalid(
            field, "coordinates must be WGS84: longitude -180..180, latitude -90..90"
        ) from None


def clean_service_area(
    value: Mapping[str, Any] | None, field: str = "service_area"
) -> dict[str, Any] | None:
    """The area as a plain GeoJSON geometry, or Invalid naming `field` and what is wrong."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _invalid(field, "must be a GeoJSON Polygon or MultiPolygon object")
    kind = value.get("type")
    if kind not in AREA_TYPES:
        raise _invalid(field, "must be a GeoJSON Polygon or MultiPolygon")
    coordinates = value.get("coordinates")
    _check_coordinates(field, str(kind), coordinates)
    try:
        geometry = shape({"type": kind, "coordinates": coordinates})
    except (ShapelyError, ValueError, TypeError, IndexError):
        raise _invalid(field, f"coordinates are not those of a GeoJSON {kind}") from None
    if geometry.is_empty:
        raise _invalid(field, "is empty")
    if not geometry.is_valid:
        raise _invalid(field, f"is not a valid {kind} ({explain_validity(geometry)})")
    return {"type": kind, "coordinates": _as_lists(coordinates)}


def _as_lists(coordinates: Any) -> Any:
    """Tuples to lists and numbers to floats, so the stored JSON is the same on every engine."""
    if isinstance(coordinates, list | tuple):
        return [_as_lists(c) for c in coordinates]
    return float(coordinates)
