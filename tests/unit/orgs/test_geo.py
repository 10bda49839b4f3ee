"""Tests for service-area validation in accord.orgs.geo."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from accord.core.errors import Invalid
from accord.orgs.geo import clean_service_area

# Port City's downtown, roughly: a closed counter-clockwise ring.
DOWNTOWN = [
    [-122.68, 45.51],
    [-122.66, 45.51],
    [-122.66, 45.53],
    [-122.68, 45.53],
    [-122.68, 45.51],
]


def polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


def errors_of(value: Any) -> list[dict[str, str]]:
    with pytest.raises(Invalid) as caught:
        clean_service_area(value)
    errors: list[dict[str, str]] = caught.value.extensions["errors"]
    assert [e["field"] for e in errors] == ["service_area"]
    return errors


def test_a_polygon_is_kept_as_plain_geojson() -> None:
    assert clean_service_area(polygon(DOWNTOWN)) == {
        "type": "Polygon",
        "coordinates": [[[float(x), float(y)] for x, y in DOWNTOWN]],
    }


def test_a_multipolygon_is_accepted() -> None:
    shifted = [[x + 1, y] for x, y in DOWNTOWN]
    area = {"type": "MultiPolygon", "coordinates": [[DOWNTOWN], [shifted]]}
    cleaned = clean_service_area(area)
    assert cleaned is not None
    assert cleaned["type"] == "MultiPolygon"


def test_none_clears_the_area() -> None:
    assert clean_service_area(None) is None


def test_foreign_members_such_as_bbox_are_dropped() -> None:
    cleaned = clean_service_area({**polygon(DOWNTOWN), "bbox": [0, 0, 1, 1]})
    assert cleaned is not None
    assert set(cleaned) == {"type", "coordinates"}


@pytest.mark.parametrize(
    "value",
    [
        {"type": "Point", "coordinates": [-122.67, 45.52]},
        {"type": "LineString", "coordinates": DOWNTOWN},
        {"type": "Feature", "geometry": polygon(DOWNTOWN), "properties": {}},
        {"coordinates": [DOWNTOWN]},
        "Polygon",
        [DOWNTOWN],
    ],
)
def test_only_polygons_and_multipolygons_are_areas(value: Any) -> None:
    assert errors_of(value)


@pytest.mark.parametrize(
    "coordinates",
    [
        [],
        [[]],
        "nope",
        [[[0, 0], [1, 0], [0, 0]]],
        [[[0, 0], [1, 0], [1, 1], [0, 1]]],
        [[["a", 0], [1, 0], [1, 1], [0, 0]]],
        [[[True, 0], [1, 0], [1, 1], [0, 0]]],
        [[[0], [1, 0], [1, 1], [0]]],
        [[[0, 0, 0, 0], [1, 0], [1, 1], [0, 0, 0, 0]]],
    ],
)
def test_malformed_coordinates_are_refused(coordinates: Any) -> None:
    assert errors_of({"type": "Polygon", "coordinates": coordinates})


def test_a_self_intersecting_bow_tie_is_refused() -> None:
    bow_tie = [[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]
    (error,) = errors_of(polygon(bow_tie))
    assert "not a valid Polygon" in error["message"]


def test_a_ring_that_does_not_close_is_refused() -> None:
    (error,) = errors_of(polygon([*DOWNTOWN[:-1], [-122.68, 45.52]]))
    assert "end where it starts" in error["message"]


def test_the_field_name_can_be_chosen() -> None:
    with pytest.raises(Invalid) as caught:
        clean_service_area({"type": "Point"}, field="area")
    assert caught.value.extensions["errors"][0]["field"] == "area"


outside = st.one_of(
    st.tuples(
        st.floats(min_value=180.0, exclude_min=True, allow_infinity=True),
        st.floats(min_value=-90, max_value=90),
    ),
    st.tuples(
        st.floats(max_value=-180.0, exclude_max=True, allow_infinity=True),
        st.floats(min_value=-90, max_value=90),
    ),
    st.tuples(
        st.floats(min_value=-180, max_value=180),
        st.floats(min_value=90.0, exclude_min=True, allow_infinity=True),
    ),
    st.tuples(
        st.floats(min_value=-180, max_value=180),
        st.floats(max_value=-90.0, exclude_max=True, allow_infinity=True),
    ),
    st.tuples(st.just(math.nan), st.floats(min_value=-90, max_value=90)),
)


@given(bad=outside, index=st.integers(min_value=0, max_value=4))
def test_any_position_outside_wgs84_ranges_is_refused(bad: tuple[float, float], index: int) -> None:
    ring = [list(p) for p in DOWNTOWN]
    ring[index] = list(bad)
    if index in (0, 4):  # keep the ring closed so only the range is wrong
        ring[0] = ring[4] = list(bad)
    (error,) = errors_of(polygon(ring))
    assert "WGS84" in error["message"]


@given(
    ring=st.lists(
        st.tuples(st.floats(min_value=-180, max_value=180), st.floats(min_value=-90, max_value=90)),
        min_size=3,
        max_size=8,
    )
)
def test_random_rings_are_either_valid_areas_or_refused_naming_the_field(
    ring: list[tuple[float, float]],
) -> None:
    assume(len(set(ring)) == len(ring))
    closed = [*[list(p) for p in ring], list(ring[0])]
    outcome: dict[str, Any] | Invalid | None
    try:
        outcome = clean_service_area(polygon(closed))
    except Invalid as exc:
        outcome = exc
    if isinstance(outcome, Invalid):
        assert outcome.extensions["errors"][0]["field"] == "service_area"
    else:
        assert outcome is not None
        assert outcome["coordinates"][0][0] == [float(ring[0][0]), float(ring[0][1])]
