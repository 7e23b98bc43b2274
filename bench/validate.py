"""Validation speed on one core: documents per second for small, typical (~40 KB) and large
(~1 MB) dossiers, beside the floor measured in the same run (safe parse of the envelope, base64
decoding and parsing of every inner table: `parse_document`). Target (issue 2): typical >= 400/s
and within 4x of the floor.

    .venv/bin/python bench/validate.py
"""

from __future__ import annotations

import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))

from _machine import machine, rate
from gateway.samples import generate_one
from gateway.xml.dossier import parse_document
from gateway.xml.validate import validate


def main() -> int:
    print(f"Machine: {machine()}\n")
    print("| profile | size | floor: safe parse + base64 + inner parse (/s) | validate (/s) | ratio validate/floor |")
    print("|---|---:|---:|---:|---:|")
    failed = False
    for profile in ("small", "typical", "large"):
        data = generate_one(random.Random(7), profile, "01001")
        report = validate(data)
        if not report.valid:
            print(f"{profile}: sample is invalid: {report.codes()}", file=sys.stderr)
            return 1
        floor = rate(lambda d=data: parse_document(d))
        full = rate(lambda d=data: validate(d))
        ratio = floor / full
        print(f"| {profile} | {len(data) / 1024:.1f} KB | {floor:,.0f} | {full:,.0f} | {ratio:.2f}x |")
        if profile == "typical" and (full < 400 or ratio > 4):
            failed = True
    print("\nTarget (typical): >= 400/s and within 4x of the floor:", "MISSED" if failed else "met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
