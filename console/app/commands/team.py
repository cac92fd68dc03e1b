"""`stream-console team`: the team database's owner sets up who may do what (docs/team-mode.md,
Roles). `init` creates the schema, the agent and collector groups, their grants and the retention
function (run it again after updating Stream Console: it changes only what is missing);
`add-agent` / `add-collector` create a LOGIN role and print its password once; `remove` drops
one, keeping its history. Connects as the owner: the password from PGPASSWORD or ~/.pgpass.
Imports only argparse at import time (the GUI's start-up must not pay for psycopg).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

HELP = "set up the team database's roles: init, add-agent, add-collector, remove, list"
_DB_HELP = (
    "the team database as its owner, postgresql://owner@host/db (password from PGPASSWORD or "
    "~/.pgpass)"
)
_NO_PASSWORD_HELP = (
    "create the login without a password: the site authenticates it with a certificate or "
    "Kerberos through libpq (pg_hba.conf cert or gss)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="team_action", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init",
        help="create or update the schema, the groups, their grants and the retention function",
    )
    init.add_argument("--db", required=True, help=_DB_HELP)
    init.add_argument(
        "--role-prefix",
        metavar="PREFIX",
        help="name the groups PREFIX_agent and PREFIX_collector (default: "
        "stream_console_<database>; fixed by the first init)",
    )
    init.add_argument(
        "--retention-days",
        type=_days,
        default=30.0,
        metavar="DAYS",
        help="the youngest callbacks the retention function may delete (default 30)",
    )
    for kind in ("agent", "collector"):
        add = actions.add_parser(
            f"add-{kind}", help=f"create a {kind}'s login; prints its password"
        )
        add.add_argument("name", help="the login (role) name, e.g. anna")
        add.add_argument("--db", required=True, help=_DB_HELP)
        add.add_argument("--no-password", action="store_true", help=_NO_PASSWORD_HELP)
        add.set_defaults(kind=kind)
    remove = actions.add_parser(
        "remove", help="drop an agent's or a collector's login (its history stays)"
    )
    remove.add_argument("name")
    remove.add_argument("--db", required=True, help=_DB_HELP)
    listing = actions.add_parser("list", help="the agents' and collectors' logins")
    listing.add_argument("--db", required=True, help=_DB_HELP)


def _days(text: str) -> float:
    value = float(text)
    if not value >= 1:  # also refuses nan
        raise argparse.ArgumentTypeError("expected a number of days, 1 or more")
    return value


def run(args: argparse.Namespace) -> int:
    import asyncio
    import sys

    import psycopg

    from console.store.pg.connect import reason
    from console.store.pg.roles import TeamRolesError
    from console.store.sqlite_writer import StoreUnavailable

    try:
        asyncio.run(_run(args))
    except (StoreUnavailable, TeamRolesError, ValueError) as exc:
        print(f"team: {exc}", file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        print(f"team: {reason(exc)}", file=sys.stderr)
        return 1
    return 0


async def _run(args: argparse.Namespace) -> None:
    from console.store.pg.connect import Target

    target = Target(args.db)
    conn = await target.connect()
    try:
        await _act(conn, args, target.url)
    finally:
        await conn.close()


async def _act(conn: psycopg.AsyncConnection[Any], args: argparse.Namespace, url: str) -> None:
    from console.store.event_rows import DAY_S
    from console.store.pg import roles

    action = args.team_action
    if action == "init":
        bounds = roles.Bounds(min_age_s=args.retention_days * DAY_S)
        groups = await roles.init_team(conn, prefix=args.role_prefix, bounds=bounds)
        print(f"team database ready: groups {groups.agent} and {groups.collector}")
        print("next: stream-console team add-agent NAME, stream-console team add-collector NAME")
    elif action in ("add-agent", "add-collector"):
        password = await roles.add_login(conn, args.name, args.kind, password=not args.no_password)
        print(
            f"{args.kind} {args.name} added; their console's address: {login_url(url, args.name)}"
        )
        if password is None:
            print(f"{args.name} has no password: pg_hba.conf must admit them by cert or gss")
        else:
            print("password (shown this once, kept nowhere; hand it over privately):")
            print(password, flush=True)
    elif action == "remove":
        removed = await roles.remove_login(conn, args.name)
        print(f"{args.name} removed (their history stays)")
        if removed.ended:
            print(f"open sessions ended: {removed.ended}")
        if removed.left:
            print(
                f"open sessions this login may not end: {removed.left} (they keep no rights; "
                "a superuser can end them with pg_terminate_backend)"
            )
    else:
        for name, kind in await roles.team_logins(conn):
            print(f"{kind}\t{name}")


def login_url(url: str, name: str) -> str:
    """The owner's address with `name` as the user and no password: what the new login types
    into Team database… (a collector's `--db`)."""
    from urllib.parse import quote, urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{quote(name, safe='')}@{host}"))
