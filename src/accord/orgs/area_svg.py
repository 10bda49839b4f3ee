"""A service area drawn as SVG paths: a simple local projection, no map tiles needed."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["AreaOutline", "outline_of"]

Position = Sequence[float]
Ring = Sequence[Position]


@dataclass(frozen=True)
class AreaOutline:
    """SVG path data in a width × height box, the grid lines, and the bounds for the caption."""

    width: int
    height: int
    paths: list[str]
    grid: list[str]
    west: float
    south: float
    east: float
    north: float


def _polygons(geometry: Mapping[str, Any]) -> list[Sequence[Ring]]:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    if kind == "Polygon":
        return [coordinates]
    if kind == "MultiPolygon":
        return list(coordinates)
    return []


def _bounds(polygons: Iterable[Sequence[Ring]]) -> tuple[float, float, float, float]:
    lons = [p[0] for poly in polygons for ring in poly for p in ring]
    lats = [p[1] for poly in polygons for ring in poly for p in ring]
    return min(lons), min(lats), max(lons), max(lats)


def outline_of(
    geometry: Mapping[str, Any] | None, *, width: int = 480, height: int = 300, pad: int = 16
) -> AreaOutline | None:
    """The area fitted into the box, north up; None when there is no area to draw.

    Equirectangular with the longitude scaled by cos(mean latitude): at the size of a city or
    county the distortion is far below what the eye sees, and it needs no projection library.
    """
    polygons = _polygons(geometry or {})
    if not polygons or not any(ring for poly in polygons for ring in poly):
        return None
    west, south, east, north = _bounds(polygons)
    x_scale = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * x_scale, 1e-9)
    span_y = max(north - south, 1e-9)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2

    def point(p: Position) -> str:
        x = off_x + (p[0] - west) * x_scale * scale
        y = off_y + (north - p[1]) * scale
        return f"{x:.1f},{y:.1f}"

    paths = [
        " ".join(f"M{' L'.join(point(p) for p in ring)} Z" for ring in poly if ring)
        for poly in polygons
    ]
    return AreaOutline(width, height, paths, _grid(width, height), west, south, east, north)


def _grid(width: int, height: int, step: int = 40) -> list[str]:
    """Faint lines every `step` units, so the shape reads as a place on a sheet."""
    lines = [f"M{x},0 L{x},{height}" for x in range(step, width, step)]
    lines += [f"M0,{y} L{width},{y}" for y in range(step, height, step)]
    return lines
