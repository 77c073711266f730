"""`testigo compare`: planted differences between official and verified figures are found and summed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from testigo.store.workspace import init_workspace


def _rewrite(source: Path, target: Path, change: Callable[[int, dict[str, str]], dict[str, str] | None]) -> None:
    """Copy a resultados-layout table, letting `change` edit (or drop, returning None) each row."""
    rows = list(csv.DictReader(io.StringIO(source.read_text(encoding="utf-8-sig"))))
    kept = [row for i, original in enumerate(rows) if (row := change(i, dict(original))) is not None]
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)


def test_planted_differences_mesas_in_one_source_and_national_effect(
    tmp_path: Path, resultados: Path, cli: Callable[..., Any]
) -> None:
    root = str(init_workspace(str(tmp_path / "ws"), "ve2024").workspace.root)
    citizen = tmp_path / "citizen.csv"
    _rewrite(resultados, citizen, lambda i, row: None if i < 5 else row)  # 5 mesas only official

    def plant(i: int, row: dict[str, str]) -> dict[str, str] | None:
        if i >= 190:
            return None  # 10 mesas only verified
        if i in (20, 21, 22):  # 30 votes moved from González to Maduro in each
            row["EG"], row["NM"] = str(int(row["EG"]) - 30), str(int(row["NM"]) + 30)
        if i == 40:
            row["NM"] = str(int(row["NM"]) + 100)  # 100 ballots added
        return row

    official = tmp_path / "official.csv"
    _rewrite(resultados, official, plant)
    cli("import", str(citizen), "--workspace", root)
    cli("import", str(official), "--source", "official", "--workspace", root)
    result = cli("compare", "--level", "state", "--workspace", root)
    assert result["mesas_compared"] == 185
    assert result["national_effect"]["maduro"] == 190 and result["national_effect"]["gonzalez"] == -90
    assert sum(abs(v) for v in result["national_effect"].values()) == 280
    assert len(result["differing"]) == 4
    assert result["differing"][0]["difference"]["maduro"] == 100  # largest first
    assert len(result["only_official"]) == 5 and len(result["only_verified"]) == 10
    assert any(
        "Nicolás Maduro 190 more votes than the verified actas of the same 185 mesas" in s for s in result["statements"]
    )
    assert sum(a["mesas_differing"] for a in result["areas"]) == 4
    by_mesa = cli("compare", "--level", "mesa", "--workspace", root)
    assert len(by_mesa["areas"]) == 185
