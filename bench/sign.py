"""Signing and verification speed on a typical ~40 KB envelope, beside the floor measured in the
same run, one core. Prints a markdown table.

    .venv/bin/python bench/sign.py [--size 40000] [--repeat 7] [--seconds 0.4]

Floors: safe parse + C14N 1.0 + SHA-256 + the raw RSA-2048 (resp. ECDSA P-256) private-key
operation with `cryptography`, sign resp. verify. Targets (issue 4): sign within 2x of its
floor, signature verification within 4x; full verification (chain, revocation, registry) is
reported separately. signxml and python-xmlsec are both measured; the gateway signs with
signxml (the private-key operation goes to the Signer as a digest) and checks signatures with
python-xmlsec (in place, on the parsed tree).
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime
import hashlib
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import xmlsec
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.signing.devpki import add_facility, init_dev_pki  # noqa: E402
from gateway.signing.sign import sign  # noqa: E402
from gateway.signing.signer import FileKeySigner, facility_key_id  # noqa: E402
from gateway.signing.structure import locate_in_container  # noqa: E402
from gateway.signing.trust import TrustStore  # noqa: E402
from gateway.signing.verify import check_signed_content, verify  # noqa: E402
from gateway.xml.safe import parse_bytes  # noqa: E402

SAMPLE = ROOT / "tests/data/shared_samples/SYN_qd4750_GIAMDINHHS_envelope_unsigned.xml"


def typical_envelope(target: int) -> bytes:
    """The synthetic envelope with XML2/XML3 rows repeated until it is about `target` bytes."""
    root = etree.fromstring(SAMPLE.read_bytes())
    files = {f.findtext("LOAIHOSO"): f.find("NOIDUNGFILE") for f in root.iter("FILEHOSO")}
    tables = {
        name: etree.fromstring(base64.b64decode(files[name].text or ""))
        for name in ("XML2", "XML3")
    }

    def size() -> int:
        for name, table in tables.items():
            inner = etree.tostring(table, xml_declaration=True, encoding="utf-8")
            files[name].text = base64.b64encode(inner).decode()
        return len(etree.tostring(root, xml_declaration=True, encoding="utf-8"))

    while size() < target:
        for table in tables.values():
            rows = table[0]
            row = copy.deepcopy(rows[0])
            row.find("STT").text = str(len(rows) + 1)
            rows.append(row)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _burst(fn: Callable[[], object], count: int) -> float:
    start = time.process_time()  # CPU time of this process: robust to other load on the host
    for _ in range(count):
        fn()
    return time.process_time() - start


def rates(
    floor: Callable[[], object], operation: Callable[[], object], repeat: int, seconds: float
) -> tuple[float, float, float]:
    """(floor per second, operation per second, time ratio operation/floor): medians over
    `repeat` rounds that alternate the two, so drift on a shared machine hits both alike."""
    counts = []
    for fn in (floor, operation):
        fn()
        n, spent = 1, _burst(fn, 1)
        while spent < seconds / 8:
            n *= 2
            spent = _burst(fn, n)
        counts.append(max(3, int(n * seconds / 2 / spent)))
    floor_rates, op_rates, ratios = [], [], []
    for _ in range(repeat):
        floor_time = _burst(floor, counts[0]) / counts[0]
        op_time = _burst(operation, counts[1]) / counts[1]
        floor_rates.append(1 / floor_time)
        op_rates.append(1 / op_time)
        ratios.append(op_time / floor_time)
    return statistics.median(floor_rates), statistics.median(op_rates), statistics.median(ratios)


def libxmlsec_version() -> tuple[int, ...]:
    version = getattr(xmlsec, "get_libxmlsec_version", None)
    return tuple(version()) if version else ()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


Row = tuple[str, str, float, float, float, str]


def floor_of(data: bytes, operation: Callable[[], object]) -> Callable[[], None]:
    """Safe parse + C14N 1.0 + SHA-256 of `data`, then the raw key operation."""

    def run() -> None:
        tree = parse_bytes(data)
        hashlib.sha256(etree.tostring(tree, method="c14n")).digest()
        operation()

    return run


def measure(
    name: str,
    folder: Path,
    document: bytes,
    signer: FileKeySigner,
    key_id: str,
    trust: TrustStore,
    repeat: int,
    seconds: float,
) -> list[Row]:
    """Every row of the table for one key (RSA-2048 or ECDSA P-256)."""
    key = serialization.load_pem_private_key((folder / "key.pem").read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    public = key.public_key()
    signed_info = b"<ds:SignedInfo>" + b"x" * 700  # the size of a real SignedInfo
    signed = sign(document, signer, key_id)
    is_rsa = isinstance(key, rsa.RSAPrivateKey)

    def raw_sign() -> bytes:
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(signed_info, padding.PKCS1v15(), hashes.SHA256())
        return key.sign(signed_info, ec.ECDSA(hashes.SHA256()))

    raw_signature = raw_sign()

    def raw_verify() -> None:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(raw_signature, signed_info, padding.PKCS1v15(), hashes.SHA256())
        else:
            public.verify(raw_signature, signed_info, ec.ECDSA(hashes.SHA256()))

    c = xmlsec.constants
    xkey = xmlsec.Key.from_memory((folder / "key.pem").read_bytes(), c.KeyDataFormatPem)
    xkey.load_cert_from_memory((folder / "cert.pem").read_bytes(), c.KeyDataFormatPem)

    def xmlsec_sign() -> bytes:
        root = parse_bytes(document).getroot()
        method = c.TransformRsaSha256 if is_rsa else c.TransformEcdsaSha256
        template = xmlsec.template.create(root, c.TransformInclC14N, method, ns="ds")
        root.find("CHUKYDONVI").append(template)
        reference = xmlsec.template.add_reference(template, c.TransformSha256, uri="")
        xmlsec.template.add_transform(reference, c.TransformEnveloped)
        xmlsec.template.add_transform(reference, c.TransformInclC14N)
        xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(template))
        context = xmlsec.SignatureContext()
        context.key = xkey
        context.sign(template)
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")

    config = SignatureConfiguration(location="./CHUKYDONVI/")
    leaf = signer.certificate_chain(key_id)[0]

    def signxml_verify() -> None:
        XMLVerifier().verify(parse_bytes(signed).getroot(), x509_cert=leaf, expect_config=config)

    def ours_check() -> None:
        check_signed_content(parse_bytes(signed).getroot(), locate_in_container)

    assert verify(signed, trust).fingerprint
    assert XMLVerifier().verify(xmlsec_sign(), x509_cert=leaf, expect_config=config) is not None
    sign_floor, verify_floor = floor_of(document, raw_sign), floor_of(signed, raw_verify)
    measured = [
        ("**sign** (ours: signxml + Signer)", sign_floor, lambda: sign(document, signer, key_id)),
        ("sign, python-xmlsec template (comparison)", sign_floor, xmlsec_sign),
        ("**signature verification** (ours: profile + python-xmlsec)", verify_floor, ours_check),
        ("signature verification, signxml (comparison)", verify_floor, signxml_verify),
        (
            "full verify (+ chain, CRL revocation, registry)",
            verify_floor,
            lambda: verify(signed, trust),
        ),
    ]
    rows = []
    for label, base, operation in measured:
        floor_rate, op_rate, ratio = rates(base, operation, repeat, seconds)
        rows.append(
            (name, label, op_rate, ratio, floor_rate, "sign" if base is sign_floor else "verify")
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sign-") as work:  # test keys, deleted after
        return run(args, Path(work))


def run(args: argparse.Namespace, work: Path) -> int:
    """Measure with a fresh development PKI under `work` and print the table."""
    envelope = typical_envelope(args.size)
    pki = init_dev_pki(work / "pki", ["01001"])
    add_facility(pki, "01002", key_type="ec")
    signer = FileKeySigner.from_pki(pki.base)
    trust = TrustStore.load(pki.trust_dir)
    ec_envelope = envelope.replace(b"<MACSKCB>01001<", b"<MACSKCB>01002<")
    rows = measure(
        "RSA-2048",
        pki.identity("01001"),
        envelope,
        signer,
        facility_key_id("01001"),
        trust,
        args.repeat,
        args.seconds,
    )
    rows += measure(
        "ECDSA P-256",
        pki.identity("01002"),
        ec_envelope,
        signer,
        facility_key_id("01002"),
        trust,
        args.repeat,
        args.seconds,
    )

    signed_size = len(sign(envelope, signer, facility_key_id("01001")))
    versions = ", ".join(
        f"{p} {metadata.version(p)}" for p in ("lxml", "signxml", "xmlsec", "cryptography")
    )
    print(
        f"### bench/sign.py: a {len(envelope):,}-byte envelope ({signed_size:,} signed), one core\n"
    )
    print(
        f"- machine: {cpu_model()}, {os.cpu_count()} vCPU; Python {platform.python_version()}; "
        f"libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}, libxmlsec1 "
        f"{'.'.join(map(str, libxmlsec_version()))}"
    )
    print(f"- {versions}")
    print(
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; medians of {args.repeat} rounds\n"
    )
    print("| key | operation | per second | floor per second | time ÷ floor |")
    print("|---|---|---:|---:|---:|")
    for key_name, label, per_second, ratio, floor_rate, kind in rows:
        print(
            f"| {key_name} | {label} | {per_second:,.0f} | {floor_rate:,.0f} ({kind}) | {ratio:.2f} |"
        )
    print(
        "\nFloors: safe parse + C14N 1.0 + SHA-256 of the document + the raw private-key sign, resp."
        " public-key verify, with `cryptography`. Ratio: median over rounds that alternate floor and"
        " operation; CPU time of this process. Targets: sign <= 2x, signature verification <= 4x."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
