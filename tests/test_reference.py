"""The command-line reference (docs/cli.md) and the --json shapes (docs/json.md) are what the code gives."""

from __future__ import annotations

import pytest

from tests.reference_script import load_reference


def test_the_command_reference_is_up_to_date() -> None:
    reference = load_reference()
    assert reference.CLI_DOC.read_text(encoding="utf-8") == reference.cli_reference(), (
        "run python3 scripts/reference.py"
    )


@pytest.mark.slow
def test_every_json_shape_is_documented_as_the_commands_print_it() -> None:
    """Runs every reporting command on a small election; a changed key or type fails until documented.

    All but the demo, whose section tests/test_cli.py's demo test checks from its own run (the demo cost
    this test 13 s of its 50).
    """
    reference = load_reference()
    if not reference.DATA.exists():
        pytest.skip(f"{reference.DATA} not present")
    documented = reference.JSON_DOC.read_text(encoding="utf-8")
    commands = reference.json_document(reference.command_runs())
    assert documented.startswith(commands), "run python3 scripts/reference.py"
    demo = documented[len(commands) :]
    assert demo.startswith(f"\n## `{reference.DEMO_TITLE} --json`") and demo.count("\n## ") == 1
