"""A small real election for the API's tests and docs: real 2024 results, imported into a workspace and published.

The rows are those of the 2024 results table shipped with testigo (every n-th
mesa, so that every state has some), written in the layout of the opposition's
``resultados_2024_csv_v1.csv``, which ``testigo import`` recognises.
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
from importlib import resources
from pathlib import Path

from testigo.profiles.ve2024_data import RESULT_COLUMNS

#: Names inside a sample folder (`build`), as the docs' examples use them.
RESULTADOS = "resultados.csv"
OFICIAL = "oficial.csv"
WORKSPACE = "eleccion"
BUNDLE = "bundle"
ACTAS = "actas"
#: Brazil's boletins de urna: the eight real BUs of the shared data, as decoded texts.
BOLETINS = "boletins"
BU_VECTORS = Path(__file__).resolve().parents[3] / "shared" / "data" / "br" / "vectors"
ROWS = 300
#: The official table's planted differences: (row, votes moved from González to Maduro).
PLANTED = ((10, 50), (20, 50), (30, 50))


def _packaged(name: str) -> list[dict[str, str]]:
    data = resources.files("testigo.profiles").joinpath("data", name).read_bytes()
    return list(csv.DictReader(io.StringIO(gzip.decompress(data).decode("utf-8"))))


def resultados_rows(rows: int = ROWS) -> list[dict[str, str]]:
    """`rows` real 2024 results, spread over the whole table, in the resultados layout."""
    registered = {(r["center"], r["mesa"]): r["registered"] for r in _packaged("ve2024_mesas.csv.gz")}
    results = _packaged("ve2024_results.csv.gz")
    chosen = []
    for r in results[:: len(results) // rows][:rows]:
        votes = {column: int(r[key]) for column, key in RESULT_COLUMNS.items()}
        chosen.append(
            {
                "CENTRO": r["center"].lstrip("0"),
                "MESA": r["mesa"],
                "RE": registered[(r["center"], r["mesa"])],
                "VOTOS_VALIDOS": str(sum(votes.values())),
                "VOTOS_NULOS": r["null"],
                **{column: str(v) for column, v in votes.items()},
            }
        )
    return chosen


def write_table(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def build(folder: Path) -> Path:
    """`folder` with resultados.csv (imported into the workspace eleccion/, published as bundle/),
    oficial.csv (the same rows with `PLANTED` differences) and actas/ (two scanned actas of other
    mesas, rendered by the simulator); neither of the last two is in the workspace; boletins/ (the real
    BUs of the shared data, one text file each)."""
    import testigo
    from testigo.simulate import simulate

    folder.mkdir(parents=True, exist_ok=True)
    rows = resultados_rows()
    write_table(folder / RESULTADOS, rows)
    official = [dict(row) for row in rows]
    for index, moved in PLANTED:
        official[index]["EG"] = str(int(official[index]["EG"]) - moved)
        official[index]["NM"] = str(int(official[index]["NM"]) + moved)
    write_table(folder / OFICIAL, official)
    simulate(folder / "simulated", 2, seed=3, quality="scan", workers=1)
    shutil.move(folder / "simulated" / ACTAS, folder / ACTAS)
    shutil.rmtree(folder / "simulated")
    (folder / BOLETINS).mkdir()
    for vector in BU_VECTORS.glob("*.txt"):
        shutil.copy(vector, folder / BOLETINS / vector.name)
    with testigo.init(folder / WORKSPACE, "ve2024") as ws:
        ws.import_table(folder / RESULTADOS)
        ws.publish(folder / BUNDLE)
    return folder
