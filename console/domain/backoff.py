"""Exponential backoff between retries of something that keeps failing (a background loop, a
lost database connection): pure arithmetic, shared by the app's supervisor and the store."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff after consecutive failures: first_s, first_s*factor, ... up to cap_s."""

    first_s: float = 1.0
    factor: float = 2.0
    cap_s: float = 60.0

    def __post_init__(self) -> None:
        if not 0 <= self.first_s <= self.cap_s or self.factor < 1:
            raise ValueError("need 0 <= first_s <= cap_s and factor >= 1")

    def delay(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th consecutive failure (0 for none)."""
        if failures <= 0:
            return 0.0
        exponent = min(failures - 1, 64)  # no float overflow however long the streak
        return float(min(self.cap_s, self.first_s * self.factor**exponent))
