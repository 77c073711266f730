"""`testigo simulate` with the options of this package: variants, altered actas, printers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from testigo.cli import app
from testigo.errors import UserError
from testigo.simulate import PRINTERS, PrintStyle


def _simulate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "testigo", "simulate", *args], capture_output=True, text=True)


def test_variants_altered_actas_and_printers_from_the_command_line(tmp_path: Path) -> None:
    options = ["--mesas", "2", "--quality", "scan", "--variant", "mixed", "--altered", "2", "--printer", "narrow"]
    done = _simulate(*options, "--out", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"] == 4
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    actas = [e for e in truth["files"] if e["kind"] == "acta"]
    assert [e["variant"] for e in actas] == ["qr", "sin_qr"]
    assert {e["printer"] for e in actas} == {"58mm 8dpmm 32col builtin"}
    assert sorted(e["alteration"]["kind"] for e in truth["files"] if e["alteration"]) == ["print_altered", "qr_altered"]


def test_unknown_choices_are_one_line_usage_errors(tmp_path: Path) -> None:
    for option, value in (("--variant", "pdf"), ("--printer", "laser"), ("--quality", "blurry")):
        done = _simulate("--mesas", "1", option, value, "--out", str(tmp_path / option.strip("-")))
        assert done.returncode == 2 and value in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_printer_whose_font_is_not_installed_is_a_one_line_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(PRINTERS, "dejavu", PrintStyle(font=tmp_path / "NoSuchMono.ttf"))
    result = CliRunner().invoke(app, ["simulate", "--mesas", "1", "--printer", "dejavu", "--out", str(tmp_path)])
    # a UserError: the command line prints it as one line (tests/test_cli.py)
    assert isinstance(result.exception, UserError) and "NoSuchMono.ttf is not installed" in str(result.exception)
    assert not (tmp_path / "truth.json").exists()
