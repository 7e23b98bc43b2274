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

from gateway.signing.algorithms import DS  # noqa: E402
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
    tables = {name: etree.fromstring(base64.b64decode(files[name].text or "")) for name in ("XML2", "XML3")}

    def size() -> int:
        for name, table in tables.items():
            inner = etree.tostring(table, xml_declaration=True, encoding="utf-8")
            files[name].text = base64.b64encode(inner).decode()  # type: ignore[union-attr]
        return len(etree.tostring(root, xml_declaration=True, encoding="utf-8"))

    while size() < target:
        for table in tables.values():
            rows = table[0]
            row = copy.deepcopy(rows[0])
            row.find("STT").text = str(len(rows) + 1)  # type: ignore[union-attr]
            rows.append(row)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def rate(fn: Callable[[], object], repeat: int, seconds: float) -> float:
    """Operations per second: the median of `repeat` runs of about `seconds` each."""
    fn()
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds / 4:
        fn()
        n += 1
    per_run = max(5, int(n * 4))
    results = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(per_run):
            fn()
        results.append(per_run / (time.perf_counter() - start))
    return statistics.median(results)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.4)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    envelope = typical_envelope(args.size)
    work = Path(tempfile.mkdtemp(prefix="bench-sign-"))
    pki = init_dev_pki(work / "pki", ["01001"])
    add_facility(pki, "01002", key_type="ec")
    signer = FileKeySigner.from_pki(pki.base)
    trust = TrustStore.load(pki.trust_dir)
    ec_envelope = envelope.replace(b"<MACSKCB>01001<", b"<MACSKCB>01002<")
    signed = {"rsa": sign(envelope, signer, facility_key_id("01001")),
              "ecdsa": sign(ec_envelope, signer, facility_key_id("01002"))}
    unsigned = {"rsa": envelope, "ecdsa": ec_envelope}
    codes = {"rsa": "01001", "ecdsa": "01002"}

    rows: list[tuple[str, str, float, float | None]] = []
    for alg in ("rsa", "ecdsa"):
        folder = pki.identity(codes[alg])
        key = serialization.load_pem_private_key((folder / "key.pem").read_bytes(), None)
        cert_pem = (folder / "cert.pem").read_bytes()
        public = key.public_key()
        signed_info = b"<ds:SignedInfo>" + b"x" * 700  # the size of a real SignedInfo
        raw_sig = (key.sign(signed_info, padding.PKCS1v15(), hashes.SHA256()) if alg == "rsa"
                   else key.sign(signed_info, ec.ECDSA(hashes.SHA256())))  # type: ignore[call-arg, arg-type]

        def raw_sign() -> bytes:
            if isinstance(key, rsa.RSAPrivateKey):
                return key.sign(signed_info, padding.PKCS1v15(), hashes.SHA256())
            return key.sign(signed_info, ec.ECDSA(hashes.SHA256()))  # type: ignore[union-attr, call-arg]

        def raw_verify() -> None:
            if isinstance(public, rsa.RSAPublicKey):
                public.verify(raw_sig, signed_info, padding.PKCS1v15(), hashes.SHA256())
            else:
                public.verify(raw_sig, signed_info, ec.ECDSA(hashes.SHA256()))  # type: ignore[union-attr, call-arg]

        def floor(data: bytes, operation: Callable[[], object]) -> Callable[[], None]:
            def run() -> None:
                tree = parse_bytes(data)
                hashlib.sha256(etree.tostring(tree, method="c14n")).digest()
                operation()
            return run

        doc, sig_doc = unsigned[alg], signed[alg]
        key_id = facility_key_id(codes[alg])
        method = xmlsec.constants.TransformRsaSha256 if alg == "rsa" else xmlsec.constants.TransformEcdsaSha256
        xkey = xmlsec.Key.from_memory((folder / "key.pem").read_bytes(), xmlsec.constants.KeyDataFormatPem)
        xkey.load_cert_from_memory(cert_pem, xmlsec.constants.KeyDataFormatPem)

        def xmlsec_sign() -> bytes:
            root = parse_bytes(doc).getroot()
            template = xmlsec.template.create(root, xmlsec.constants.TransformInclC14N, method, ns="ds")
            root.find("CHUKYDONVI").append(template)  # type: ignore[union-attr]
            ref = xmlsec.template.add_reference(template, xmlsec.constants.TransformSha256, uri="")
            xmlsec.template.add_transform(ref, xmlsec.constants.TransformEnveloped)
            xmlsec.template.add_transform(ref, xmlsec.constants.TransformInclC14N)
            xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(template))
            context = xmlsec.SignatureContext()
            context.key = xkey
            context.sign(template)
            return etree.tostring(root, xml_declaration=True, encoding="utf-8")

        config = SignatureConfiguration(location="./CHUKYDONVI/")
        leaf = signer.certificate_chain(key_id)[0]

        def signxml_verify() -> None:
            XMLVerifier().verify(parse_bytes(sig_doc).getroot(), x509_cert=leaf, expect_config=config)

        def ours_check() -> None:
            check_signed_content(parse_bytes(sig_doc).getroot(), locate_in_container)

        name = "RSA-2048" if alg == "rsa" else "ECDSA P-256"
        sign_floor = rate(floor(doc, raw_sign), args.repeat, args.seconds)
        verify_floor = rate(floor(sig_doc, raw_verify), args.repeat, args.seconds)
        rows += [
            (name, "floor: parse + C14N + SHA-256 + raw sign", sign_floor, None),
            (name, "**sign** (ours: signxml + Signer)", rate(lambda: sign(doc, signer, key_id), args.repeat,
                                                             args.seconds), sign_floor),
            (name, "sign, python-xmlsec template (comparison)", rate(xmlsec_sign, args.repeat, args.seconds),
             sign_floor),
            (name, "floor: parse + C14N + SHA-256 + raw verify", verify_floor, None),
            (name, "**signature verification** (ours: profile + python-xmlsec)",
             rate(ours_check, args.repeat, args.seconds), verify_floor),
            (name, "signature verification, signxml (comparison)", rate(signxml_verify, args.repeat, args.seconds),
             verify_floor),
            (name, "full verify (+ chain, CRL revocation, registry)",
             rate(lambda: verify(sig_doc, trust), args.repeat, args.seconds), verify_floor),
        ]
        assert verify(sig_doc, trust).facility == codes[alg]
        assert XMLVerifier().verify(xmlsec_sign(), x509_cert=leaf, expect_config=config) is not None

    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("lxml", "signxml", "xmlsec", "cryptography"))
    print(f"### bench/sign.py — {len(envelope):,} byte envelope "
          f"({len(signed['rsa']):,} signed), one core\n")
    print(f"- machine: {cpu_model()}, {os.cpu_count()} vCPU; Python {platform.python_version()}; "
          f"libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}, xmlsec1 "
          f"{'.'.join(map(str, xmlsec.get_libxmlsec_version()))}")
    print(f"- {versions}")
    print(f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; median of {args.repeat} runs\n")
    print("| key | operation | per second | × floor time |")
    print("|---|---|---:|---:|")
    for key_name, label, per_second, floor_rate in rows:
        ratio = f"{floor_rate / per_second:.2f}" if floor_rate else "1.00"
        print(f"| {key_name} | {label} | {per_second:,.0f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
