"""The offices a BU's contests elect, and where each is voted (its constituency).

Candidate numbers are reused from one constituency to the next (15 is a
different mayor in each municipality), so a contest is one office in one
constituency: ``BR`` for President, the UF for a state's offices,
``<UF>-<municipality>`` for the others (and for any office not listed here).
"""

from __future__ import annotations

from testigo.profiles.bu.model import Boletim

#: Offices (``CARG``) voted in the whole country and in a whole state; all others per municipality.
NATIONAL_OFFICES = frozenset({1})
STATE_OFFICES = frozenset({3, 5, 6, 7, 8})
#: Offices by the names the TSE prints; others are shown by number.
OFFICES = {
    1: "Presidente",
    3: "Governador",
    5: "Senador",
    6: "Deputado Federal",
    7: "Deputado Estadual",
    8: "Deputado Distrital",
    11: "Prefeito",
    13: "Vereador",
}


def office_name(office: int) -> str:
    """The office as the TSE names it, or by its number."""
    return OFFICES.get(office, f"office {office}")


def constituency(boletim: Boletim, office: int) -> str:
    """Where an office of this BU is voted: the area its candidates' numbers belong to."""
    if office in NATIONAL_OFFICES:
        return "BR"
    if office in STATE_OFFICES:
        return boletim.uf
    return f"{boletim.uf}-{boletim.municipality}"
