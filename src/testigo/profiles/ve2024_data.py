"""The ve2024 registry and 2024 results shipped in the package, and how they were built.

Built once from the two public tables in ``shared/data/ve2024`` (see DESIGN.md):

* ``resultados_2024_csv_v1.csv`` (the opposition's table, 24,532 actas): mesas,
  registered voters per mesa (``RE``), state/municipality/parish names, votes.
* ``actas_2024_presidential.csv`` (21,952 actas): center names and registered
  voters of the whole center; 28 mesas of 7 centers appear only here.

Geography ids come from the digits of the center code as printed in the acta id
(state 2, municipality 2, parish 2, center 3), so a decoded QR maps onto the
registry without a lookup table. (The CNE's own parish numbering in ``COD_PAR``
differs from those digits but maps one-to-one onto them.)

Rebuild with ``testigo registry build --source ../shared/data/ve2024``.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from importlib import resources
from pathlib import Path

from testigo.domain import Area, Mesa, Registry

MESAS_FILE = "ve2024_mesas.csv.gz"
RESULTS_FILE = "ve2024_results.csv.gz"

#: Candidate columns of the opposition table, mapped to profile candidate keys.
RESULT_COLUMNS = {
    "NM": "maduro",
    "LM": "martinez",
    "JABE": "bertucci",
    "JOBR": "brito",
    "AE": "ecarri",
    "CF": "fermin",
    "DC": "ceballos",
    "EG": "gonzalez",
    "EM": "marquez",
    "BERA": "rausseo",
}
#: The same candidates in the other table's column names.
ACTAS_COLUMNS = {
    "Maduro": "maduro",
    "Martinez": "martinez",
    "Bertucci": "bertucci",
    "Brito": "brito",
    "Ecarri": "ecarri",
    "Fermin": "fermin",
    "Ceballos": "ceballos",
    "Gonzalez": "gonzalez",
    "Marquez": "marquez",
    "Rausseo": "rausseo",
}
MESA_FIELDS = ["center", "mesa", "registered", "center_registered", "state", "municipality", "parish", "center_name"]
RESULT_FIELDS = ["center", "mesa", *RESULT_COLUMNS.values(), "null"]

_PREFIX = re.compile(r"^(EDO|DTTO|MP|PQ|CM)\.\s*")
_STATE_NAMES = {"CAPITAL": "DISTRITO CAPITAL"}


def _clean(name: str) -> str:
    return _PREFIX.sub("", name.strip()).strip()


def build(source: Path, out_dir: Path) -> tuple[int, int]:
    """Write the mesa registry and the results table from the two public CSVs.

    Returns (mesas, results) row counts.
    """
    actas = list(csv.DictReader(open(source / "actas_2024_presidential.csv", encoding="utf-8-sig", newline="")))
    table = list(csv.DictReader(open(source / "resultados_2024_csv_v1.csv", encoding="utf-8-sig", newline="")))
    state_names = {row["Codcv"][:2]: _STATE_NAMES.get(row["ESTADO"], row["ESTADO"]) for row in actas}
    center_info = {row["Codcv"]: row for row in actas}
    mesas: dict[tuple[str, str], dict[str, str]] = {}
    results: dict[tuple[str, str], dict[str, str]] = {}
    for row in table:
        center = row["CENTRO"].zfill(9)
        key = (center, row["MESA"].zfill(2))
        info = center_info.get(center, {})
        mesas[key] = {
            "center": center,
            "mesa": key[1],
            "registered": row["RE"],
            "center_registered": info.get("votantes", ""),
            "state": state_names.get(center[:2], _clean(row["EDO"])),
            "municipality": _clean(row["MUN"]),
            "parish": _clean(row["PAR"]),
            "center_name": info.get("NombreCV", "") or f"CENTRO {center}",
        }
        results[key] = {"center": center, "mesa": key[1], "null": row["VOTOS_NULOS"]}
        results[key].update({cand: row[col] for col, cand in RESULT_COLUMNS.items()})
    for row in actas:
        center = row["Codcv"]
        key = (center, row["Acta"][10:12])
        if key in mesas:
            continue
        mesas[key] = {
            "center": center,
            "mesa": key[1],
            "registered": "",
            "center_registered": row["votantes"],
            "state": state_names[center[:2]],
            "municipality": row["municipio"].strip(),
            "parish": row["parroquia"].strip(),
            "center_name": row["NombreCV"].strip(),
        }
        # the null votes of these actas are unknown: 0, as in 96% of the other table
        results[key] = {"center": center, "mesa": key[1], "null": "0"}
        results[key].update({cand: row[col] for col, cand in ACTAS_COLUMNS.items()})
    out_dir.mkdir(parents=True, exist_ok=True)
    _write(out_dir / MESAS_FILE, MESA_FIELDS, [mesas[k] for k in sorted(mesas)])
    _write(out_dir / RESULTS_FILE, RESULT_FIELDS, [results[k] for k in sorted(results)])
    return len(mesas), len(results)


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    # mtime=0 keeps the file byte-identical across rebuilds of the same data
    path.write_bytes(gzip.compress(buffer.getvalue().encode("utf-8"), mtime=0))


def _read(name: str) -> list[dict[str, str]]:
    data = resources.files("testigo.profiles").joinpath("data", name).read_bytes()
    return list(csv.DictReader(io.StringIO(gzip.decompress(data).decode("utf-8"))))


def load_registry() -> Registry:
    """The registry of every mesa known from the 2024 tables."""
    registry = Registry()
    areas = registry.areas
    for row in _read(MESAS_FILE):
        center = row["center"]
        state, municipality, parish = center[:2], center[:4], center[:6]
        if state not in areas:
            areas[state] = Area(state, "state", row["state"], None)
        if municipality not in areas:
            areas[municipality] = Area(municipality, "municipality", row["municipality"], state)
        if parish not in areas:
            areas[parish] = Area(parish, "parish", row["parish"], municipality)
        if center not in areas:
            registered = int(row["center_registered"]) if row["center_registered"] else None
            areas[center] = Area(center, "center", row["center_name"], parish, registered)
        mesa_id = f"{center}.{row['mesa']}"
        registered = int(row["registered"]) if row["registered"] else None
        registry.mesas[mesa_id] = Mesa(mesa_id, center, int(row["mesa"]), registered)
    return registry


def load_results() -> list[dict[str, int | str]]:
    """Per-mesa 2024 results (candidate votes and null votes), the simulator's source."""
    rows: list[dict[str, int | str]] = []
    for row in _read(RESULTS_FILE):
        parsed: dict[str, int | str] = {"mesa_id": f"{row['center']}.{row['mesa']}"}
        parsed.update({k: int(v) for k, v in row.items() if k not in ("center", "mesa")})
        rows.append(parsed)
    return rows
