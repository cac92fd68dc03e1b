"""Database URLs in logs and errors never show their password."""

from __future__ import annotations

import pytest

from console.domain.redaction import MASK, redact_url


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("postgresql://bob:s3cr:et@db:5432/x", f"postgresql://bob:{MASK}@db:5432/x"),
        (
            "postgres://bob:p@h/x?sslmode=require&password=zz",
            f"postgres://bob:{MASK}@h/x?sslmode=require&password={MASK}",
        ),
        ("postgresql://bob@h/x", "postgresql://bob@h/x"),  # nothing to hide
        ("postgresql://h/x?password=zz", f"postgresql://h/x?password={MASK}"),
        (
            "failed: connection to postgresql://u:pw@h refused",
            f"failed: connection to postgresql://u:{MASK}@h refused",
        ),
        ("no url here: a:b@c", "no url here: a:b@c"),
    ],
)
def test_the_password_is_masked_and_nothing_else(given: str, shown: str) -> None:
    assert redact_url(given) == shown
