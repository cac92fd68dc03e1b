"""Fixtures for the team-database tests: one throwaway cluster per session (tests/pg/cluster.py),
a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg.cluster import PASSWORD, PgCluster, started_cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = started_cluster()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def pg_db(pg_cluster: PgCluster) -> str:
    """The name of a new, empty database."""
    return pg_cluster.new_database()


@pytest.fixture
def pg_url(pg_cluster: PgCluster, pg_db: str) -> str:
    """Its URL (no password in it: pass `pg_password`, as the app would)."""
    return pg_cluster.url(pg_db)


@pytest.fixture
def pg_password() -> str:
    return PASSWORD
