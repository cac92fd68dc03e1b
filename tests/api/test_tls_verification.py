"""What the client verifies TLS with: an https API keeps httpx's default (a CA bundle); a
plain-http API (the demo's simulator) loads no bundle, and its context, asked for https anyway,
refuses every certificate instead of trusting any."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from console.api import PlivoClient, StaticToken
from console.api.session import tls_verification
from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator, SimulatorConfig
from tests.servicecheck.test_check_service import _ca, _cert, _key, _server_context


@asynccontextmanager
async def tls_server(tmp: Path) -> AsyncIterator[tuple[int, Path]]:
    """An HTTPS server on 127.0.0.1 answering 200, with a certificate for 127.0.0.1 signed by a
    test CA; yields its port and the CA's file."""
    ca_key, ca_file = _ca(tmp)
    key = _key()
    context = _server_context(tmp, _cert("localhost", key, ("Stream Console Test CA", ca_key)), key)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client refused the certificate
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1], ca_file
    finally:
        server.close()
        await server.wait_closed()


def test_https_keeps_the_default_ca_bundle() -> None:
    assert tls_verification("https://api.plivo.com") is True


def test_plain_http_gets_a_context_that_verifies_against_no_ca() -> None:
    context = tls_verification("http://127.0.0.1:8080")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0
    assert context.get_ca_certs() == []


@pytest.mark.asyncio
async def test_the_plain_http_context_refuses_even_a_valid_certificate(tmp_path: Path) -> None:
    async with tls_server(tmp_path) as (port, ca_file):
        url = f"https://127.0.0.1:{port}/"
        trusting = ssl.create_default_context(cafile=ca_file)
        async with httpx.AsyncClient(verify=trusting, trust_env=False) as client:
            assert (await client.get(url)).text == "ok"  # the certificate is good
        plain = tls_verification("http://127.0.0.1:8080")
        async with httpx.AsyncClient(verify=plain, trust_env=False) as client:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(url)


@pytest.mark.asyncio
async def test_a_client_for_plain_http_loads_no_ca_and_lists_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = Simulator(SimulatorConfig(calls=2, seed=1, churn=False, media=False))
    await sim.start()
    try:

        def no_bundle(*_: object, **__: object) -> ssl.SSLContext:
            raise AssertionError("a CA bundle was loaded for a plain-http API")

        monkeypatch.setattr(ssl, "create_default_context", no_bundle)
        async with PlivoClient(DEMO_AUTH_ID, StaticToken(DEMO_AUTH_TOKEN), sim.base_url) as client:
            assert sorted(await client.list_live_call_ids()) == sorted(sim.live_call_uuids())
    finally:
        await sim.stop()
