"""Team mode tests reuse the storage's throwaway PostgreSQL (tests/pg/conftest.py: one cluster
per session, a fresh database per test)."""

from __future__ import annotations

from tests.pg.conftest import pg_cluster, pg_db, pg_password, pg_url

__all__ = ["pg_cluster", "pg_db", "pg_password", "pg_url"]
