"""A throwaway PostgreSQL cluster for tests and benchmarks: Debian's server binaries, a temp dir,
a free port on 127.0.0.1, its socket in the temp dir; stopped and deleted at the end.

initdb refuses to run as root, and the tests run as root in CI, so as root every server command
runs as the `postgres` OS user (`runuser`) on a directory it owns. `fsync=off` for the tests: a
throwaway cluster never outlives an OS crash, and the tests stop the server only cleanly (or kill
collectors, not the server), so durability on disk is not what they measure; the benchmarks ask
for `durable=True`, the settings a team's server keeps.
Superuser `stream` with a password for TCP (scram), trust on the socket (for the admin side).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg

from tests.net import free_port

USER = "stream"
PASSWORD = "pg-test-password-4f1c9a"  # a throwaway cluster's; tests check it is never printed


def server_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin directory (None when not installed)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


class PgCluster:
    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="stream-console-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        self._databases = 0

    def _run(self, *args: str, timeout: float = 60.0) -> None:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stdout}{done.stderr}")

    def init(self, *, durable: bool = False, max_connections: int = 200) -> None:
        self.sock.mkdir()
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sock, "postgres")
            shutil.chown(pwfile, "postgres")
        os.chmod(self.root, 0o700)
        os.chmod(pwfile, 0o600)
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
            "--no-instructions",
        )  # fmt: skip
        pwfile.unlink()
        conf = "\n".join(
            [
                f"port = {self.port}",
                "listen_addresses = '127.0.0.1'",
                f"unix_socket_directories = '{self.sock}'",
                *(
                    ["fsync = on", "synchronous_commit = on", "full_page_writes = on"]
                    if durable
                    else ["fsync = off", "full_page_writes = off"]
                ),
                "shared_buffers = 32MB",
                f"max_connections = {max_connections}",
                "log_min_messages = warning",
            ]
        )
        with (self.data / "postgresql.auto.conf").open("a") as f:
            f.write(conf + "\n")

    def enable_tls(self, cert_pem: bytes, key_pem: bytes) -> None:
        """Serve TLS with this certificate (call between `init` and `start`); the key is the
        server's own file, 0600, as PostgreSQL demands."""
        for name, data, mode in (("server.crt", cert_pem, 0o644), ("server.key", key_pem, 0o600)):
            path = self.data / name
            path.write_bytes(data)
            os.chmod(path, mode)
            if self._as_postgres:
                shutil.chown(path, "postgres")
        with (self.data / "postgresql.auto.conf").open("a") as f:
            f.write("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")

    def start(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def promote(self) -> None:
        """Make this standby a primary (returns once it takes writes)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "promote")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # --- use ----------------------------------------------------------------------------------
    def url(self, dbname: str, *, with_password: bool = False) -> str:
        secret = f":{PASSWORD}" if with_password else ""
        return f"postgresql://{USER}{secret}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        """A superuser connection over the socket (trust), autocommit."""
        return psycopg.connect(
            host=str(self.sock), port=self.port, user=USER, dbname=dbname, autocommit=True
        )

    def tables(self, dbname: str) -> set[str]:
        """The tables in `dbname`'s public schema."""
        with self.admin(dbname) as conn:
            rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return {r[0] for r in rows}

    def new_database(self, prefix: str = "t") -> str:
        self._databases += 1
        name = f"{prefix}_{os.getpid()}_{self._databases}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def terminate(self, dbname: str, application: str = "stream-console") -> int:
        """Cut every `application` connection to `dbname` (pg_terminate_backend); how many."""
        with self.admin() as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND application_name = %s",
                (dbname, application),
            ).fetchall()
        return len(rows)


def started_standby(primary: PgCluster) -> PgCluster:
    """A hot standby of `primary`, streaming from it (pg_basebackup -R over the socket, where
    initdb's rules trust replication), on a port and socket of its own."""
    standby = PgCluster(primary.bin)
    try:
        standby.sock.mkdir()
        if standby._as_postgres:
            shutil.chown(standby.root, "postgres")
            shutil.chown(standby.sock, "postgres")
        os.chmod(standby.root, 0o700)
        standby._run(
            str(primary.bin / "pg_basebackup"), "-D", str(standby.data), "-h", str(primary.sock),
            "-p", str(primary.port), "-U", USER, "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        with (standby.data / "postgresql.auto.conf").open("a") as f:  # later lines win
            f.write(f"port = {standby.port}\nunix_socket_directories = '{standby.sock}'\n")
        standby.start()
    except BaseException:
        standby.destroy()
        raise
    return standby


def started_cluster(
    tls: tuple[bytes, bytes] | None = None, *, durable: bool = False, max_connections: int = 200
) -> PgCluster:
    """A running cluster; `tls`: (certificate, key) PEM to serve TLS with; `durable`: fsync,
    synchronous commit and full-page writes on, as a team's server runs (the benchmarks)."""
    bin_dir = server_bin()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): "
            "run scripts/system-deps.sh test"
        )
    cluster = PgCluster(bin_dir)
    try:
        cluster.init(durable=durable, max_connections=max_connections)
        if tls is not None:
            cluster.enable_tls(*tls)
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster
