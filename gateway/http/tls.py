"""The server's TLS context: HTTPS with the configured certificate, and client certificates
(mTLS) checked against `[tls] client_ca` (a PEM file, or every PEM in a directory such as the
trust directory). `client_certs = "optional"` lets token callers in without a certificate."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

from gateway.config import TlsConfig

_MODES = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}


def server_ssl_context(tls: TlsConfig) -> ssl.SSLContext | None:
    """The SSL context for the listening socket, or None when TLS is not configured.

    Raises OSError / ssl.SSLError for unreadable certificates or keys.
    """
    if tls.cert is None or tls.key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    password = os.environ.get(tls.key_passphrase_env) if tls.key_passphrase_env else None
    context.load_cert_chain(tls.cert, tls.key, password=password)
    context.verify_mode = _MODES[tls.client_certs] if tls.client_ca is not None else ssl.CERT_NONE
    if tls.client_ca is not None:
        for path in _pem_files(tls.client_ca):
            context.load_verify_locations(cafile=str(path))
    return context


def _pem_files(location: Path) -> list[Path]:
    if location.is_dir():
        return sorted(p for p in location.iterdir() if p.is_file() and p.suffix in (".pem", ".crt", ".cer"))
    return [location]
