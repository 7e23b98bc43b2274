"""XML-DSig algorithm identifiers and the sets we accept (DOMAIN.md "Signatures").

The profile: C14N 1.0 (without comments) for SignedInfo and the Reference, RSA-SHA256 by default,
ECDSA-P256-SHA256 as an option, SHA-256 digests. SHA-384/512 variants are accepted when
verifying (some CA tool chains default to them); SHA-1 and MD5 are refused as weak.
"""

from __future__ import annotations

import enum

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
DS = "{" + DS_NS + "}"

C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

MIN_RSA_BITS = 2048
MIN_EC_BITS = 256


class SignatureAlgorithm(enum.Enum):
    """A SignatureMethod we can produce or accept, by its XML-DSig URI."""

    RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
    RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
    ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    ECDSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
    ECDSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"

    @property
    def is_rsa(self) -> bool:
        """True for the RSA (PKCS#1 v1.5) methods, False for ECDSA."""
        return self.name.startswith("RSA_")

    @property
    def hash_name(self) -> str:
        """The hash of the algorithm as cryptography names it ("sha256" ...)."""
        return self.name.rsplit("_", 1)[1].lower()

    @classmethod
    def from_cli(cls, name: str) -> SignatureAlgorithm:
        """Map a CLI spelling (`rsa-sha256`) to the algorithm; raises ValueError for others."""
        return cls[name.upper().replace("-", "_")]


# What `sign` produces.
SIGNING_ALGORITHMS = frozenset({SignatureAlgorithm.RSA_SHA256, SignatureAlgorithm.ECDSA_SHA256})

DIGEST_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
DIGEST_ALGORITHMS = {
    DIGEST_SHA256: "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}

# Recognised so that the rejection says "weak", not "unknown".
WEAK_ALGORITHMS = frozenset(
    {
        "http://www.w3.org/2000/09/xmldsig#sha1",
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
        "http://www.w3.org/2001/04/xmldsig-more#md5",
    }
)
