"""Helpers shared by the signing tests: samples, the CLI runner, an in-memory Signer."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from lxml import etree

from gateway.signing.algorithms import DS, SignatureAlgorithm
from gateway.signing.certs import (
    Issuer,
    PrivateKey,
    Validity,
    dev_name,
)
from gateway.signing.commands import register
from gateway.signing.devpki import DevPki
from gateway.signing.signer import FileKeySigner
from gateway.signing.trust import TrustStore

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "shared_samples"
ENVELOPE = SAMPLES / "SYN_qd4750_GIAMDINHHS_envelope_unsigned.xml"
CHECKIN = SAMPLES / "SYN_qd4750_XML0_CHI_TIEU_TRANG_THAI_KCB_checkin.xml"
# XML12 (medical assessment): no facility code inside; bound to the authenticated submitter.
XML12 = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<CHI_TIEU_GIAM_DINH_YKHOA><DSACH_GIAM_DINH_YKHOA>'
    b"<GIAM_DINH_YKHOA><SO_BIEN_BAN>BB-0001</SO_BIEN_BAN></GIAM_DINH_YKHOA>"
    b"</DSACH_GIAM_DINH_YKHOA><CHUKYDONVI/></CHI_TIEU_GIAM_DINH_YKHOA>"
)


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run a signing sub-command as `gateway` would; returns (exit status, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="gateway")
    register(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            args = parser.parse_args(list(argv))
        except SystemExit as exc:
            return int(exc.code or 0), out.getvalue(), err.getvalue()
        code = args.handler(args)
    return code, out.getvalue(), err.getvalue()


class MemorySigner:
    """A Signer over in-memory keys: what an HSM adapter looks like to its callers."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[PrivateKey, x509.Certificate]] = {}

    def add(self, key_id: str, key: PrivateKey, cert: x509.Certificate) -> None:
        self._keys[key_id] = (key, cert)

    def key(self, key_id: str) -> PrivateKey:
        return self._keys[key_id][0]

    def key_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self._keys))

    def certificate_chain(self, key_id: str) -> tuple[x509.Certificate, ...]:
        return (self._keys[key_id][1],)

    def sign_digest(self, key_id: str, algorithm: SignatureAlgorithm, digest: bytes) -> bytes:
        key = self._keys[key_id][0]
        prehashed = utils.Prehashed(hashes.SHA256())
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(digest, padding.PKCS1v15(), prehashed)
        r, s = utils.decode_dss_signature(key.sign(digest, ec.ECDSA(prehashed)))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@dataclass(frozen=True)
class Pki:
    """The session's PKI: paths, trust store, the file signer and the odd test identities."""

    dev: DevPki
    trust: TrustStore
    signer: FileKeySigner
    odd: MemorySigner
    issuer: Issuer

    def trust_with(self, **changes: Any) -> TrustStore:
        """The same trust store with other settings (revocation policy, OCSP fetch, CRLs ...)."""
        return dataclasses.replace(self.trust, **changes)


def self_signed(key: PrivateKey, validity: Validity) -> x509.Certificate:
    """A self-signed end-entity certificate naming facility 01001 (an attacker's own cert)."""
    subject = dev_name("Cơ sở KCB 01001 (tự ký)", "Cơ sở khám chữa bệnh 01001", tax_code="DEV01001")
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity.not_before)
        .not_valid_after(validity.not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
    )
    return builder.sign(key, hashes.SHA256())


def pem_key(key: PrivateKey) -> bytes:
    """A private key as unencrypted PKCS#8 PEM (test keys only)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def xmlsec_sign(
    document: bytes,
    key: PrivateKey,
    cert: x509.Certificate,
    *,
    method: Any = None,
    digest: Any = None,
    c14n: Any = None,
    transforms: tuple[Any, ...] = (),
    uri: str = "",
    xpath: str | None = None,
    container: str | None = "CHUKYDONVI",
) -> bytes:
    """Sign with python-xmlsec from a template: lets the tests build what our signer never
    would (SHA-1, XPath transforms, other URIs, exclusive C14N), to check that we refuse it."""
    c = xmlsec.constants
    root = etree.fromstring(document)
    signature = xmlsec.template.create(
        root, c14n or c.TransformInclC14N, method or c.TransformRsaSha256, ns="ds"
    )
    parent = root.find(container) if container else root
    assert parent is not None
    parent.append(signature)
    reference = xmlsec.template.add_reference(signature, digest or c.TransformSha256, uri=uri)
    for transform in transforms or (c.TransformEnveloped,):
        node = xmlsec.template.add_transform(reference, transform)
        if transform == c.TransformXPath and xpath is not None:
            etree.SubElement(node, f"{DS}XPath").text = xpath
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    context = xmlsec.SignatureContext()
    signing_key = xmlsec.Key.from_memory(pem_key(key), c.KeyDataFormatPem)
    signing_key.load_cert_from_memory(
        cert.public_bytes(serialization.Encoding.PEM), c.KeyDataFormatPem
    )
    context.key = signing_key
    if uri.startswith("#"):
        target = root.xpath("//*[@Id=$id]", id=uri[1:])
        context.register_id(target[0], "Id")
    context.sign(signature)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
