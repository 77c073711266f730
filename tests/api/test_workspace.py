"""Opening workspaces: `open`, `init`, the `Workspace` handle, and the three forms every function takes."""

from __future__ import annotations

from pathlib import Path

import pytest

import testigo
from testigo.store.workspace import open_workspace
from tests.api.sample import WORKSPACE


def test_open_refuses_a_missing_workspace_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(testigo.UserError, match=r"no workspace at .*testigo\.init"):
        testigo.open(missing)
    with pytest.raises(testigo.UserError, match="no workspace"):
        testigo.results(str(missing))
    assert not missing.exists()


def test_init_creates_reopens_and_refuses_another_profile(tmp_path: Path) -> None:
    with testigo.init(tmp_path / "ws", "ve2024") as ws:
        assert ws.profile == "ve2024" and ws.path == (tmp_path / "ws").resolve()
        assert ws.status().items == {} and ws.results().num_rows == 0
        key = ws.key
    with testigo.init(tmp_path / "ws", "ve2024") as again:
        assert again.key == key  # the same workspace, not a new one
    with pytest.raises(testigo.UserError, match="already uses profile 've2024'"):
        testigo.init(tmp_path / "ws", "generic")
    with pytest.raises(testigo.UserError):
        testigo.init(tmp_path / "other", "no-such-profile")


def test_the_handle_describes_its_workspace(ws: testigo.Workspace) -> None:
    assert repr(ws).startswith("<testigo.Workspace ") and "ve2024" in repr(ws)
    assert list(ws.candidates)[:2] == ["maduro", "martinez"]  # ballot order
    assert ws.candidates["gonzalez"] == "Edmundo González"
    assert ws.key.startswith(ws.store.signer.name + "+")


def test_every_function_takes_a_path_a_handle_or_a_store(sample: Path, ws: testigo.Workspace) -> None:
    expected = ws.results("state")
    store = open_workspace(str(sample / WORKSPACE))
    try:
        for form in (str(sample / WORKSPACE), sample / WORKSPACE, ws, store):
            assert testigo.results(form, "state").equals(expected, check_metadata=True), type(form)
    finally:
        store.close()
    with pytest.raises(TypeError, match="a workspace is a path"):
        testigo.results(42, "state")  # type: ignore[arg-type]


def test_methods_are_the_functions(ws: testigo.Workspace) -> None:
    assert ws.results("parish").equals(testigo.results(ws, "parish"))
    assert ws.records().equals(testigo.records(ws))
    assert ws.items("accepted").equals(testigo.items(ws, "accepted"))
    assert ws.coverage() == testigo.coverage(ws)
    assert ws.status() == testigo.status(ws)


def test_a_closed_handle_can_be_used_again(sample: Path) -> None:
    ws = testigo.open(sample / WORKSPACE)
    ws.close()
    assert ws.results().num_rows == 1  # the engine reconnects
    ws.close()
