"""`generate`: the run, its determinism, its manifest, its mix of documents and sizes."""

from __future__ import annotations

import base64
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from gateway.samples import (
    ASSESSMENT,
    CHECKIN,
    DEFECTS,
    ENVELOPE,
    generate,
    generate_one,
    kind_at,
)
from gateway.xml.schemaset import load_schema_set

from .decode import decode, records_of


def test_the_same_seed_gives_the_same_files() -> None:
    first = generate(None, 30, seed=4, invalid_rate=0.3)
    second = generate(None, 30, seed=4, invalid_rate=0.3)
    assert first == second


def test_another_seed_gives_other_files() -> None:
    first = generate(None, 5, seed=4)
    second = generate(None, 5, seed=5)
    assert all(a.content != b.content for a, b in zip(first, second, strict=True))


def test_a_file_does_not_depend_on_the_run_length() -> None:
    assert generate(None, 12, seed=9)[:7] == generate(None, 7, seed=9)


def test_generate_one_is_deterministic_for_a_random_state() -> None:
    assert generate_one(random.Random(8), "small") == generate_one(random.Random(8), "small")


def test_the_manifest_lists_every_file_with_its_expected_problems(tmp_path: Path) -> None:
    files = generate(tmp_path, 30, seed=2, invalid_rate=0.5, profile="small", facility="79001")
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) == {"seed", "profile", "facility", "files"}
    assert (manifest["seed"], manifest["profile"], manifest["facility"]) == (2, "small", "79001")
    assert [entry["file"] for entry in manifest["files"]] == [f.name for f in files]
    for entry, item in zip(manifest["files"], files, strict=True):
        assert set(entry) == {"file", "kind", "valid", "errors", "warnings", "ma_lk"}
        assert entry["kind"] == item.kind
        assert entry["valid"] is (not item.errors)
        assert entry["errors"] == list(item.errors)
        assert entry["warnings"] == list(item.warnings)
        assert entry["ma_lk"] == list(item.ma_lk)
        assert (tmp_path / entry["file"]).read_bytes() == item.content
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f.name for f in files] + ["manifest.json"]
    )


def test_without_out_dir_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert len(generate(None, 3)) == 3
    assert list(tmp_path.iterdir()) == []


def test_every_tenth_file_is_a_checkin_and_every_25th_an_assessment() -> None:
    files = generate(None, 100, seed=1, profile="small")
    kinds = [f.kind for f in files]
    assert [i + 1 for i, k in enumerate(kinds) if k == ASSESSMENT] == [25, 50, 75, 100]
    assert [i + 1 for i, k in enumerate(kinds) if k == CHECKIN] == [10, 20, 30, 40, 60, 70, 80, 90]
    assert Counter(kinds)[ENVELOPE] == 88
    assert all(kind_at(i + 1) == k for i, k in enumerate(kinds))
    assert (
        files[9].name == "00010_XML0_checkin.xml" and files[24].name == "00025_XML12_assessment.xml"
    )


def test_invalid_rate_gives_that_share_of_envelopes_one_defect_each() -> None:
    files = generate(None, 100, seed=3, invalid_rate=0.25, profile="small")
    envelopes = [f for f in files if f.kind == ENVELOPE]
    defective = [f for f in envelopes if f.errors or f.warnings]
    assert len(defective) == round(0.25 * len(envelopes)) == 22
    assert all(not f.errors and not f.warnings for f in files if f.kind != ENVELOPE)
    codes = {f.errors[0] if f.errors else f.warnings[0] for f in defective}
    assert codes == {code for code, _ in DEFECTS}  # round-robin: 22 >= 16 defects


def test_rate_zero_and_one() -> None:
    assert all(f.valid and not f.warnings for f in generate(None, 20, invalid_rate=0.0))
    everything = generate(None, 20, invalid_rate=1.0, profile="small")
    assert all(f.errors or f.warnings for f in everything if f.kind == ENVELOPE)


def test_checkin_documents_hold_one_visit_of_a_consistent_person() -> None:
    files = [f for f in generate(None, 60, seed=6) if f.kind == CHECKIN]
    assert files
    for item in files:
        root = etree.fromstring(item.content)
        assert root.tag == "CHI_TIEU_TRANG_THAI_KCB" and root[-1].tag == "CHUKYDONVI"
        (record,) = records_of(root)
        values = {child.tag: child.text or "" for child in record}
        assert item.ma_lk == (values["MA_LK"],) and values["STT"] == "1"
        assert values["MA_CSKCB"] == "01001"
        assert values["GT_THE_TU"] <= values["NGAY_VAO"][:8] <= values["GT_THE_DEN"]
        cccd = values["SO_CCCD"]
        assert int(cccd[3]) % 2 == int(values["GIOI_TINH"]) - 1
        assert cccd[4:6] == values["NGAY_SINH"][2:4]


def test_assessment_documents_are_keyed_by_so_bien_ban_without_ma_lk() -> None:
    files = [f for f in generate(None, 100, seed=6) if f.kind == ASSESSMENT]
    assert len(files) == 4
    for item in files:
        root = etree.fromstring(item.content)
        assert root.tag == "CHI_TIEU_GIAM_DINH_YKHOA" and root[-1].tag == "CHUKYDONVI"
        assert item.ma_lk == ()
        records = [{c.tag: c.text or "" for c in r} for r in records_of(root)]
        assert "MA_LK" not in records[0] and "MA_CSKCB" not in records[0]
        numbers = [r["SO_BIEN_BAN"] for r in records]
        assert len(set(numbers)) == len(numbers)
        for record in records:
            assert re.fullmatch(r"\d{8}", record["NGAY_SINH"])
            assert record["SO_CCCD"][4:6] == record["NGAY_SINH"][2:4]
            assert record["MA_BHXH"].strip("0")


def _xsd_errors(kind: str, root: etree._Element) -> list[str]:
    schema = load_schema_set("4750").xsd(kind)
    return [] if schema.validate(root.getroottree()) else [str(e) for e in schema.error_log]


@pytest.mark.parametrize("profile", ["small", "typical"])
def test_every_document_validates_against_its_xsd(profile: str) -> None:
    for item in generate(None, 50, seed=21, profile=profile):
        root = etree.fromstring(item.content)
        if item.kind != ENVELOPE:
            assert _xsd_errors(item.kind, root) == [], item.name
            continue
        assert _xsd_errors("GIAMDINHHS", root) == [], item.name
        for table in decode(item.content).hosos[0].values():
            assert table.root is not None
            assert _xsd_errors(table.name, table.root) == [], (item.name, table.name)


def test_a_large_dossier_validates_against_its_xsds() -> None:
    env = decode(generate_one(random.Random(2), "large"))
    for table in env.hosos[0].values():
        assert table.root is not None
        assert _xsd_errors(table.name, table.root) == [], table.name


def test_typical_envelopes_weigh_25_to_60_kb() -> None:
    sizes = [len(generate_one(random.Random(s), "typical")) for s in range(60)]
    assert all(25_000 <= size <= 60_000 for size in sizes), (min(sizes), max(sizes))
    assert 35_000 <= sum(sizes) / len(sizes) <= 50_000


def test_small_envelopes_stay_small() -> None:
    env = decode(generate_one(random.Random(4), "small"))
    assert set(env.hosos[0]) == {"XML1", "XML2", "XML3"}
    assert 1 <= len(env.hosos[0]["XML2"].rows) <= 3 and 1 <= len(env.hosos[0]["XML3"].rows) <= 2


def test_large_envelopes_weigh_about_a_megabyte() -> None:
    sizes = [len(generate_one(random.Random(s), "large")) for s in range(4)]
    assert all(700_000 <= size <= 1_500_000 for size in sizes), sizes
    env = decode(generate_one(random.Random(0), "large"))
    assert len(env.hosos[0]["XML2"].rows) >= 200 and len(env.hosos[0]["XML3"].rows) >= 100


def test_a_thousand_typical_dossiers_take_seconds() -> None:
    started = time.perf_counter()
    rng = random.Random(0)
    for _ in range(200):
        generate_one(rng, "typical")
    assert time.perf_counter() - started < 10  # ~0.3 s on the reference machine


def test_base64_is_plain_and_decodes_to_utf8() -> None:
    env = decode(generate_one(random.Random(5), "typical"))
    for table in env.hosos[0].values():
        assert re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", table.b64)
        base64.b64decode(table.b64).decode("utf-8")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": -1}, "count"),
        ({"count": 1, "invalid_rate": 1.5}, "invalid_rate"),
        ({"count": 1, "profile": "huge"}, "profile"),
        ({"count": 1, "facility": "0100"}, "5 digits"),
        ({"count": 1, "facility": "AB001"}, "5 digits"),
        ({"count": 1, "facility": "03001"}, "province"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(None, **kwargs)


def test_an_unknown_defect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown defect"):
        generate_one(random.Random(1), "small", defect="XML9.NOPE.format")
