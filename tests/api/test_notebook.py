"""docs/example.ipynb runs from top to bottom in a Jupyter kernel, and is committed without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "example.ipynb"

nbformat = pytest.importorskip("nbformat")


def test_the_committed_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:80]


@pytest.mark.slow
def test_the_notebook_builds_verifies_and_draws_a_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without TESTIGO_EXAMPLE_BUNDLE it builds a bundle of real 2024 rows, reads it verified, draws by state."""
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.delenv("TESTIGO_EXAMPLE_BUNDLE", raising=False)
    monkeypatch.delenv("TESTIGO_EXAMPLE_KEY", raising=False)
    # the kernel imports this checkout's testigo, installed or not
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    text = "".join(output.get("text", "") for output in outputs)
    assert "ok     files:" in text and "FAILED" not in text  # every check of the verification printed, all held
    assert any("image/png" in output.get("data", {}) for output in outputs)  # the results by state were drawn
    assert "Edmundo González" in str([output.get("data", {}) for output in outputs])
