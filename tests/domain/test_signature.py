"""The V3 signature maths against Plivo's published vectors and the official SDK's validator."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.signature import (
    MAIN_ACCOUNT_SIGNATURE_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    compute_signature,
    sign_request,
    verify_signature,
)

TOKEN = "Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4"
NONCE = "31627761595286130198"
PARAMS = {
    "Direction": "outbound",
    "From": "19792014278",
    "ALegUUID": "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36",
    "CallStatus": "in-progress",
    "BillRate": "0.002",
    "ParentAuthID": "MANWVLYTK4ZWU1YTY4QA",
    "To": "sip:PlivoSignature382029104058171078704104@phone-qa.voice.plivodev.com",
    "ALegRequestUUID": "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36",
    "CallUUID": "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36",
    "RequestUUID": "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36",
    "SIP-H-To": "<sip:PlivoSignature382029104058171078704104@52.9.11.55;transport=udp>;tag=1",
    "SessionStart": "2020-04-08 11:34:33.238707",
    "Event": "StartApp",
}
WITH_QUERY = "https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml/?a=b&c=d"
NO_QUERY = "https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml"
VECTORS = [
    (WITH_QUERY, "POST", "k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c="),
    (WITH_QUERY, "GET", "UBq8jAtd32wR8EK9VgxbBn4n5rpI/l1H9iN4WfSEHFQ="),
    (NO_QUERY, "POST", "iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0="),
    (NO_QUERY, "GET", "i/MQsaQSAd6fiKhOh2qeeeLHZ9faldADSb3/7+Akfbc="),
]


@pytest.mark.parametrize(("url", "method", "expected"), VECTORS)
def test_published_vectors(url: str, method: str, expected: str) -> None:
    assert compute_signature(TOKEN, method, url, PARAMS, NONCE) == expected
    assert verify_signature(TOKEN, method, url, PARAMS, NONCE, [expected])


@pytest.mark.parametrize(("url", "method", "expected"), VECTORS)
def test_sdk_validator_accepts_our_signature(url: str, method: str, expected: str) -> None:
    from plivo.utils.signature_v3 import validate_v3_signature

    ours = compute_signature(TOKEN, method, url, PARAMS, NONCE)
    assert validate_v3_signature(method, url, NONCE, TOKEN, ours, dict(PARAMS))


def test_tampered_param_wrong_token_and_missing_nonce_fail() -> None:
    url, method, good = VECTORS[0]
    changed = dict(PARAMS, CallStatus="completed")
    assert not verify_signature(TOKEN, method, url, changed, NONCE, [good])
    assert not verify_signature("x" + TOKEN, method, url, PARAMS, NONCE, [good])
    assert not verify_signature(TOKEN, method, url, PARAMS, "", [good])
    assert not verify_signature(TOKEN, method, url + "x", PARAMS, NONCE, [good])
    assert not verify_signature(TOKEN, method, url, PARAMS, NONCE, [None, ""])


def test_any_of_several_comma_separated_signatures_is_enough() -> None:
    url, method, good = VECTORS[2]
    assert verify_signature(TOKEN, method, url, PARAMS, NONCE, [f"bogus=,{good}"])
    assert verify_signature(TOKEN, method, url, PARAMS, NONCE, ["bogus", good])


def test_sign_request_headers_use_main_account_token_for_ma_header() -> None:
    headers = sign_request("sub-token", "POST", NO_QUERY, PARAMS, main_account_token="main-token")
    sent = headers.as_dict()
    assert set(sent) == {NONCE_HEADER, SIGNATURE_HEADER, MAIN_ACCOUNT_SIGNATURE_HEADER}
    assert len(sent[NONCE_HEADER]) == 20 and sent[NONCE_HEADER].isdigit()
    nonce = sent[NONCE_HEADER]
    assert verify_signature("sub-token", "POST", NO_QUERY, PARAMS, nonce, [sent[SIGNATURE_HEADER]])
    assert verify_signature(
        "main-token", "POST", NO_QUERY, PARAMS, nonce, [sent[MAIN_ACCOUNT_SIGNATURE_HEADER]]
    )
    assert sent[SIGNATURE_HEADER] != sent[MAIN_ACCOUNT_SIGNATURE_HEADER]


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=200, deadline=None)
@given(
    params=st.dictionaries(st.text(min_size=1, max_size=10), _text, max_size=6),
    method=st.sampled_from(["GET", "POST"]),
    query=st.sampled_from(["", "?a=b", "?z=1&a=2&a=1"]),
    token=st.text(min_size=1, max_size=40).filter(lambda t: "\x00" not in t),
)
def test_matches_official_sdk_on_random_inputs(
    params: dict[str, str], method: str, query: str, token: str
) -> None:
    from plivo.utils.signature_v3 import validate_v3_signature

    url = "https://example.com:8443/callbacks/stream" + query
    ours = compute_signature(token, method, url, params, NONCE)
    assert validate_v3_signature(method, url, NONCE, token, ours, dict(params))


def test_repeated_keys_and_repeated_urls_sign_the_same_every_time() -> None:
    """The parsed URL is cached: signing a GET (which merges the URL's query into the
    parameters) must not change what the next request to that URL is signed with."""
    url = "https://example.com/cb?z=1&a=2&a=1"
    first = {
        m: compute_signature(TOKEN, m, url, {"a": ["3", "0"], "b": "x"}, NONCE)
        for m in ("GET", "POST")
    }
    for _ in range(3):
        for method in ("GET", "POST"):
            again = compute_signature(TOKEN, method, url, {"a": ["3", "0"], "b": "x"}, NONCE)
            assert again == first[method]
    assert compute_signature(TOKEN, "GET", url, {}, NONCE) != first["GET"]
    assert first["GET"] != first["POST"]
