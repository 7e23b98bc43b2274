"""The toolkit pass (resolve.py): the records SQL left open are settled in Python and written
back in place of themselves, each once; the ID pass never loads pyarrow or pandas."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb

from gateway.reconcile.classify import TrustRule
from gateway.reconcile.link import OLD_IDS, STATE, levels_sql
from gateway.reconcile.model import INSURED_COLUMNS, POPULATION_COLUMNS
from gateway.reconcile.synth_names import ENCODERS
from tests.reconcile.helpers import AN, CITIZENS, DUC, HOA, HUONG, read_csv, run


def test_pending_records_are_settled_and_each_written_back_once(tmp_path: Path) -> None:
    encoded = ENCODERS["utf8_double"](AN.ho_ten)
    records = [
        AN.insured("0100000001", ho_ten=encoded),  # name open: one distinct pair ...
        AN.insured("0100000002", ho_ten=encoded),  # ... for two records
        HOA.insured("0100000003", ngay_sinh="5/7/1990"),  # date open, the same date
        HUONG.insured("0100000004", ngay_sinh="not a date"),  # date open, unreadable
        DUC.insured("0100000005"),  # settled in SQL
    ]
    result = run(tmp_path, records)
    written = [row["record_id"] for row in read_csv(tmp_path / "out" / "reconciliation.csv")]
    assert sorted(written) == [r["record_id"] for r in records]
    rows = result.rows
    for record_id in ("0100000001", "0100000002"):
        assert (rows[record_id]["category"], rows[record_id]["details"]) == (
            "MISMATCH",
            "ho_ten:encoding",
        )
        assert rows[record_id]["proposed_ho_ten"] == AN.ho_ten
        assert rows[record_id]["duplicate_group"] == "0100000001"
    assert (rows["0100000003"]["category"], rows["0100000003"]["details"]) == ("MATCH", "")
    assert (rows["0100000004"]["category"], rows["0100000004"]["details"]) == (
        "MISMATCH",
        "ngay_sinh:different",
    )
    assert rows["0100000004"]["proposed_ngay_sinh"] == HUONG.ngay_sinh
    assert rows["0100000005"]["category"] == "MATCH"
    toolkit = result.summary.toolkit
    assert (toolkit["pending_records"], toolkit["name_pairs"], toolkit["date_pairs"]) == (4, 1, 2)


def test_the_id_pass_never_loads_pyarrow_or_pandas(tmp_path: Path) -> None:
    # pyarrow builds an array from Python objects only after importing pandas (a third of a
    # second at start-up): the ID pass moves its values without either.
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tests.reconcile.helpers import AN, run\n"
        "from gateway.reconcile.synth_names import ENCODERS\n"
        "from gateway.reconcile import ReconcileConfig\n"
        "from gateway.reconcile.linkage import LinkageConfig\n"
        "config = ReconcileConfig(threads=1, workers=1, linkage=LinkageConfig(enabled=False))\n"
        "record = AN.insured('0100000001', ho_ten=ENCODERS['utf8_double'](AN.ho_ten))\n"
        "row = run(Path(sys.argv[1]), [record], config=config).rows['0100000001']\n"
        "assert row['details'] == 'ho_ten:encoding', row\n"
        "print(sorted(m for m in ('pyarrow', 'pandas') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_values_survive_the_packed_state_exactly(tmp_path: Path) -> None:
    # The pending records' levels and values travel through rc_results packed as JSON
    # (link.STATE): quotes, backslashes, control characters and non-BMP letters must come
    # back as they were, in the authority's value the output proposes.
    odd = replace(
        AN,
        so_dinh_danh="001085000099",
        ho_ten='Nguyễn "Văn" \\ An\u0085\U00020000',
        ma_xa='00"4\\',
        so_cmnd="",
    )
    records = [
        # the name is left open by SQL (spelling), and the commune differs
        odd.insured("0100000001", ho_ten="Nguyễn Văn Ann", ma_xa="00005"),
        # an unreadable date keeps the record pending too; its own value is compared in Python
        odd.insured("0100000002", ngay_sinh='19"85\\'),
    ]
    result = run(tmp_path, records, population=[*(c.row() for c in CITIZENS), odd.row()])
    first, second = result.rows["0100000001"], result.rows["0100000002"]
    assert first["category"] == "MISMATCH", first
    assert first["proposed_ho_ten"] == odd.ho_ten
    assert first["proposed_ma_xa"] == odd.ma_xa
    assert "dia_chi:different" in first["details"]
    assert (second["category"], second["details"]) == ("MISMATCH", "ngay_sinh:different")
    assert second["proposed_ngay_sinh"] == odd.ngay_sinh
    assert result.summary.toolkit["pending_records"] == 2


def test_the_packed_state_declares_the_types_the_link_statement_gives() -> None:
    # link.STATE names each packed column's type for from_json; a column added to the levels
    # with another type would otherwise come back silently cast.
    con = duckdb.connect()
    for name, columns in (("ins", INSURED_COLUMNS), ("pop", POPULATION_COLUMNS)):
        con.execute(f"CREATE TABLE {name} ({', '.join(f'{c} VARCHAR' for c in columns)})")
    con.execute(f"CREATE TABLE {OLD_IDS} (so_cmnd VARCHAR, so_dinh_danh VARCHAR, citizens BIGINT)")
    described = con.execute(f"DESCRIBE {levels_sql('ins', 'pop', [], TrustRule())}").fetchall()
    types = {row[0]: row[1] for row in described}
    assert {c: types[c] for c in STATE} == STATE
