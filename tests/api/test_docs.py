"""The examples of docs/api.md and of the API's docstrings run, and print what they say they print.

Both are slow (a workspace opened for nearly every example, actas decoded, bundles published and verified),
and like every slow test run outside coverage's tracing (tests/conftest.py): they check the documentation,
and the code they run is measured by the tests of each module.
"""

from __future__ import annotations

import doctest
import shutil
from pathlib import Path

import pytest

import testigo
from tests.api.sample import ACTAS, OFICIAL, RESULTADOS

ROOT = Path(__file__).resolve().parents[2]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.slow
def test_the_api_page_runs(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/api.md, from a folder that holds only the tables and the actas it starts from."""
    for name in (RESULTADOS, OFICIAL):
        shutil.copy(built / name, tmp_path / name)
    shutil.copytree(built / ACTAS, tmp_path / ACTAS)
    monkeypatch.chdir(tmp_path)
    result = doctest.testfile(str(ROOT / "docs" / "api.md"), module_relative=False, optionflags=FLAGS, encoding="utf-8")
    assert result.attempted > 40
    assert result.failed == 0, capsys.readouterr().out


@pytest.mark.slow
def test_the_docstring_examples_run(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each public name's examples, each docstring in its own copy of the sample folder (eleccion/,
    bundle/, resultados.csv, oficial.csv, actas/), since some of them write to it."""
    finder, runner = doctest.DocTestFinder(exclude_empty=True), doctest.DocTestRunner(optionflags=FLAGS)
    documented = set()
    for name in testigo.__all__:
        value = getattr(testigo, name)
        if not callable(value) or not value.__module__.startswith("testigo"):
            continue
        for test in finder.find(value, f"testigo.{name}", globs={"testigo": testigo}):
            if test.examples:
                monkeypatch.chdir(shutil.copytree(built, tmp_path / test.name))
                runner.run(test)
                documented.add(name)
    assert runner.failures == 0, capsys.readouterr().out
    functions = {"open", "init", "ingest", "import_table", "status", "items", "results", "coverage", "records"}
    functions |= {"forensics", "projection", "compare", "publish", "verify", "read_bundle"}
    assert functions <= documented, f"no example: {sorted(functions - documented)}"
