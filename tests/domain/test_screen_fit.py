"""Where the window opens: maximised on a laptop-sized screen, a remembered place pulled back
onto the current screen (docs/layout.md)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from console.domain.screen_fit import PREFERRED, Rect, clamp, first_placement


def test_first_start_is_maximised_on_laptop_screens() -> None:
    for width, height in ((1280, 692), (1366, 740), (1440, 860), (1920, 860)):
        placement = first_placement(Rect(0, 28, width, height))
        assert placement.maximised, (width, height)
        assert placement.rect == Rect(0, 28, width, height)


def test_first_start_on_a_roomy_screen_is_the_preferred_size_centred() -> None:
    placement = first_placement(Rect(1920, 0, 2560, 1400))
    assert not placement.maximised
    assert (placement.rect.width, placement.rect.height) == PREFERRED
    assert placement.rect.x == 1920 + (2560 - PREFERRED[0]) // 2
    assert placement.rect.y == (1400 - PREFERRED[1]) // 2


def test_a_place_saved_on_a_big_monitor_comes_back_whole_on_the_laptop() -> None:
    laptop = Rect(0, 0, 1366, 740)
    assert clamp(Rect(2100, 300, 1800, 1000), laptop) == Rect(0, 0, 1366, 740)
    assert clamp(Rect(900, 500, 800, 600), laptop) == Rect(566, 140, 800, 600)
    assert clamp(Rect(-300, -50, 600, 400), laptop) == Rect(0, 0, 600, 400)
    assert clamp(Rect(100, 100, 600, 400), laptop) == Rect(100, 100, 600, 400)  # fits: kept


sides = st.integers(min_value=1, max_value=5000)
places = st.integers(min_value=-5000, max_value=5000)


@given(places, places, sides, sides, places, places, sides, sides)
def test_a_clamped_place_is_always_inside_the_screen(
    x: int, y: int, w: int, h: int, ax: int, ay: int, aw: int, ah: int
) -> None:
    screen = Rect(ax, ay, aw, ah)
    got = clamp(Rect(x, y, w, h), screen)
    assert screen.x <= got.x and got.x + got.width <= screen.x + screen.width
    assert screen.y <= got.y and got.y + got.height <= screen.y + screen.height
    assert got.width == min(w, aw) and got.height == min(h, ah)
