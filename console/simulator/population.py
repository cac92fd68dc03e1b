"""Plausible callers: names, numbers and directions for simulated calls.

Numbers come from ranges reserved for fiction (US 555-01xx, UK 07700 900xxx, Australia 0491 570xxx,
Ireland 085 000 xxxx style), so a training class never dials a real person. Formats follow
Plivo's fixtures: the caller's number with `+`, the account's own number without.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_FIRST = (
    "Ada", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kavya", "Liam", "Maya", "Nikolai", "Olu", "Priya", "Quentin", "Rosa", "Sven", "Tara",
    "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zoe",
)  # fmt: skip
_LAST = (
    "Abbott", "Bauer", "Castro", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova",
    "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Patel", "Quinn", "Rossi",
    "Schmidt", "Tanaka", "Urquhart", "Varga", "Weber", "Yilmaz", "Zhou",
)  # fmt: skip
_BUSINESS = ("ACME SUPPORT", "NORTHWIND", "CONTOSO LTD", "BLUE CAB CO", "CITY CLINIC")

# The account's own numbers (the "to" of inbound calls, the "from" of outbound ones).
ACCOUNT_NUMBERS = ("14155550100", "14155550123", "442079460000", "61291000100")


def _us(rng: random.Random) -> str:
    area = rng.choice(("202", "212", "312", "415", "617", "718"))
    return f"1{area}5550{rng.randint(100, 199)}"


def _uk(rng: random.Random) -> str:
    return f"447700900{rng.randint(0, 999):03d}"


def _au(rng: random.Random) -> str:
    return f"61491570{rng.randint(0, 999):03d}"


def _ie(rng: random.Random) -> str:
    return f"35385000{rng.randint(0, 9999):04d}"


_COUNTRIES = ((_us, 5), (_uk, 3), (_au, 1), (_ie, 1))


def external_number(rng: random.Random) -> str:
    makers = [maker for maker, _ in _COUNTRIES]
    weights = [weight for _, weight in _COUNTRIES]
    return rng.choices(makers, weights)[0](rng)


@dataclass(frozen=True, slots=True)
class Party:
    direction: str
    from_number: str
    to_number: str
    caller_name: str
    stir_verification: str
    stir_attestation: str


def new_party(rng: random.Random) -> Party:
    """Who is on a new call. Inbound calls usually carry a caller name; outbound ones never do."""
    inbound = rng.random() < 0.7
    account_number = rng.choice(ACCOUNT_NUMBERS)
    if inbound:
        caller = "+" + external_number(rng)
        roll = rng.random()
        if roll < 0.6:
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        elif roll < 0.75:
            name = rng.choice(_BUSINESS)
        else:
            name = ""
        verification, attestation = rng.choice(
            (("Verified", "A"), ("Verified", "B"), ("Not Verified", "C"), ("Not Applicable", ""))
        )
        return Party("inbound", caller, account_number, name, verification, attestation)
    return Party("outbound", "+" + account_number, external_number(rng), "", "Not Applicable", "")
