"""``fsor serve --tls-cert/--tls-key``: HTTPS with a certificate made here (no network)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.service.test_service_restart import Server

pytestmark = [pytest.mark.integration]


def self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    c, k = tmp / "cert.pem", tmp / "key.pem"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    k.chmod(0o600)
    return c, k


def test_https_with_the_configured_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server = Server(tmp_path, "--tls-cert", str(cert), "--tls-key", str(key))
    server.url = server.url.replace("http://", "https://")
    try:
        ctx = ssl.create_default_context(cafile=str(cert))

        async def go() -> tuple[int, str]:
            deadline = asyncio.get_running_loop().time() + 60
            async with aiohttp.ClientSession() as http:
                while True:
                    try:
                        async with http.get(server.url + "/healthz", ssl=ctx) as r:
                            return r.status, (await r.json())["status"]
                    except aiohttp.ClientConnectorError:
                        if asyncio.get_running_loop().time() > deadline:
                            raise
                        await asyncio.sleep(0.2)

        assert asyncio.run(go()) == (200, "ok")
    finally:
        server.stop()
