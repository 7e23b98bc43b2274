"""`gateway samples`: writes the run and its manifest; refuses bad arguments with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.samples import generate


def test_samples_writes_files_and_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(["samples", "--count", "12", "--out", str(out), "--seed", "3",
                 "--invalid-rate", "0.5", "--profile", "small", "--facility", "79001"])  # fmt: skip
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["seed"], manifest["profile"], manifest["facility"]) == (3, "small", "79001")
    assert len(manifest["files"]) == 12
    expected = generate(None, 12, seed=3, invalid_rate=0.5, profile="small", facility="79001")
    assert [(out / f.name).read_bytes() for f in expected] == [f.content for f in expected]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "12 files" in err and "manifest.json" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--invalid-rate", "2"], "--invalid-rate must be between 0 and 1"),
        (["--invalid-rate", "-0.1"], "--invalid-rate must be between 0 and 1"),
        (["--facility", "0100"], "5 digits"),
        (["--facility", "010011"], "5 digits"),
        (["--facility", "99001"], "not a province code"),
        (["--count", "-3"], "--count must be 0 or more"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    base = ["samples", "--count", "3", "--out", str(tmp_path / "out")]
    assert main(base + argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_unknown_profile_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["samples", "--count", "1", "--out", str(tmp_path), "--profile", "huge"]) == 2


def test_count_and_out_are_required(tmp_path: Path) -> None:
    assert main(["samples", "--out", str(tmp_path)]) == 2
    assert main(["samples", "--count", "1"]) == 2
