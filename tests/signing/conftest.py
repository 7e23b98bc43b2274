"""Fixtures: a development PKI made by `gateway certs init` once per session, plus the odd
identities the rejection tests need (expired, revoked, no digitalSignature, RSA-1024 ...).

Nothing private is committed: every key here is generated at test time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography import x509

from gateway.signing.certs import (
    Issuer,
    Validity,
    dev_name,
    issue_signing_cert,
    issue_tls_server,
    new_key,
)
from gateway.signing.certutil import utc
from gateway.signing.devpki import DevPki, add_facility, load_issuer, revoke
from gateway.signing.registry import register_certificate
from gateway.signing.sign import sign
from gateway.signing.signer import FileKeySigner, facility_key_id
from gateway.signing.trust import TrustStore

from .support import CHECKIN, ENVELOPE, MemorySigner, Pki, run_cli, self_signed


def _odd_identities(dev: DevPki, issuer: Issuer, now: datetime) -> MemorySigner:
    odd = MemorySigner()
    normal = Validity.days(365, now=now)

    def make(
        name: str, validity: Validity = normal, *, bits: int = 2048, **options: Any
    ) -> x509.Certificate:
        key = new_key("rsa", rsa_bits=bits)
        subject = dev_name(f"odd: {name}", "Cơ sở khám chữa bệnh 01001", tax_code="DEV01001")
        cert = issue_signing_cert(subject, key.public_key(), issuer, validity, **options)
        odd.add(name, key, cert)
        return cert

    make("expired", Validity(now - timedelta(days=400), now - timedelta(days=35)))
    make("not_yet_valid", Validity(now + timedelta(days=30), now + timedelta(days=400)))
    make("no_digital_signature", digital_signature=False)
    make("rsa1024", bits=1024)
    revoke(dev, make("revoked"), when=now - timedelta(days=1))
    revoke(dev, make("revoked_later"), when=now + timedelta(days=10))
    key = new_key("rsa")
    odd.add("self_signed", key, self_signed(key, normal))
    key = new_key("rsa")
    odd.add("tls_server", key, issue_tls_server(["localhost"], key.public_key(), issuer, normal))
    ec_key = new_key("ec")
    odd.add(
        "ec",
        ec_key,
        issue_signing_cert(
            dev_name("odd: ec", "Cơ sở 01001", tax_code="DEV01001"),
            ec_key.public_key(),
            issuer,
            normal,
        ),
    )
    for key_id in odd.key_ids():  # registered, so the registry is never the reason they fail
        register_certificate(dev.registry, "01001", odd.certificate_chain(key_id)[0])
    return odd


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    base = tmp_path_factory.mktemp("pki")
    code, _, err = run_cli("certs", "init", str(base), "--facilities", "01001,79001", "--force")
    assert code == 0, err
    dev = DevPki(base)
    add_facility(dev, "01002", key_type="ec")
    issuer = load_issuer(dev, "intermediate-ca")
    odd = _odd_identities(dev, issuer, utc(None))
    return Pki(dev, TrustStore.load(dev.trust_dir), FileKeySigner.from_pki(base), odd, issuer)


@pytest.fixture(scope="session")
def envelope() -> bytes:
    return ENVELOPE.read_bytes()


@pytest.fixture(scope="session")
def checkin() -> bytes:
    return CHECKIN.read_bytes()


@pytest.fixture(scope="session")
def signed_envelope(pki: Pki, envelope: bytes) -> bytes:
    return sign(envelope, pki.signer, facility_key_id("01001"))

