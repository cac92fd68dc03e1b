"""TLS to the team database as the README's Team mode section sets it up: the team's own CA, a
server certificate for the database's address, and `sslmode=verify-full&sslrootcert=<the CA>` in
the address every console and collector uses. A certificate from another CA, or for another
name, is refused before any password is sent."""

from __future__ import annotations

import datetime
import ipaddress
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from console.domain.team_db import team_url_problem
from console.store.pg.activity_log import PgActivityLog
from console.store.pg.event_log import PgEventLog
from console.store.sqlite_writer import StoreUnavailable
from tests.pg.cluster import PASSWORD, USER, PgCluster, started_cluster
from tests.store.events_factory import make_event
from tests.store.test_activity_log import entry


def make_ca_and_server(directory: Path, name: str) -> tuple[Path, bytes, bytes]:
    """(the CA's certificate file, the server's certificate PEM, its key PEM) for a server at
    127.0.0.1; with the `cryptography` package when it is installed, else Debian's openssl."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return _with_openssl(directory, name)
    return _with_cryptography(directory, name)


def _with_cryptography(directory: Path, name: str) -> tuple[Path, bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def certificate(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
        signer: ec.EllipticCurvePrivateKey, ca: bool,
    ) -> x509.Certificate:  # fmt: skip
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} team CA")])
    ca = certificate(f"{name} team CA", ca_key, ca_name, ca_key, True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = certificate("127.0.0.1", server_key, ca_name, ca_key, False)
    ca_file = directory / f"{name}-ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    key_pem = server_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ca_file, server.public_bytes(serialization.Encoding.PEM), key_pem


def _with_openssl(directory: Path, name: str) -> tuple[Path, bytes, bytes]:
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    ca_key, ca_file = directory / f"{name}-ca.key", directory / f"{name}-ca.pem"
    run(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca_file),
        "-days",
        "1",
        "-subj",
        f"/CN={name} team CA",
    )
    run(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    (directory / "san.ext").write_text("subjectAltName = IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", str(ca_file), "-CAkey", str(ca_key),
        "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.ext")  # fmt: skip
    return ca_file, (directory / "server.crt").read_bytes(), (directory / "server.key").read_bytes()


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PgCluster, Path]]:
    directory = tmp_path_factory.mktemp("tls")
    ca_file, cert, key = make_ca_and_server(directory, "ours")
    cluster = started_cluster(tls=(cert, key))
    try:
        yield cluster, ca_file
    finally:
        cluster.destroy()


def _url(cluster: PgCluster, db: str, ca_file: Path, host: str = "127.0.0.1") -> str:
    return (
        f"postgresql://{USER}@{host}:{cluster.port}/{db}?sslmode=verify-full&sslrootcert={ca_file}"
    )


@pytest.mark.asyncio
async def test_verify_full_with_the_teams_ca_works_end_to_end(
    tls_cluster: tuple[PgCluster, Path],
) -> None:
    cluster, ca_file = tls_cluster
    db = cluster.new_database()
    url = _url(cluster, db, ca_file)
    assert team_url_problem(url) is None  # the Team database dialog takes this address
    log = PgEventLog(url, password=PASSWORD, maintenance_interval_s=0)
    history = PgActivityLog(url, password=PASSWORD)
    await log.open()
    await history.open()
    try:
        done = await log.append(make_event(1), nonce="tls-1")
        await history.append(entry(1))
        assert (await log.get(done.event.id)) is not None and len(await history.recent()) == 1
    finally:
        await log.close()
        await history.close()
    async with await psycopg.AsyncConnection.connect(url, password=PASSWORD) as conn:
        assert conn.pgconn.ssl_in_use
        cursor = await conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        assert await cursor.fetchone() == (True,)


@pytest.mark.asyncio
async def test_another_ca_or_another_name_is_refused(
    tls_cluster: tuple[PgCluster, Path], tmp_path: Path
) -> None:
    cluster, ca_file = tls_cluster
    db = cluster.new_database()
    stranger_ca, _, _ = make_ca_and_server(tmp_path, "theirs")
    for url, why in (
        (_url(cluster, db, stranger_ca), "certificate verify failed"),
        (_url(cluster, db, ca_file, host="localhost"), "does not match host name"),
    ):
        log = PgEventLog(url, password=PASSWORD, maintenance_interval_s=0)
        with pytest.raises(StoreUnavailable, match=why):
            await log.open()
