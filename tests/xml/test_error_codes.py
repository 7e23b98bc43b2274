"""Every code the validator can emit is listed in schemas/errors.yaml (issue 2, item 4)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from gateway.xml.schemaset import load_schema_set
from gateway.xml.tables import schemas_root

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = yaml.safe_load((schemas_root() / "errors.yaml").read_text(encoding="utf-8"))
CODE = re.compile(r"^(xml|document|envelope|XML\d{1,2})(\.[A-Z][A-Z0-9_]*)?\.[a-z][a-z0-9_]*$")


def is_listed(code: str) -> bool:
    """Listed literally, or as <TABLE>.<FIELD of TABLE>.<field rule>."""
    if code in CATALOGUE["codes"]:
        return True
    parts = code.split(".")
    if len(parts) != 3 or parts[2] not in CATALOGUE["field_rules"]:
        return False
    table = load_schema_set("4750").tables.get(parts[0])
    if table is None:
        return False
    return table.field(parts[1]) is not None or parts[2] in {"unexpected"}


def literal_codes() -> set[str]:
    """Every string literal in the validator's source that looks like a problem code."""
    found: set[str] = set()
    for path in [*(ROOT / "gateway" / "xml").rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
                found.add(node.value)
    return found


def test_catalogue_codes_follow_the_grammar() -> None:
    for code in CATALOGUE["codes"]:
        assert CODE.match(code), code


def test_every_literal_code_in_the_validator_is_listed() -> None:
    codes = literal_codes()
    assert len(codes) > 10
    missing = sorted(c for c in codes if not is_listed(c))
    assert missing == []


def test_every_code_the_sheet_rules_can_emit_is_listed() -> None:
    from gateway.xml.rules.sheet import load_sheet_rules

    for rules in load_sheet_rules("4750").values():
        for rule in rules:
            assert is_listed(rule.code), rule.code


def test_every_code_the_generator_plants_is_listed() -> None:
    from gateway.samples import DEFECTS

    for code, _description in DEFECTS:
        assert is_listed(code), code


def test_every_code_emitted_by_the_test_suite_corpus_is_listed() -> None:
    from gateway.samples import generate
    from gateway.xml.validate import validate

    emitted: set[str] = set()
    for item in generate(None, 60, seed=11, invalid_rate=0.7, profile="small"):
        report = validate(item.content)
        emitted.update(p.code for p in report.problems)
    assert emitted
    assert sorted(c for c in emitted if not is_listed(c)) == []


def test_component_catalogues_are_listed_and_well_formed() -> None:
    import importlib

    grammar = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_<>]+)+$")
    seen: dict[str, str] = {}
    for module_name in CATALOGUE["component_catalogues"]:
        codes = importlib.import_module(module_name).CODES
        assert codes, module_name
        for code, meaning in codes.items():
            assert grammar.match(code), code
            assert meaning, code
            assert code not in CATALOGUE["codes"], code
            seen.setdefault(code, module_name)
    assert "signature.digest_mismatch" in seen and "idempotency.conflict" in seen
