"""The committed XSDs say exactly what the QĐ 130 tables say, and nobody edited them by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from gateway.xml.schemagen import EMPTY_TYPE, PATTERNS, generate, simple_type_name
from gateway.xml.tables import FIXED_LENGTH, FieldSpec, TableSpec, load_tables, schemas_root

XS = "{http://www.w3.org/2001/XMLSchema}"
NS = {"xs": XS[1:-1]}
VERSIONS = ("4750", "130")
QD130 = schemas_root() / "qd130"
TABLES = {version: load_tables(version) for version in VERSIONS}
CASES = [(v, name) for v in VERSIONS for name in TABLES[v]]


def _parse(path: Path) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(str(path), parser).getroot()


def _xsd(version: str, name: str) -> etree._Element:
    return _parse(QD130 / f"v{version}" / f"{name}.xsd")


def _simple_type(schema: etree._Element, name: str) -> etree._Element:
    found = schema.findall(f"xs:simpleType[@name='{name}']", NS)
    assert len(found) == 1, f"simpleType {name} defined {len(found)} times"
    return found[0]


def _facets(simple: etree._Element) -> dict[str, list[str]]:
    restriction = simple.find("xs:restriction", NS)
    assert restriction is not None and restriction.get("base") == "xs:string"
    facets: dict[str, list[str]] = {}
    for facet in restriction:
        facets.setdefault(etree.QName(facet).localname, []).append(facet.get("value", ""))
    return facets


def _check_required_type(schema: etree._Element, spec: FieldSpec, where: str) -> None:
    facets = _facets(_simple_type(schema, simple_type_name(spec, required=True)))
    bounded = spec.max_length is not None and spec.format not in FIXED_LENGTH
    assert facets.get("maxLength") == ([str(spec.max_length)] if bounded else None), where
    pattern = PATTERNS[spec.format]
    assert facets.get("pattern") == ([pattern] if pattern else None), where
    assert facets.get("enumeration") == (list(spec.code_list) if spec.code_list else None), where
    if not pattern and not spec.code_list:
        assert facets.get("minLength") == ["1"], f"{where}: a required value must be non-empty"


@pytest.mark.parametrize(("version", "name"), CASES)
def test_record_fields_match_table(version: str, name: str) -> None:
    table = TABLES[version][name]
    schema = _xsd(version, name)
    record = schema.find(f"xs:complexType[@name='{table.record_element}']/xs:sequence", NS)
    assert record is not None
    elements = record.findall("xs:element", NS)
    assert [e.get("name") for e in elements] == [f.name for f in table.fields]
    for element, spec in zip(elements, table.fields, strict=True):
        where = f"{version} {name}.{spec.name} (tsv line {spec.sheet_row})"
        assert element.get("minOccurs") == (None if spec.required else "0"), where
        assert element.get("maxOccurs") is None, where
        assert element.get("type") == simple_type_name(spec), where
        _check_required_type(schema, spec, where)
        if not spec.required:
            union = _simple_type(schema, simple_type_name(spec)).find("xs:union", NS)
            assert union is not None, where
            member = simple_type_name(spec, required=True)
            assert union.get("memberTypes") == f"{member} {EMPTY_TYPE}", where


@pytest.mark.parametrize(("version", "name"), CASES)
def test_root_path_and_signature_match_layout(version: str, name: str) -> None:
    table: TableSpec = TABLES[version][name]
    schema = _xsd(version, name)
    [top] = schema.findall("xs:element", NS)
    assert top.get("name") == table.root_path[0]
    element = top
    for child_name in table.root_path[1:]:
        sequence = element.find("xs:complexType/xs:sequence", NS)
        assert sequence is not None
        children = sequence.findall("xs:element", NS)
        assert children[0].get("name") == child_name
        if element is top:
            expected = [child_name, "CHUKYDONVI"] if table.standalone else [child_name]
            assert [c.get("name") for c in children] == expected
            if table.standalone:
                assert children[1].get("minOccurs") == "0"
        element = children[0]
    assert element.get("type") == table.record_element
    assert element.get("maxOccurs") == ("unbounded" if table.multi_record else None)


@pytest.mark.parametrize("version", VERSIONS)
def test_envelope_lists_the_versions_envelope_tables(version: str) -> None:
    schema = _xsd(version, "GIAMDINHHS")
    codes = [
        e.get("value")
        for e in schema.findall(".//xs:simpleType[@name='table_name']//xs:enumeration", NS)
    ]
    expected = [t.name for t in TABLES[version].values() if not t.standalone]
    assert codes == expected
    assert "XML0" not in codes and "XML12" not in codes


@pytest.mark.parametrize("version", VERSIONS)
def test_every_file_says_it_is_generated(version: str) -> None:
    for path in sorted((QD130 / f"v{version}").glob("*.xsd")):
        head = path.read_text(encoding="utf-8").splitlines()[1]
        assert head.startswith("<!-- Generated by gateway.xml.schemagen from "), path.name
        assert "Do not edit" in head and "layout.yaml" in head


@pytest.mark.parametrize("version", VERSIONS)
def test_regenerating_gives_the_committed_files(version: str, tmp_path: Path) -> None:
    generated = generate(version)
    committed = {p.name: p.read_bytes() for p in (QD130 / f"v{version}").glob("*.xsd")}
    assert sorted(generated) == sorted(committed)
    for name, data in generated.items():
        assert data == committed[name], (
            f"v{version}/{name} differs from its sources: run "
            f"python -m gateway.xml.schemagen --version {version} --out schemas/qd130/v{version}"
        )


def test_the_command_line_writes_every_file(tmp_path: Path) -> None:
    from gateway.xml.schemagen import main

    assert main(["--version", "4750", "--out", str(tmp_path)]) == 0
    written = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert written == generate("4750")
    assert len(written) == 17  # XML0..XML15 + GIAMDINHHS


def test_table_and_field_counts() -> None:
    assert list(TABLES["4750"]) == [f"XML{i}" for i in range(16)]
    assert list(TABLES["130"]) == [f"XML{i}" for i in range(13)]
    assert sum(len(t.fields) for t in TABLES["4750"].values()) == 481
    assert sum(len(t.fields) for t in TABLES["130"].values()) == 370
