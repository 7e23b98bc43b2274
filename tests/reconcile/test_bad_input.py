"""Bad input files and an output directory that cannot be written: exit 1 with a message
naming the file, line and column; never a traceback, never a half-written output."""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import pytest

from gateway.commands import reconcile as command
from gateway.reconcile.model import INSURED_COLUMNS, POPULATION_COLUMNS
from tests.reconcile.helpers import AN, CITIZENS, HOA, write_csv


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["reconcile", *argv])
    return int(args.handler(args))


def files(
    tmp_path: Path, insured: Path | None = None, population: Path | None = None
) -> tuple[Path, Path]:
    ins = insured or write_csv(
        tmp_path / "insured.csv",
        INSURED_COLUMNS,
        [AN.insured("0100000001"), HOA.insured("0200000002")],
    )
    pop = population or write_csv(
        tmp_path / "population.csv", POPULATION_COLUMNS, [c.row() for c in CITIZENS]
    )
    return ins, pop


def run_cli(
    tmp_path: Path,
    ins: Path,
    pop: Path,
    capsys: pytest.CaptureFixture[str],
    out: Path | None = None,
) -> tuple[int, str]:
    code = cli(
        "--insured",
        str(ins),
        "--population",
        str(pop),
        "--out",
        str(out or tmp_path / "out"),
        "--threads",
        "1",
    )
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_good_files_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli(
        "--insured",
        str(files(tmp_path)[0]),
        "--population",
        str(files(tmp_path)[1]),
        "--out",
        str(tmp_path / "out"),
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "MATCH" in out and "total" in out


def test_missing_column_names_the_file_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = [c for c in INSURED_COLUMNS if c != "ngay_sinh"]
    ins = write_csv(tmp_path / "insured.csv", header, [AN.insured("0100000001")])
    code, err = run_cli(tmp_path, ins, files(tmp_path, insured=ins)[1], capsys)
    assert code == 1
    assert (
        "insured.csv, line 1, column ngay_sinh" in err and "reconcile.input.missing_column" in err
    )


def test_missing_population_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pop = write_csv(
        tmp_path / "population.csv", [c for c in POPULATION_COLUMNS if c != "so_cmnd"], [AN.row()]
    )
    code, err = run_cli(tmp_path, files(tmp_path, population=pop)[0], pop, capsys)
    assert code == 1
    assert "population.csv, line 1, column so_cmnd" in err


def test_semicolon_separated_file_is_a_wrong_delimiter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ins = tmp_path / "insured.csv"
    ins.write_text(
        ";".join(INSURED_COLUMNS) + "\n" + ";".join(AN.insured("0100000001").values()) + "\n",
        encoding="utf-8",
    )
    code, err = run_cli(tmp_path, ins, files(tmp_path, insured=ins)[1], capsys)
    assert code == 1
    assert (
        "insured.csv, line 1" in err and "reconcile.input.delimiter" in err and "semicolons" in err
    )


def test_bytes_that_are_not_utf8_name_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ins = write_csv(
        tmp_path / "insured.csv",
        INSURED_COLUMNS,
        [AN.insured("0100000001"), HOA.insured("0200000002")],
    )
    data = ins.read_bytes().replace(
        "Trần".encode(), "Tr\xe2n".encode("cp1252")
    )  # a Windows-1252 byte
    ins.write_bytes(data)
    code, err = run_cli(tmp_path, ins, files(tmp_path, insured=ins)[1], capsys)
    assert code == 1
    assert "insured.csv, line 3, column ho_ten" in err and "reconcile.input.encoding" in err


def test_non_utf8_population_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pop = write_csv(tmp_path / "population.csv", POPULATION_COLUMNS, [c.row() for c in CITIZENS])
    pop.write_bytes(pop.read_bytes().replace("Lê".encode(), b"L\xea"))
    code, err = run_cli(tmp_path, files(tmp_path, population=pop)[0], pop, capsys)
    assert code == 1
    assert "population.csv, line 4, column ho_ten" in err


def test_non_utf8_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ins = tmp_path / "insured.csv"
    ins.write_bytes(",".join(INSURED_COLUMNS).encode() + b",ghi_ch\xfa\n")
    code, err = run_cli(tmp_path, ins, files(tmp_path, insured=ins)[1], capsys)
    assert code == 1
    assert "insured.csv, line 1" in err and "reconcile.input.encoding" in err


def test_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ins = tmp_path / "insured.csv"
    ins.write_bytes(b"")
    code, err = run_cli(tmp_path, ins, files(tmp_path, insured=ins)[1], capsys)
    assert code == 1
    assert "insured.csv, line 1" in err and "reconcile.input.empty" in err


def test_header_only_file_is_an_empty_export_not_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ins = write_csv(tmp_path / "insured.csv", INSURED_COLUMNS, [])
    code, _ = run_cli(tmp_path, ins, files(tmp_path, insured=ins)[1], capsys)
    assert code == 0


def test_row_with_too_many_fields_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ins = write_csv(
        tmp_path / "insured.csv",
        INSURED_COLUMNS,
        [AN.insured("0100000001"), HOA.insured("0200000002")],
    )
    ins.write_text(
        ins.read_text(encoding="utf-8") + "0300000003,1,2,3,4,5,6,7,8,9,10\n", encoding="utf-8"
    )
    code, err = run_cli(tmp_path, ins, files(tmp_path, insured=ins)[1], capsys)
    assert code == 1
    assert "insured.csv, line 4" in err and "reconcile.input.row_shape" in err


def test_missing_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(tmp_path, tmp_path / "nowhere.csv", files(tmp_path)[1], capsys)
    assert code == 1
    assert "nowhere.csv" in err and "reconcile.input.unreadable" in err


def test_unknown_file_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "insured.xlsx"
    other.write_bytes(b"PK")
    code, err = run_cli(tmp_path, other, files(tmp_path)[1], capsys)
    assert code == 1
    assert "reconcile.input.format" in err


def test_parquet_id_stored_as_a_number_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pop = tmp_path / "population.parquet"
    duckdb.sql(
        f"COPY (SELECT 1085000001::BIGINT AS so_dinh_danh, '' AS so_cmnd, 'An' AS ho_ten, '1985' AS ngay_sinh, 1 AS gioi_tinh, "
        f"'01' AS ma_tinh, '001' AS ma_huyen, '00004' AS ma_xa) TO '{pop}' (FORMAT parquet)"
    )
    code, err = run_cli(tmp_path, files(tmp_path)[0], pop, capsys)
    assert code == 1
    assert "population.parquet, column so_dinh_danh" in err and "reconcile.input.column_type" in err


def test_repeated_id_in_the_population_names_the_repeat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pop = write_csv(
        tmp_path / "population.csv", POPULATION_COLUMNS, [AN.row(), HOA.row(), AN.row()]
    )
    code, err = run_cli(tmp_path, files(tmp_path, population=pop)[0], pop, capsys)
    assert code == 1
    assert (
        "population.csv, line 4, column so_dinh_danh" in err
        and "reconcile.input.duplicate_key" in err
    )


def test_repeated_record_id_names_the_repeat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ins = write_csv(
        tmp_path / "insured.csv",
        INSURED_COLUMNS,
        [AN.insured("0100000001"), AN.insured("0100000001")],
    )
    code, err = run_cli(tmp_path, ins, files(tmp_path, insured=ins)[1], capsys)
    assert code == 1
    assert "insured.csv, line 3, column record_id" in err


def test_output_directory_that_cannot_be_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    ins, pop = files(tmp_path)
    code, err = run_cli(tmp_path, ins, pop, capsys, out=blocker / "out")
    assert code == 1
    assert "reconcile.output.unwritable" in err and str(blocker / "out") in err


def test_output_path_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a directory")
    ins, pop = files(tmp_path)
    code, err = run_cli(tmp_path, ins, pop, capsys, out=blocker)
    assert code == 1
    assert "reconcile.output.unwritable" in err


def test_a_failed_run_leaves_no_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ins = write_csv(tmp_path / "insured.csv", INSURED_COLUMNS, [AN.insured("0100000001")])
    ins.write_bytes(ins.read_bytes() + b"0200000002,\xff,,,,,,,\n")
    code, _ = run_cli(tmp_path, ins, files(tmp_path, insured=ins)[1], capsys)
    assert code == 1
    assert list((tmp_path / "out").iterdir()) == []
