"""The offline verifier's pure parts: which zone holds a point, and which outlines are usable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parking.exceptions import PlaceOutsideZones, UnknownZone
from parking.offline import StaleBundle, area, contains, geometry_problem, judge_offline, zone_at

SQUARE: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]],
}
WITH_A_HOLE: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]],
        [[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]],
    ],
}
TWO_ISLANDS: dict[str, Any] = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
        [[[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]]],
    ],
}
# A concave outline (an L): the notch is outside.
ELL: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [[[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4], [0, 0]]],
}


@pytest.mark.parametrize(
    ("geometry", "point", "inside"),
    [
        (SQUARE, (2, 2), True),
        (SQUARE, (5, 2), False),
        (SQUARE, (-0.1, 2), False),
        (WITH_A_HOLE, (0.5, 0.5), True),
        (WITH_A_HOLE, (2, 2), False),
        (TWO_ISLANDS, (5.5, 5.5), True),
        (TWO_ISLANDS, (3, 3), False),
        (ELL, (0.5, 3), True),
        (ELL, (3, 3), False),
    ],
)
def test_a_point_is_inside_or_not(
    geometry: dict[str, Any], point: tuple[float, float], inside: bool
) -> None:
    assert contains(geometry, *point) is inside


def test_the_narrowest_outline_wins_and_no_outline_gives_none() -> None:
    zones: list[tuple[str, dict[str, Any] | None]] = [
        ("wide", SQUARE),
        ("narrow", TWO_ISLANDS),
        ("streets_only", None),
    ]

    assert zone_at(zones, 0.5, 0.5) == "narrow"
    assert zone_at(zones, 2, 2) == "wide"
    assert zone_at(zones, 9, 9) is None
    assert area(WITH_A_HOLE) == 12
    assert area(TWO_ISLANDS) == 2


@pytest.mark.parametrize(
    ("geometry", "problem"),
    [
        (SQUARE, None),
        (TWO_ISLANDS, None),
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": []}, "coordinates are missing"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}, "four positions"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 2]]]}, "end where"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, "a"], [1, 1], [0, 0]]]}, "within range"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 91], [1, 1], [0, 0]]]}, "within range"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [True, 1], [1, 1], [0, 0]]]}, "within range"),
        ("not even a mapping", "Polygon or MultiPolygon"),
    ],
)
def test_an_outline_is_checked_before_it_is_kept(geometry: object, problem: str | None) -> None:
    found = geometry_problem(geometry)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_the_bundle_refuses_to_judge_once_stale_or_for_a_place_it_does_not_know() -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    bundle = {
        "jwks": {"keys": []},
        "audience": "toshav-parking-pass",
        "revoked": [],
        "zones": [{"code": "a", "geometry": SQUARE}],
        "expires_at": (now + timedelta(hours=1)).isoformat(),
    }

    assert judge_offline("x.y.z", bundle, now=now).reason == "malformed"
    assert judge_offline("x.y.z", bundle, now=now, latitude=2, longitude=2).reason == "malformed"
    with pytest.raises(UnknownZone):
        judge_offline("x.y.z", bundle, now=now, zone="b")
    with pytest.raises(PlaceOutsideZones):
        judge_offline("x.y.z", bundle, now=now, latitude=9, longitude=9)
    with pytest.raises(StaleBundle):
        judge_offline("x.y.z", bundle, now=now + timedelta(hours=1))
