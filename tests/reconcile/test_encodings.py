"""Names that reached the insured file through a legacy encoding (read as Windows-1252 and
stored as UTF-8) are repaired and reported as ``ho_ten:encoding`` with the authority's name.
The encoders are the identity tests' own, written independently of the repair."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.identity.encoders import ENCODERS
from tests.reconcile.helpers import AN, HOA, HUONG, run


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_legacy_encoded_name_is_repaired_and_reported(tmp_path: Path, encoding: str) -> None:
    citizens = (AN, HOA, HUONG)
    records = [
        c.insured(f"0{i}00000000", ho_ten=ENCODERS[encoding](c.ho_ten))
        for i, c in enumerate(citizens, 1)
    ]
    result = run(tmp_path, records)
    for record, citizen in zip(records, citizens, strict=True):
        row = result.rows[record["record_id"]]
        assert record["ho_ten"] != citizen.ho_ten
        assert (row["category"], row["fields"], row["details"]) == (
            "MISMATCH",
            "ho_ten",
            "ho_ten:encoding",
        )
        assert row["proposed_ho_ten"] == citizen.ho_ten


def test_a_repaired_name_that_still_differs_reports_both(tmp_path: Path) -> None:
    record = AN.insured("0100000001", ho_ten=ENCODERS["utf8_double"]("Nguyễn Văn Anh"))
    row = run(tmp_path, [record]).rows["0100000001"]
    assert row["details"] == "ho_ten:encoding|ho_ten:spelling"
    assert row["proposed_ho_ten"] == AN.ho_ten


def test_double_encoded_name_in_the_population_file_is_repaired_too(tmp_path: Path) -> None:
    population = [AN.row() | {"ho_ten": ENCODERS["utf8_double"](AN.ho_ten)}]
    row = run(tmp_path, [AN.insured("0100000001")], population).rows["0100000001"]
    assert row["details"] == "ho_ten:encoding"
