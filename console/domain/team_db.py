"""The team database's address as the agent types it: a PostgreSQL URL without the password
(the URL is kept in plain settings; the password goes to the OS keyring), and the one-line name
the console shows for it."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from console.domain.redaction import redact_db_text

_PASSWORD_IN_QUERY = re.compile(r"(?i)(^|&)\s*password\s*=")
SCHEMES = ("postgresql", "postgres")
EXAMPLE_URL = "postgresql://agent@db.example.com:5432/console"


def team_url_problem(url: str) -> str | None:
    """A sentence when `url` cannot be a team database address, else None ('' is allowed: unset)."""
    text = url.strip()
    if not text:
        return None
    if any(ch.isspace() for ch in text) or any(ord(ch) < 32 for ch in text):
        return "The address cannot contain spaces or control characters."
    try:
        parts = urlsplit(text)
        for host in _hosts(parts.netloc):  # libpq's `a:5432,b:5432` lists a standby too
            urlsplit(f"//{host}").port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "This is not a valid address (check the port number)."
    if parts.scheme not in SCHEMES:
        return f"A team database address starts with postgresql://, e.g. {EXAMPLE_URL}"
    if parts.password is not None or _PASSWORD_IN_QUERY.search(parts.query):
        return (
            "Leave the password out of the address and type it into the Password field: "
            "the address is saved in plain settings, the password in the keyring."
        )
    if not any(_hosts(parts.netloc)) and "host=" not in parts.query:
        return f"Name the database server, e.g. {EXAMPLE_URL}"
    if parts.fragment:
        return "The address cannot have a # part."
    return None


def describe_team_url(url: str) -> str:
    """`agent@db.example.com:5432/console`: what the status bar and dialog show (no scheme)."""
    try:
        parts = urlsplit(url.strip())
        hosts = [urlsplit(f"//{host}") for host in _hosts(parts.netloc)]
        places = [f"{h.hostname or 'localhost'}" + (f":{h.port}" if h.port else "") for h in hosts]
    except ValueError:  # shown as typed, but never its password
        return redact_db_text(url.strip(), url)
    user = f"{unquote(parts.username)}@" if parts.username else ""
    return f"{user}{','.join(places) or 'localhost'}{parts.path or ''}"


def _hosts(netloc: str) -> list[str]:
    """The `host[:port]` items of an address's server part (libpq lists several, comma
    separated: a primary and its standby); none when it names no host."""
    servers = netloc.rpartition("@")[2]
    return [item for item in servers.split(",") if item] if servers else []


REWRITES_WARNING = (
    "This login can rewrite the team's history; ask your administrator for an agent login."
)


def readiness_verdict(
    where: str,
    *,
    version: int,
    latest: int,
    events: int | None,
    can_create: bool,
    rewrites: bool = False,
) -> tuple[bool, str]:
    """Test connection's verdict on what the database at `where` holds (found without changing
    it): whether turning team mode on would work, in words a team lead can act on. `rewrites`:
    the login may erase or rewrite the team's history (an owner's or a superuser's), which a
    console should never hold, so the verdict says so whatever else it says."""
    ok, text = _verdict(where, version, latest, events, can_create, rewrites)
    return ok, f"{text} {REWRITES_WARNING}" if rewrites else text


def _verdict(
    where: str, version: int, latest: int, events: int | None, can_create: bool, owns: bool
) -> tuple[bool, str]:
    if version > latest:
        return False, (
            f"Connected: {where} answered, but its tables were made by a newer Stream Console "
            f"(schema {version}; this one knows up to {latest}). Update this console first."
        )
    if version == 0:
        if not can_create:
            return False, (
                f"Connected: {where} answered, but the console's tables are not there and this "
                "user may not create them. Make the user the database's owner, or turn team mode "
                "on once as a user who may create tables."
            )
        return True, (
            f"Connected: {where} answered. It has no Stream Console tables yet; they are "
            "created when team mode is turned on."
        )
    total = events or 0
    held = f"{total:,} callback{'' if total == 1 else 's'}"
    if version < latest and not owns:
        return False, (
            f"Connected: {where} answered and holds {held}, but its tables were made by an "
            "older Stream Console and this login may not update them: the database's owner "
            "runs `stream-console team init` once."
        )
    if version < latest:
        return True, (
            f"Connected: {where} answered and holds {held}; its tables are updated when team "
            "mode is turned on."
        )
    return True, f"Connected: {where} answered and holds {held}."
