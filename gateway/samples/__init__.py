"""Synthetic QĐ 130 documents for users, tests and benchmarks (`gateway samples`).

    files = generate(Path("out"), count=100, seed=7, invalid_rate=0.2)
    envelope = generate_one(random.Random(1), "typical")

Every valid dossier passes the format, total, sequence and identity rules; a defective one
carries exactly one known defect (DEFECTS) and the manifest says which problem codes follow.
"""

from gateway.samples.defects import DEFECTS, KNOWN_DEFECTS, Defect
from gateway.samples.generate import (
    ASSESSMENT,
    CHECKIN,
    ENVELOPE,
    GeneratedFile,
    generate,
    generate_one,
    kind_at,
    make_dossier,
    manifest,
)
from gateway.samples.timeline import PROFILES

__all__ = [
    "ASSESSMENT",
    "CHECKIN",
    "DEFECTS",
    "ENVELOPE",
    "KNOWN_DEFECTS",
    "PROFILES",
    "Defect",
    "GeneratedFile",
    "generate",
    "generate_one",
    "kind_at",
    "make_dossier",
    "manifest",
]
