"""Where the window goes on the screen it opens on (docs/layout.md).

Pure: rectangles in, a rectangle and a maximised flag out, so the rule is tested without a
display. The first start fits the screen (maximised on a laptop-sized one); a remembered geometry
from a bigger monitor is pulled back onto the current one.
"""

from __future__ import annotations

from dataclasses import dataclass

ROOMY = (1440, 900)  # an available area below this in either direction: open maximised
PREFERRED = (1400, 900)  # the first start's size on a roomier screen


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Placement:
    rect: Rect
    maximised: bool


def first_placement(available: Rect) -> Placement:
    """The first start: maximised on a screen under ROOMY, else PREFERRED centred on it."""
    if available.width < ROOMY[0] or available.height < ROOMY[1]:
        return Placement(available, True)
    width, height = PREFERRED
    x = available.x + (available.width - width) // 2
    y = available.y + (available.height - height) // 2
    return Placement(Rect(x, y, width, height), False)


def clamp(saved: Rect, available: Rect) -> Rect:
    """`saved` made to fit inside `available`: no bigger than it, moved (not cut) onto it."""
    width = max(1, min(saved.width, available.width))
    height = max(1, min(saved.height, available.height))
    x = min(max(saved.x, available.x), available.x + available.width - width)
    y = min(max(saved.y, available.y), available.y + available.height - height)
    return Rect(x, y, width, height)
