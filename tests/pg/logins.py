"""A team database set up as docs/team-mode.md says (Roles): `init_team` by the owner, then two
agent logins and one collector login, each with its own password. Role names carry the database's
name: roles are cluster-wide and the session's cluster serves every test."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from console.store.pg.roles import (
    AGENT,
    COLLECTOR,
    DEFAULT_BOUNDS,
    Bounds,
    Groups,
    add_login,
    init_team,
)
from tests.pg.cluster import PASSWORD, PgCluster


@dataclass
class Team:
    cluster: PgCluster
    db: str
    groups: Groups
    passwords: dict[str, str] = field(default_factory=dict)  # login -> password

    @property
    def agent(self) -> str:
        return f"agent_a_{self.db}"

    @property
    def other_agent(self) -> str:
        return f"agent_b_{self.db}"

    @property
    def collector(self) -> str:
        return f"collector_{self.db}"

    def url(self, login: str) -> str:
        return f"postgresql://{login}@127.0.0.1:{self.cluster.port}/{self.db}"

    async def connect(self, login: str) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(
            self.url(login), password=self.passwords[login], autocommit=True
        )


async def owner(cluster: PgCluster, db: str) -> psycopg.AsyncConnection[Any]:
    """The owner's connection (the cluster's superuser created the test database)."""
    return await psycopg.AsyncConnection.connect(
        cluster.url(db), password=PASSWORD, autocommit=True
    )


async def set_up_team(cluster: PgCluster, db: str, bounds: Bounds = DEFAULT_BOUNDS) -> Team:
    async with await owner(cluster, db) as conn:
        team = Team(cluster, db, await init_team(conn, bounds=bounds))
        for login, kind in (
            (team.agent, AGENT), (team.other_agent, AGENT), (team.collector, COLLECTOR),
        ):  # fmt: skip
            password = await add_login(conn, login, kind)
            assert password is not None and len(password) >= 32
            team.passwords[login] = password
    return team
