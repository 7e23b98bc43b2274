"""The manifest is the contract with the validator: it reports exactly what the manifest says."""

from __future__ import annotations

import pytest

from gateway.samples import generate
from gateway.xml.validate import validate


@pytest.mark.parametrize(("profile", "count"), [("small", 120), ("typical", 120), ("large", 6)])
def test_the_validator_reports_exactly_the_manifest(profile: str, count: int) -> None:
    disagreements = []
    for item in generate(None, count, seed=17, invalid_rate=0.6, profile=profile):
        report = validate(item.content)
        errors = sorted(set(report.codes()))
        warnings = sorted({p.code for p in report.warnings})
        if (errors, warnings) != (sorted(item.errors), sorted(item.warnings)):
            disagreements.append((item.name, item.errors, item.warnings, errors, warnings))
    assert disagreements == []
