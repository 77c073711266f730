"""Profile `ve2024`: the CNE acta de escrutinio of Venezuela's presidential election of 28 July 2024.

The voting machine printed, at the bottom of each acta, a QR code whose text is::

    <acta id>!<38 comma-separated counts, one per party card in ballot order>!<null votes>!<second count>

e.g. ``201301006.01.1.0001!140,7,...,1,1!0!0``. The acta id is
``<9-digit center code>.<2-digit mesa>.1.0001``; the center code's digits encode
state (2), municipality (2), parish (2) and center (3). The last two parts of the
id and the fourth field (equal to the null votes in every known acta) are kept
verbatim and flagged when unusual.

Limitation: the QR carries no signature. The printed acta has a machine hash and
the witnesses' signatures, but the QR alone can be forged by anyone who knows the
format. A forged acta can only be caught by consistency — the registry, the
arithmetic, duplicate vote vectors across mesas, conflicting sheets for one mesa
and, later, OCR of the printed figures against the QR.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property

from testigo.domain import Candidate, Card, Election, Mesa, Record, Registry
from testigo.profiles.base import PayloadError, Profile

CANDIDATES = (
    Candidate("maduro", "Nicolás Maduro"),
    Candidate("martinez", "Luis Eduardo Martínez"),
    Candidate("bertucci", "Javier Bertucci"),
    Candidate("brito", "José Brito"),
    Candidate("ecarri", "Antonio Ecarri"),
    Candidate("fermin", "Claudio Fermín"),
    Candidate("ceballos", "Daniel Ceballos"),
    Candidate("gonzalez", "Edmundo González"),
    Candidate("marquez", "Enrique Márquez"),
    Candidate("rausseo", "Benjamín Rausseo"),
)

_PARTIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("maduro", ("PSUV", "PCV", "TUPAMARO", "PPT", "MSV", "PODEMOS", "MEP", "APC", "ORA", "UPV", "EV", "PVV", "PFV")),
    ("martinez", ("AD", "COPEI", "MR", "BR", "DDP", "UNE")),
    ("bertucci", ("EL CAMBIO",)),
    ("brito", ("PV", "VU", "UVV", "MPJ")),
    ("ecarri", ("AP", "MOVEV", "CMC", "FV", "ALIANZA DEL LAPIZ", "MIN UNIDAD")),
    ("fermin", ("SPV",)),
    ("ceballos", ("VPA", "AREPA")),
    ("gonzalez", ("UNTC", "MPV", "MUD")),
    ("marquez", ("CENTRADOS",)),
    ("rausseo", ("CONDE",)),
)

CARDS = tuple(
    Card(number, party, candidate)
    for number, (candidate, party) in enumerate(
        ((cand, party) for cand, parties in _PARTIES for party in parties), start=1
    )
)

ELECTION = Election("Elección presidencial de Venezuela, 28 de julio de 2024", CANDIDATES, CARDS)

#: Official national figures of the election (CNE): coverage is also reported against them.
MESAS_NATIONAL = 30_026
CENTERS_NATIONAL = 15_797
#: Venezuelans on the definitive roll (CNE, Gaceta Electoral 1057, 1 June 2024), 69,211 of them abroad: the
#: voters of this (presidential) contest. The roll's 228,241 foreigners, 21,620,705 in all, vote only in
#: regional and municipal elections (Constitution, art. 64).
REGISTERED_NATIONAL = 21_392_464

#: The constant tail of every known acta id.
USUAL_ID_SUFFIX = "1.0001"

# ASCII digits only: Python's \d also matches other scripts' digits ("٣"), which
# no voting machine prints, so a payload carrying them is not read as a number.
_ACTA_ID = re.compile(r"([0-9]{9})\.([0-9]{2})\.([0-9]{1,4})\.([0-9]{1,6})")
_LOOKS_LIKE_ACTA = re.compile(r"[0-9]{6,12}\.[0-9]{1,3}[.!]|[0-9]{6,12}\.[0-9]{1,3}$|[0-9.]+![0-9,\s-]+!")
# Canonical integers only: the machine never pads with zeros, and accepting "007"
# would make two payloads of the same numbers look different (a false conflict).
_INT = re.compile(r"0|-?[1-9][0-9]{0,8}")


class VE2024(Profile):
    name = "ve2024"
    election = ELECTION
    layout_files = ("ve2024", "ve2024-sin-qr")

    def recognises(self, payload: str) -> bool:
        return bool(_LOOKS_LIKE_ACTA.match(payload.strip()))

    def parse(self, payload: str) -> Record:
        text = payload.strip()
        fields = text.split("!")
        if len(fields) != 4:
            raise PayloadError(f"wrong shape: expected 4 fields separated by '!', found {len(fields)}")
        acta_id, counts_text, null_text, second_text = fields
        match = _ACTA_ID.fullmatch(acta_id)
        if not match:
            raise PayloadError(f"wrong shape: acta id {acta_id[:40]!r} is not <9-digit center>.<2-digit mesa>.N.N")
        center, mesa, part3, part4 = match.groups()
        raw_counts = counts_text.split(",")
        if len(raw_counts) != len(CARDS):
            raise PayloadError(f"wrong shape: expected {len(CARDS)} card counts, found {len(raw_counts)}")
        counts = tuple(_number(v, f"card {i}") for i, v in enumerate(raw_counts, start=1))
        null_votes = _number(null_text, "null votes")
        second = _number(second_text, "fourth field")
        flags = []
        if f"{part3}.{part4}" != USUAL_ID_SUFFIX:
            flags.append(f"unusual acta id suffix .{part3}.{part4} (every known acta has .{USUAL_ID_SUFFIX})")
        if second != null_votes:
            flags.append(f"fourth field {second} differs from null votes {null_votes}")
        return Record(
            profile=self.name,
            acta_id=acta_id,
            mesa_id=f"{center}.{mesa}",
            counts=counts,
            null_votes=null_votes,
            payload=text,
            extra={"second_count": second},
            flags=tuple(flags),
        )

    def encode(
        self, acta_id: str, counts: list[int], null_votes: int, extra: dict[str, int | str] | None = None
    ) -> str:
        second = (extra or {}).get("second_count", null_votes)
        return f"{acta_id}!{','.join(str(v) for v in counts)}!{null_votes}!{second}"

    def load_registry(self) -> Registry:
        return self._registry

    def acta_id_for(self, mesa_id: str) -> str:
        return acta_id_for(mesa_id)

    def mesa_from_print(self, codes: Mapping[str, str]) -> str | None:
        """``<center>.<mesa, 2 digits>`` from the printed CENTRO (9 digits) and MESA (1 or 2 digits)."""
        center, mesa = codes.get("center", ""), codes.get("mesa", "")
        if not (re.fullmatch(r"[0-9]{9}", center) and re.fullmatch(r"[0-9]{1,2}", mesa)):
            return None
        return f"{center}.{int(mesa):02d}"

    def printed_header(self, mesa: Mesa) -> dict[str, str]:
        """CENTRO (9 digits), MESA (its number, no leading zero) and ELECTORES (when the registry has them)."""
        codes = {"center": mesa.center_id, "mesa": str(mesa.number)}
        if mesa.registered is not None:
            codes["registered"] = str(mesa.registered)
        return codes

    @cached_property
    def _registry(self) -> Registry:
        from testigo.profiles.ve2024_data import load_registry

        registry = load_registry()
        registry.mesas_national = MESAS_NATIONAL
        registry.centers_national = CENTERS_NATIONAL
        registry.registered_national = REGISTERED_NATIONAL
        return registry


def acta_id_for(mesa_id: str) -> str:
    """The acta id a genuine sheet of registry mesa `mesa_id` carries."""
    return f"{mesa_id}.{USUAL_ID_SUFFIX}"


def _number(text: str, what: str) -> int:
    if not _INT.fullmatch(text):
        if text.isascii() and text.lstrip("-").isdigit():
            raise PayloadError(f"non-canonical {what}: {text[:20]!r} (leading zero)")
        raise PayloadError(f"non-numeric {what}: {text[:20]!r}")
    return int(text)
