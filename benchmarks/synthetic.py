"""What benchmarks/scale.py and benchmarks/import_cost.py share: the real 2024 table, registries grown from
the real one, and an emptied PostgreSQL database (a module of its own, so that each script runs alone)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData, create_engine

from testigo.domain import Area, Mesa, Registry

#: The opposition's 2024 table, beside the project in the shared data folder.
REAL_TABLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "ve2024" / "resultados_2024_csv_v1.csv"


def synthetic_registry(real: Registry, mesas: int) -> tuple[list[Area], list[Mesa]]:
    """New centers and mesas, copies of the real ones, so that the registry holds `mesas` in all."""
    areas: list[Area] = []
    added: list[Mesa] = []
    by_center: dict[str, list[Mesa]] = {}
    for mesa in real.mesas.values():
        by_center.setdefault(mesa.center_id, []).append(mesa)
    copy = 0
    while len(real.mesas) + len(added) < mesas:
        copy += 1
        for center_id, members in by_center.items():
            center = real.areas[center_id]
            new_id = f"{center_id}-{copy}"
            areas.append(Area(new_id, "center", f"{center.name} ({copy})", center.parent_id, center.registered))
            added.extend(Mesa(f"{new_id}.{m.number:02}", new_id, m.number, m.registered) for m in members)
    return areas, added[: max(mesas - len(real.mesas), 0)]


def fresh_database(url: str) -> None:
    """Empty the benchmark's PostgreSQL database between sizes."""
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    engine.dispose()
