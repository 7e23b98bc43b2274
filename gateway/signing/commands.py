"""CLI: `gateway sign`, `verify`, `verify-receipt`, `certs init|register|unregister|export-p12|revoke`.

Exit status: 0 success; 1 a signature or receipt did not verify (each failure printed with its
code); 2 usage error (bad arguments, unreadable key or trust directory). Passphrases are read
from an environment variable or a file, never from the command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509

from gateway.signing.algorithms import SIGNING_ALGORITHMS, SignatureAlgorithm
from gateway.signing.certutil import fingerprint, load_certificates, parse_time
from gateway.signing.devpki import DevPki, init_dev_pki, revoke
from gateway.signing.errors import FILE_READ, SignatureRejected, SigningError
from gateway.signing.receipt import verify_receipt
from gateway.signing.registry import REGISTRY_FILE, register_certificate, unregister_certificate
from gateway.signing.sign import sign
from gateway.signing.signer import FileKeySigner, KeySource, PassphraseSource, export_pkcs12
from gateway.signing.trust import RevocationPolicy, TrustStore
from gateway.signing.verify import verify
from gateway.xml.errors import XmlError

Handler = Callable[[argparse.Namespace], int]
_ALGS = sorted(a.name.lower().replace("_", "-") for a in SIGNING_ALGORITHMS)


def register(subparsers: Any) -> None:
    """Add the signing sub-commands to the `gateway` parser."""
    p = subparsers.add_parser("sign", help="sign a document in its CHUKYDONVI")
    p.add_argument("input", type=Path, metavar="IN")
    p.add_argument("output", type=Path, metavar="OUT")
    p.add_argument("--key", type=Path, required=True, help="private key (PEM or PKCS#12)")
    p.add_argument(
        "--cert", type=Path, help="certificate (PEM, may hold the chain); not for PKCS#12"
    )
    p.add_argument("--alg", choices=_ALGS, help="default: from the key type")
    _passphrase_args(p, "the key's")
    p.set_defaults(handler=_guard(_sign))

    p = subparsers.add_parser("verify", help="verify document signatures")
    p.add_argument("files", type=Path, nargs="+", metavar="FILE")
    _trust_args(p)
    p.add_argument("--at", help="time of receipt to judge at (ISO 8601; default now)")
    p.add_argument("--facility", help="the submitting facility (binds XML12 documents)")
    p.add_argument("--json", action="store_true", help="one JSON report on stdout")
    p.set_defaults(handler=_guard(_verify))

    p = subparsers.add_parser("verify-receipt", help="verify a gateway receipt")
    p.add_argument("file", type=Path, metavar="FILE")
    _trust_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_guard(_verify_receipt))

    certs = subparsers.add_parser("certs", help="development PKI and the certificate registry")
    sub = certs.add_subparsers(dest="certs_command", metavar="ACTION", required=True)
    p = sub.add_parser("init", help="create a development PKI in DIR")
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument("--facilities", default="01001", help="comma-separated facility codes")
    p.add_argument("--key-type", choices=("rsa", "ec"), default="rsa")
    p.add_argument("--force", action="store_true", help="write into a non-empty DIR")
    _passphrase_args(p, "encrypt the private keys with a")
    p.set_defaults(handler=_guard(_certs_init))

    for name, action in (("register", _certs_register), ("unregister", _certs_unregister)):
        p = sub.add_parser(name, help=f"{name} a facility's signing certificate")
        p.add_argument("facility", metavar="FACILITY")
        p.add_argument("cert", type=Path, nargs="?", metavar="CERT")
        p.add_argument("--trust", type=Path, required=True, metavar="DIR")
        if name == "unregister":
            p.add_argument("--fingerprint", help="SHA-256 fingerprint instead of CERT")
        p.set_defaults(handler=_guard(action))

    p = sub.add_parser("export-p12", help="export key + certificate chain as PKCS#12")
    p.add_argument("--key", type=Path, required=True)
    p.add_argument("--cert", type=Path, required=True, help="certificate or chain (PEM)")
    p.add_argument("output", type=Path, metavar="OUT")
    p.add_argument("--legacy", action="store_true", help="3DES/SHA-1 for old Windows HIS")
    _passphrase_args(p, "the export's", required=True)
    p.add_argument("--key-passphrase-env", metavar="VAR")
    p.add_argument("--key-passphrase-file", type=Path, metavar="FILE")
    p.set_defaults(handler=_guard(_certs_export))

    p = sub.add_parser("revoke", help="revoke a development certificate and re-issue the CRLs")
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument("cert", type=Path, metavar="CERT")
    _passphrase_args(p, "the CA keys'")
    p.set_defaults(handler=_guard(_certs_revoke))


def _passphrase_args(parser: argparse.ArgumentParser, what: str, *, required: bool = False) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument(
        "--passphrase-env", metavar="VAR", help=f"{what} passphrase from this variable"
    )
    group.add_argument(
        "--passphrase-file", type=Path, metavar="FILE", help=f"{what} passphrase file"
    )


def _trust_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trust", type=Path, required=True, metavar="DIR", help="trust directory")
    parser.add_argument("--revocation", choices=[p.value for p in RevocationPolicy], default="hard")


def _passphrase(env: str | None, file: Path | None) -> PassphraseSource:
    return PassphraseSource(env=env, file=file)


def _guard(handler: Handler) -> Handler:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except SignatureRejected as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except (SigningError, XmlError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


def _sign(args: argparse.Namespace) -> int:
    source = KeySource(
        "cli", args.key, args.cert, _passphrase(args.passphrase_env, args.passphrase_file)
    )
    signer = FileKeySigner([source])
    algorithm = SignatureAlgorithm.from_cli(args.alg) if args.alg else None
    args.output.write_bytes(sign(args.input.read_bytes(), signer, "cli", algorithm=algorithm))
    return 0


def _load_trust(args: argparse.Namespace) -> TrustStore:
    return TrustStore.load(args.trust, revocation=RevocationPolicy(args.revocation))


def _verify(args: argparse.Namespace) -> int:
    at = parse_time(args.at) if args.at else None
    trust = _load_trust(args)
    results: list[dict[str, Any]] = []
    for path in args.files:
        try:
            info = verify(path.read_bytes(), trust, at, submitter=args.facility)
            results.append({"file": str(path), "ok": True, "signer": info.to_dict()})
        except (SignatureRejected, XmlError) as exc:
            results.append(
                {"file": str(path), "ok": False, "code": exc.code, "message": exc.message}
            )
        except OSError as exc:
            results.append({"file": str(path), "ok": False, "code": FILE_READ, "message": str(exc)})
    _report(results, args.json)
    return 0 if all(r["ok"] for r in results) else 1


def _verify_receipt(args: argparse.Namespace) -> int:
    trust = _load_trust(args)
    try:
        verified = verify_receipt(args.file.read_bytes(), trust)
        r = verified.receipt
        result: dict[str, Any] = {
            "file": str(args.file),
            "ok": True,
            "signer": verified.signer.to_dict(),
            "receipt": {
                "message_id": r.message_id,
                "facility": r.facility,
                "ma_lk": list(r.ma_lk),
                "received_sha256": r.received_sha256,
                "received_at": r.received_at.isoformat(),
            },
        }
    except (SignatureRejected, XmlError) as exc:
        result = {"file": str(args.file), "ok": False, "code": exc.code, "message": exc.message}
    _report([result], args.json)
    return 0 if result["ok"] else 1


def _report(results: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        json.dump({"results": results}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    for r in results:
        if r["ok"]:
            signer = r["signer"]
            print(
                f"OK   {r['file']}: facility {signer['facility']}, {signer['subject']}, "
                f"revocation {signer['revocation']}"
            )
        else:
            print(f"FAIL {r['file']}: {r['code']}: {r['message']}")


def _certs_init(args: argparse.Namespace) -> int:
    if args.directory.exists() and any(args.directory.iterdir()) and not args.force:
        print(f"error: {args.directory} is not empty (use --force)", file=sys.stderr)
        return 2
    codes = [c.strip() for c in args.facilities.split(",") if c.strip()]
    passphrase = _passphrase(args.passphrase_env, args.passphrase_file).read()
    pki = init_dev_pki(args.directory, codes, key_type=args.key_type, passphrase=passphrase)
    print(f"development PKI in {pki.base}; the gateway reads {pki.trust_dir}")
    return 0


def _one_cert(path: Path) -> x509.Certificate:
    return load_certificates(path.read_bytes(), str(path))[0]


def _certs_register(args: argparse.Namespace) -> int:
    if args.cert is None:
        print("error: CERT is required", file=sys.stderr)
        return 2
    entry = register_certificate(args.trust / REGISTRY_FILE, args.facility, _one_cert(args.cert))
    print(f"registered {entry.sha256} for {args.facility}: {entry.subject}")
    return 0


def _certs_unregister(args: argparse.Namespace) -> int:
    if (args.cert is None) == (args.fingerprint is None):
        print("error: give CERT or --fingerprint", file=sys.stderr)
        return 2
    wanted = args.fingerprint or fingerprint(_one_cert(args.cert))
    removed = unregister_certificate(args.trust / REGISTRY_FILE, args.facility, wanted)
    print(f"{'unregistered' if removed else 'was not registered:'} {wanted} for {args.facility}")
    return 0


def _certs_export(args: argparse.Namespace) -> int:
    key_passphrase = _passphrase(args.key_passphrase_env, args.key_passphrase_file)
    passphrase = _passphrase(args.passphrase_env, args.passphrase_file).read()
    if not passphrase:
        print("error: the export needs a non-empty passphrase", file=sys.stderr)
        return 2
    source = KeySource("export", args.key, args.cert, key_passphrase)
    export_pkcs12(source, args.output, passphrase, legacy=args.legacy)
    print(f"wrote {args.output} ({'legacy 3DES/SHA-1' if args.legacy else 'AES-256/SHA-256'})")
    return 0


def _certs_revoke(args: argparse.Namespace) -> int:
    passphrase = _passphrase(args.passphrase_env, args.passphrase_file).read()
    revoke(DevPki(args.directory), _one_cert(args.cert), passphrase=passphrase)
    print(f"revoked {args.cert}; CRLs re-issued in {DevPki(args.directory).trust_dir / 'crl'}")
    return 0
