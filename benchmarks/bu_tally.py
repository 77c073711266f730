"""How long a contest's national tally takes in a workspace of Brazil's BUs at national scale (no images).

A workspace of profile br gets `--sections` sections (default 500,000: Brazil has about 470,000 a round)
in about five sections a polling place, 17 places a municipality and the 27 UFs, and the five contests of
a general election's BU for each: President (nationwide), Governor, Senator, federal and state deputies
(per UF; the deputies' ballots cut to 100 options to keep the file small: a BU lists only the candidates
who got votes there, so a real ballot is longer and sparser). Counts are drawn at random; the records are
bulk-inserted (`testigo.store.bulk`, as benchmarks/scale.py does: no items, no log), so what is timed is
what `testigo tally --contest KEY` does on a workspace of that size, from a fresh `Store`:

* open: the registry (sections, places, municipalities) and the contests' ballots;
* the President's national tally, the President by state, and one UF's Governor (its constituency only).

Target (issue 13): a contest's national tally in under 10 seconds on two cores with SQLite.

Run: ``python benchmarks/bu_tally.py [--sections 500000] [--seed 1]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from testigo.domain import Area, Mesa
from testigo.profiles.br import BALLOT_FACT, Ballot, place_ids
from testigo.store.bulk import add_accepted_records
from testigo.store.workspace import add_to_registry, init_workspace, open_workspace, set_fact
from testigo.tally.aggregate import tally

UFS = "AC AL AM AP BA CE DF ES GO MA MG MS MT PA PB PE PI PR RJ RN RO RR RS SC SE SP TO".split()
#: (office code, name, options, per UF): the five contests of a general election's BU.
OFFICES = ((1, "Presidente", 12, False), (3, "Governador", 8, True), (5, "Senador", 8, True))
DEPUTIES = ((6, "Deputado Federal", 100, True), (7, "Deputado Estadual", 100, True))
TARGET_S = 10


def _geography(sections: int) -> tuple[list[Area], list[Mesa]]:
    """UF → municipality → zone → polling place → section, about five sections a place."""
    areas: dict[str, Area] = {}
    mesas = []
    for index in range(sections):
        place = index // 5
        municipality = place // 17
        uf = UFS[municipality % len(UFS)]
        ids = place_ids(uf, municipality + 1, municipality % 3 + 1, index + 1, str(place + 1))
        for area in (
            Area(ids.uf, "state", uf, None),
            Area(ids.municipality, "municipality", ids.municipality, ids.uf),
            Area(ids.zone, "parish", ids.zone, ids.municipality),
            Area(ids.center, "center", ids.center_name, ids.zone),
        ):
            areas.setdefault(area.id, area)
        mesas.append(Mesa(ids.section, ids.center, index + 1, 300))
    return list(areas.values()), mesas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as work:
        root = str(Path(work) / "ws")
        store = init_workspace(root, "br")
        started = time.perf_counter()
        areas, mesas = _geography(args.sections)
        by_uf: dict[str, list[str]] = {}
        for mesa in mesas:
            by_uf.setdefault(mesa.id.split("-", 1)[0], []).append(mesa.id)
        with store.sessions.begin() as session:
            add_to_registry(session, areas, mesas)
        records = 0
        for office, name, options, per_uf in OFFICES + DEPUTIES:
            groups = by_uf.items() if per_uf else [("BR", [m.id for m in mesas])]
            for area, ids in groups:
                contest = f"1:1:100:{office}:{area}"
                ballot = Ballot(f"{name} {area}", tuple(str(n) for n in range(10, 10 + options)))
                cards = rng.poisson(250 / options, size=(len(ids), options))
                nulls = rng.poisson(8, size=len(ids))
                with store.sessions.begin() as session:
                    set_fact(session, BALLOT_FACT + contest, ballot.to_fact())
                store.forget_cached()
                with store.sessions.begin() as session:
                    add_accepted_records(session, store.profile, ids, cards, nulls, contest)
                records += len(ids)
        store.close()
        print(f"{args.sections:,} sections, {records:,} records built in {time.perf_counter() - started:.0f} s")

        begun = time.perf_counter()
        store = open_workspace(root)
        _ = store.registry, store.profile.contests()
        timed = {"open (registry, ballots)": time.perf_counter() - begun}
        uf = UFS[0]
        for label, level, contest in (
            ("President, national", "country", "1:1:100:1:BR"),
            ("President, by state", "state", "1:1:100:1:BR"),
            (f"Governor of {uf}, national", "country", f"1:1:100:3:{uf}"),
        ):
            begun = time.perf_counter()
            result = tally(store, level, contest)
            timed[label] = time.perf_counter() - begun
            assert result.rows, label
        store.close()
    for label, seconds in timed.items():
        print(f"{label:>28}: {seconds:6.2f} s")
    slowest = max(seconds for label, seconds in timed.items() if not label.startswith("open"))
    verdict = "within" if slowest <= TARGET_S else "above"
    print(f"slowest contest tally {slowest:.2f} s: {verdict} the {TARGET_S}-second target")


if __name__ == "__main__":
    main()
