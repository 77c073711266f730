"""The command-line reference (docs/cli.md) and the --json shapes (docs/json.md) are what the code gives."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "reference.py"


def _reference():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_command_reference_is_up_to_date() -> None:
    reference = _reference()
    assert reference.CLI_DOC.read_text(encoding="utf-8") == reference.cli_reference(), (
        "run python3 scripts/reference.py"
    )


@pytest.mark.slow
@pytest.mark.no_cover
def test_every_json_shape_is_documented_as_the_commands_print_it() -> None:
    """Runs every reporting command on a small election; a changed key or type fails until documented.

    Outside coverage's tracing (pytest-cov's `no_cover`): it checks the documentation, and each command is
    measured by its own tests; traced, it took 85 s of the suite's time in CI, 50 s untraced.
    """
    reference = _reference()
    if not reference.DATA.exists():
        pytest.skip(f"{reference.DATA} not present")
    assert reference.JSON_DOC.read_text(encoding="utf-8") == reference.json_reference(), (
        "run python3 scripts/reference.py"
    )
