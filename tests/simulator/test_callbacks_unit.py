"""The emitter's hand-rolled form encoding must equal the standard library's, byte for byte
(the signature is computed over the decoded values, so any difference would break it)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from console.domain.signature import new_nonce
from console.simulator.callbacks import form_body, get_url


@given(st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=40), max_size=8))
def test_form_body_equals_urlencode(params: dict[str, str]) -> None:
    assert form_body(params).decode("ascii") == urlencode(params)
    assert dict(parse_qsl(form_body(params).decode(), keep_blank_values=True)) == params


def test_get_url_keeps_the_callback_urls_own_query() -> None:
    assert (
        get_url("http://h/cb?a=1", {"Event": "StartStream"}) == "http://h/cb?a=1&Event=StartStream"
    )
    assert get_url("http://h/cb", {"E": "x y"}) == "http://h/cb?E=x+y"


def test_nonce_is_twenty_digits_and_varies() -> None:
    nonces = {new_nonce() for _ in range(200)}
    assert len(nonces) == 200
    assert all(len(n) == 20 and n.isdigit() for n in nonces)
