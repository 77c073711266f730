"""`testigo simulate --inject`: a manipulated copy in the input's own layout, plus the truth."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from testigo.store.workspace import init_workspace

CANDIDATES = ("EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA")


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_manipulated_copy_changes_only_the_listed_mesas(
    tmp_path: Path, resultados: Path, cli: Callable[..., Any]
) -> None:
    root = str(init_workspace(str(tmp_path / "ws"), "ve2024").workspace.root)
    out = tmp_path / "out"
    report = cli(
        "simulate",
        str(resultados),
        "--inject",
        "stuffing:0.05:0.1,switch:0.05:0.2,copy:0.05",
        "--out",
        str(out),
        "--seed",
        "3",
        "--workspace",
        root,
    )
    assert report["by_type"] == {"stuffing": 10, "switch": 10, "copy": 10}
    before, after = _rows(resultados), _rows(Path(report["table"]))
    truth = {row["mesa_id"]: row["type"] for row in _rows(Path(report["manipulated"]))}
    assert len(before) == len(after) == 200 and len(truth) == 30
    for old, new in zip(before, after, strict=True):
        mesa = f"{old['CENTRO'].zfill(9)}.{old['MESA'].zfill(2)}"
        changed = {k for k in old if old[k] != new[k]}
        assert changed <= {*CANDIDATES, "VOTOS_NULOS", "VOTOS_VALIDOS"}
        if mesa not in truth:
            assert not changed
        elif truth[mesa] == "switch":  # votes moved: the valid total stays
            assert changed and new["VOTOS_VALIDOS"] == old["VOTOS_VALIDOS"]
        elif truth[mesa] == "stuffing":
            assert int(new["VOTOS_VALIDOS"]) > int(old["VOTOS_VALIDOS"])
            assert int(new["VOTOS_VALIDOS"]) + int(new["VOTOS_NULOS"]) <= int(new["RE"])
    # the manipulated copy imports like the original, except copies that the registry's arithmetic catches
    imported = cli("import", str(report["table"]), "--workspace", root)
    assert imported["summary"]["accepted"] + imported["summary"]["invalid"] == 200
    for problem in imported["problems"]:
        assert truth[problem["mesa"][:12]] == "copy" and "registered voters" in problem["reason"]
