"""The TSE's table of sections imported into a workspace of profile br: every section joins the registry, so
coverage counts against them all, places get their names, and what a BU says of its section wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import testigo
from testigo.cli import app
from testigo.pipeline.br_places import import_places
from testigo.simulate.boletim import SimulatedBoletim, draw_boletim, qr_texts
from testigo.store.workspace import Store, init_workspace
from tests.pipeline.test_boletins import ELECTION, _write_texts
from tests.pipeline.test_bu_ingest import brazil  # noqa: F401  (the fixture)

#: The TSE's header (eleitorado_local_votacao), more columns than are read, in its order.
HEADER = (
    "DT_GERACAO;HH_GERACAO;AA_ELEICAO;SG_UF;CD_MUNICIPIO;NM_MUNICIPIO;NR_ZONA;NR_SECAO;NR_LOCAL_VOTACAO;"
    "NM_LOCAL_VOTACAO;DS_ENDERECO;QT_ELEITOR_SECAO"
)


def _ids(bu: SimulatedBoletim) -> tuple[str, str]:
    """The section's and its municipality's ids in the registry (`testigo.profiles.br.place_ids`)."""
    uf, municipality = bu.field("UNFE"), bu.field("MUNI")
    return f"{uf}-{municipality}-{bu.field('ZONA')}-{bu.field('SECA')}", f"{uf}-{municipality}"


def _row(bu: SimulatedBoletim, *, place: str | None = None, zone: str | None = None) -> str:
    """The section's row as the TSE writes it: codes with leading zeros, names in capitals with accents."""
    local = place if place is not None else bu.field("LOCA")
    values = [
        "01/08/2026", "10:00:00", "2026", bu.field("UNFE"), f"{int(bu.field('MUNI')):05d}",
        f"SÃO JOÃO DO {bu.field('UNFE')}", zone if zone is not None else f"{int(bu.field('ZONA')):04d}",
        bu.field("SECA"), local, f"ESCOLA ESTADUAL Nº {local}", "RUA DA ESPERANÇA, S/N", str(bu.eligible),
    ]  # fmt: skip
    return ";".join(f'"{value}"' for value in values)


def test_the_sections_of_the_table_join_the_registry_named_and_the_boletins_stay_as_they_say(
    brazil: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    bus = [draw_boletim(ELECTION, index) for index in range(80, 90)]
    for number, bu in enumerate(bus[:4]):
        path = _write_texts(tmp_path / f"bu-{number}.txt", qr_texts(ELECTION, bu))
        assert {line.status for line in testigo.ingest(brazil, [path], workers=1).files} == {"accepted"}
    rows = [_row(bu) for bu in bus[:3]] + [_row(bus[3], place="9999")] + [_row(bu) for bu in bus[4:]]
    rows.append(_row(bus[5], zone="zona 5"))
    rows.append(_row(bus[4], place="7777"))  # placed twice, otherwise the second time
    table = tmp_path / "eleitorado_local_votacao_2026.csv"
    table.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("latin-1"))
    root = str(brazil.workspace.root)

    result = CliRunner().invoke(app, ["registry", "import", str(table), "--json", "--workspace", root])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["rows"], report["sections_added"], report["sections_known"]) == (12, 6, 3)
    assert [p["row"] for p in report["problems"]] == [5, 12, 13]
    assert "already (by its BU or an earlier table)" in report["problems"][0]["reason"]
    assert "NR_ZONA is 'zona 5', not a whole number" in report["problems"][1]["reason"]
    assert report["problems"][2]["reason"].endswith("-L7777: the first row kept")

    brazil.forget_cached()
    registry = brazil.registry
    section, municipality = _ids(bus[0])
    assert registry.areas[registry.mesas[section].center_id].name == f"ESCOLA ESTADUAL Nº {bus[0].field('LOCA')}"
    assert registry.areas[municipality].name == f"SÃO JOÃO DO {bus[0].field('UNFE')}"
    moved, _ = _ids(bus[3])  # the BU's polling place stands
    assert registry.mesas[moved].center_id.endswith(f"-L{bus[3].field('LOCA')}")
    assert registry.mesas[_ids(bus[9])[0]].registered == bus[9].eligible  # a section no BU came from yet
    covered = testigo.coverage(brazil)
    assert (covered.mesas_covered, covered.mesas_registry) == (4, 10)
    assert covered.registered_total == sum(bu.eligible for bu in bus)

    again = json.loads(
        CliRunner().invoke(app, ["registry", "import", str(table), "--json", "--workspace", root]).stdout
    )
    assert (again["sections_added"], again["sections_known"]) == (0, 9)


def test_a_table_without_the_section_columns_or_in_another_profile_is_refused(brazil: Store, tmp_path: Path) -> None:  # noqa: F811
    table = tmp_path / "t.csv"
    table.write_text("SG_UF;CD_MUNICIPIO;NR_ZONA\nAC;1392;1\n", encoding="utf-8")
    with pytest.raises(testigo.UserError, match=r"^t\.csv lacks the column\(s\) NR_SECAO of the TSE's table"):
        import_places(brazil, table)
    other = init_workspace(str(tmp_path / "ve"), "ve2024")
    with pytest.raises(testigo.UserError, match=r"^a table of sections is imported into a workspace of profile br"):
        import_places(other, table)
    other.close()
