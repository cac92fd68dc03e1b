"""Account profiles and Plivo's auth-id rule. A profile never holds the token: that lives in the
credential store only."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_API_BASE_URL = "https://api.plivo.com"
_AUTH_ID = re.compile(r"(MA|SA)[^\s:]{18}")


def is_valid_auth_id(auth_id: str) -> bool:
    """Plivo's rule (plivo-python `is_valid_mainaccount`/`is_valid_subaccount`): 20 characters
    starting with MA (main account) or SA (subaccount). We also refuse whitespace and `:`, which
    would break HTTP Basic auth."""
    return _AUTH_ID.fullmatch(auth_id) is not None


def auth_id_problem(auth_id: str) -> str | None:
    """A sentence for the agent when the id is wrong, else None."""
    if not auth_id:
        return "Enter the Auth ID shown on the Plivo console overview page."
    if not auth_id.startswith(("MA", "SA")):
        return "An Auth ID starts with MA (main account) or SA (subaccount)."
    if len(auth_id) != 20:
        return f"An Auth ID is 20 characters long; this one has {len(auth_id)}."
    if not is_valid_auth_id(auth_id):
        return "An Auth ID cannot contain spaces or colons."
    return None


@dataclass(frozen=True, slots=True)
class Profile:
    """One Plivo account the console can act for. `demo` profiles talk to the embedded simulator."""

    profile_id: str
    display_name: str
    auth_id: str
    api_base_url: str = DEFAULT_API_BASE_URL
    demo: bool = False
    # Where Plivo reaches this console's callback receiver (a tunnel such as ngrok); not a secret.
    public_url: str = ""


def public_url_problem(url: str) -> str | None:
    """A sentence when a public callback base URL cannot work, else None ('' is allowed: unset)."""
    from urllib.parse import urlsplit

    text = url.strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "This is not a valid URL."
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Enter the tunnel's address, e.g. https://abc123.ngrok.app."
    if parts.query or parts.fragment:
        return "Enter the base address only, without ? or #."
    if any(c.isspace() for c in text):
        return "A URL cannot contain spaces."
    return None
