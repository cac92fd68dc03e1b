"""Plivo's V3 request signature (X-Plivo-Signature-V3 / -Ma-V3), once, for signer and verifier.

Plivo signs every request it makes to a customer URL with HMAC-SHA256 over a canonical string built
from the URL Plivo called, the request parameters and a nonce. The construction follows the official
SDK (plivo-python `plivo/utils/signature_v3.py`) byte for byte, so our signatures validate there and
theirs validate here; the spec's four published vectors are in the tests. Unlike the SDK, the
verifier compares in constant time (`hmac.compare_digest`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit, urlunsplit

from console.domain.compact_json import compact_json

SIGNATURE_HEADER = "X-Plivo-Signature-V3"
MAIN_ACCOUNT_SIGNATURE_HEADER = "X-Plivo-Signature-Ma-V3"
NONCE_HEADER = "X-Plivo-Signature-V3-Nonce"

ParamValue = str | Sequence[str]
Params = Mapping[str, ParamValue]


def _values(value: ParamValue) -> list[str]:
    return [value] if isinstance(value, str) else sorted(value)


def _sorted_query(params: Mapping[str, ParamValue]) -> str:
    """`k=v&k=v` with keys in code-point order and repeated values sorted, as Plivo builds it."""
    return "&".join(f"{key}={v}" for key in sorted(params) for v in _values(params[key]))


def _sorted_concat(params: Params) -> str:
    """`k1v1k2v2...` with no separators: the POST half of the base string."""
    out: list[str] = []
    for key in sorted(params):
        value = params[key]
        if isinstance(value, str):  # the usual case: one value per key
            out += (key, value)
        else:
            for v in sorted(value):
                out += (key, v)
    return "".join(out)


@lru_cache(maxsize=64)  # the same for every request to one configured URL
def _base_and_query(url: str) -> tuple[str, str]:
    """The URL without its query, and the query's sorted `k=v&...`."""
    base, query = _split_url(url)
    return base, _sorted_query(query)


@lru_cache(maxsize=64)  # bounded: a sender's own query string can only churn it
def _split_url(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(url)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return base, parse_qs(parts.query, keep_blank_values=True)


def signed_string(method: str, url: str, params: Params) -> str:
    """The URL-and-params string Plivo signs (before `.nonce` is appended)."""
    if method == "GET":
        base, query = _split_url(url)
        merged: dict[str, ParamValue] = dict(params)
        merged.update(query)  # a copy: the cached query is never changed
        q = _sorted_query(merged)
        return f"{base}?{q}" if q else base
    base, q = _base_and_query(url)
    if not params:
        return f"{base}?{q}" if q else base
    return f"{base}?{q}{'.' if q else ''}{_sorted_concat(params)}"


def compute_signature(auth_token: str, method: str, url: str, params: Params, nonce: str) -> str:
    """Base64 HMAC-SHA256 of `signed_string + "." + nonce`, keyed with the auth token."""
    message = f"{signed_string(method, url, params)}.{nonce}".encode()
    # Not `hmac.digest`: its one-shot C path lets go of the GIL around every HMAC, and with the
    # receiver, the log's writer and the GUI sharing it, taking it back waits on the others.
    digest = hmac.new(auth_token.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def replay_nonce(header: Callable[[str], str]) -> str:
    """The nonce by which a signed request is recognised when it comes again (`header` reads a
    header by name, '' when absent). A nonce is used once per event log, whatever the signature
    headers around it: verification accepts any comma-separated candidate in either header, so
    keying on the header text would let `S,` or `x,S` store the same callback again
    (docs/callbacks.md, "Replays")."""
    return header(NONCE_HEADER)


def request_fingerprint(method: str, url: str, params: Mapping[str, str]) -> str:
    """What a request under a nonce said: its method, signed URL and parameters, as a digest.

    The V3 base string joins keys and values with no separator, so one captured request can be
    re-split into other parameters (`CallUUID` holding `...EventStartStream...`) under the same
    signature: a second request with the nonce of a kept one but another fingerprint is a forgery,
    never a replay (docs/callbacks.md)."""
    canonical = compact_json([method, url, sorted(params.items())])
    data = canonical.encode("utf-8", "surrogatepass")
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def new_nonce() -> str:
    """A nonce shaped like Plivo's: twenty decimal digits."""
    return f"{secrets.randbelow(10**20):020d}"


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The headers a Plivo request carries; `as_dict()` is ready to send."""

    nonce: str
    signature: str
    main_account_signature: str

    def as_dict(self) -> dict[str, str]:
        return {
            NONCE_HEADER: self.nonce,
            SIGNATURE_HEADER: self.signature,
            MAIN_ACCOUNT_SIGNATURE_HEADER: self.main_account_signature,
        }


def sign_request(
    auth_token: str,
    method: str,
    url: str,
    params: Params,
    *,
    main_account_token: str | None = None,
    nonce: str | None = None,
) -> SignedHeaders:
    """Sign as Plivo does: -V3 with the owning (sub)account's token, -Ma-V3 with the main one's."""
    nonce = nonce if nonce is not None else new_nonce()
    own = compute_signature(auth_token, method, url, params, nonce)
    main = (
        compute_signature(main_account_token, method, url, params, nonce)
        if main_account_token is not None
        else own
    )
    return SignedHeaders(nonce=nonce, signature=own, main_account_signature=main)


def verify_signature(
    auth_token: str,
    method: str,
    url: str,
    params: Params,
    nonce: str,
    header_values: Iterable[str | None],
) -> bool:
    """True when any comma-separated candidate in any given header matches, compared in constant
    time. `url` must be the exact public URL that Plivo was told to call, never one rebuilt from
    the request's Host header."""
    if not nonce:
        return False
    expected = compute_signature(auth_token, method, url, params, nonce).encode("ascii")
    matched = False
    for header in header_values:
        if not header:
            continue
        for candidate in header.split(","):
            # Evaluate every candidate so the time taken does not reveal which one matched.
            matched |= hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
    return matched
