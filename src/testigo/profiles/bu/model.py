"""The typed, immutable model of a Brazilian boletim de urna (BU) as its QR codes carry it.

A BU's result travels in 1 to 9 QR codes ("parts", `QRBU:i:n`) whose data,
joined with single spaces, is one stream of ``KEY:VALUE`` tokens: the section's
header, then one block per contest (election ``IDEL`` and office ``CARG``).
The model keeps every token verbatim and in order (`Boletim.header`,
`ContestResult.fields`), so that writing a parsed BU back gives the same bytes
and so that a field this code does not know is carried, never dropped; the
typed attributes are read from those tokens by `testigo.profiles.bu.text`.

Format 6.0 (2026) adds the urna's certificate in `QRCE:i:n` codes
(`CertificatePart`); its BU parts are signed by the urna's own key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from functools import cached_property
from types import MappingProxyType

#: Ordered ``(KEY, VALUE)`` tokens, verbatim as the urna printed them.
Fields = tuple[tuple[str, str], ...]

#: The format versions (`VRQR`) this package reads: 2016, 2018-2024, 2026.
FORMAT_VERSIONS = ("1.4", "1.5", "6.0")

#: The formats whose last part is signed by the TSE's per-election Ed25519 key.
TSE_SIGNED_FORMATS = ("1.4", "1.5")

_EMPTY: Mapping[int, int] = MappingProxyType({})


def _first_values(fields: Fields) -> Mapping[str, str]:
    """Each key's first value among `fields`, read-only (a later token of the same key is not looked at)."""
    return MappingProxyType(dict(reversed(fields)))


def frozen_votes(votes: Mapping[int, int]) -> Mapping[int, int]:
    """A read-only copy of ``{number: votes}`` in the given order, for the frozen classes below."""
    return MappingProxyType(dict(votes))


class ContestKind(IntEnum):
    """`TIPO` of a contest block."""

    MAJORITARIAN = 0
    PROPORTIONAL = 1
    REFERENDUM = 2


@dataclass(frozen=True)
class BuPart:
    """One BU QR code, `QRBU:index:count`.

    `body` is the part's data: its text without the ``QRBU``/``VRQR``/``VRCH``
    header and without its own `` HASH:``/`` ASSI:`` tail; that is what the
    hash chain covers. `text` is exactly what was decoded.
    """

    index: int
    count: int
    format_version: str
    key_version: str | None
    body: str
    hash_hex: str
    signature_hex: str | None
    text: str

    @property
    def is_last(self) -> bool:
        """Only the last part carries the signature."""
        return self.index == self.count


@dataclass(frozen=True)
class CertificatePart:
    """One certificate QR code of format 6.0, `QRCE:index:count IDUE:… MDUE:… CERT:…`.

    The `certificate_hex` of all parts, concatenated in order, is the urna's
    certificate; checking it is `testigo.profiles.bu.certificate`'s job.
    """

    index: int
    count: int
    urna_id: str
    model: str
    certificate_hex: str
    text: str


@dataclass(frozen=True)
class PartyResult:
    """One party of a proportional contest: `PART`, its candidates' votes, `LEGP`, `TOTP`."""

    number: int
    #: read-only; left out of the hash (a mapping has none), `number` and the totals stand for it
    candidates: Mapping[int, int] = field(hash=False)
    label_votes: int = 0
    total: int = 0


@dataclass(frozen=True)
class ContestResult:
    """One contest block: election `IDEL`, office `CARG`, kind `TIPO` and its counts.

    `fields` is the whole block as printed (``CARG`` first, up to the next
    contest), which is what is written back; the other attributes are read from
    it. `election_fields` are the tokens between ``IDEL`` and the election's
    first ``CARG`` (``MAJO``/``PROP`` on a counting-system BU), the same for
    every contest of the election. A count the block does not carry is None (the
    2016 format has no ``APTA``; majoritarian contests have no ``LEGC``).
    `candidates` holds a majoritarian or referendum contest's votes; a
    proportional contest's candidates are inside its `parties`.
    """

    election: int
    office: int
    kind: ContestKind
    fields: Fields
    election_fields: Fields = ()
    #: read-only; left out of the hash (a mapping has none), `fields` stands for it
    candidates: Mapping[int, int] = field(default_factory=lambda: _EMPTY, hash=False)
    parties: tuple[PartyResult, ...] = ()
    eligible: int | None = None
    nominal: int | None = None
    label_votes: int | None = None
    blank: int | None = None
    null: int | None = None
    total: int | None = None

    @cached_property
    def _field_index(self) -> Mapping[str, str]:
        return _first_values(self.fields)

    def field(self, key: str) -> str | None:
        """The value of the block's first `key` field, or None (the block is indexed once: the sums ask for
        several fields of every contest)."""
        return self._field_index.get(key)

    @cached_property
    def _all_candidates(self) -> Mapping[int, int]:
        if not self.parties:
            return self.candidates
        return frozen_votes({n: v for party in self.parties for n, v in party.candidates.items()})

    def all_candidates(self) -> Mapping[int, int]:
        """Every candidate's votes, whatever the kind (a proportional contest's from its parties), gathered
        once: the sums, the ceilings and the records each ask for them."""
        return self._all_candidates


@dataclass(frozen=True, order=True)
class SectionKey:
    """What identifies one section's result in one round: a BU of the same key is the same sheet."""

    uf: str
    municipality: int
    zone: int
    section: int
    election_day: int
    round: int

    def __str__(self) -> str:
        return (
            f"{self.uf} municipality {self.municipality} zone {self.zone} section {self.section}"
            f" (PLEI {self.election_day}, round {self.round})"
        )


@dataclass(frozen=True)
class Boletim:
    """A whole BU: its section header, its contests and the parts it was read from.

    `header` holds every token before the first contest, verbatim and in order.
    The typed accessors below read it; `testigo.profiles.bu.text.parse_boletim`
    guarantees the fields they read are present and well formed.
    """

    header: Fields
    contests: tuple[ContestResult, ...]
    parts: tuple[BuPart, ...]
    certificate: tuple[CertificatePart, ...] = field(default=())

    @cached_property
    def _header_index(self) -> Mapping[str, str]:
        return _first_values(self.header)

    def field(self, key: str) -> str | None:
        """The value of the header's first `key` field, or None."""
        return self._header_index.get(key)

    def _require(self, key: str) -> str:
        value = self._header_index.get(key)
        if value is None:
            raise KeyError(f"the BU header has no {key} field")
        return value

    @property
    def format_version(self) -> str:
        """`VRQR` of the parts."""
        return self.parts[0].format_version

    @property
    def key_version(self) -> str | None:
        """`VRCH` of the parts (the date naming the TSE key), None in formats 1.4 and 6.0."""
        return self.parts[0].key_version

    @property
    def origin(self) -> str:
        """`ORIG`: VOTA (the urna), RED (data recovery), SA (the counting system)."""
        return self._require("ORIG")

    @property
    def community(self) -> bool:
        """`ORLC:COM`: a community (not official, `LEG`) election; 1.4 has no ORLC and is official."""
        return self.field("ORLC") == "COM"

    @property
    def uf(self) -> str:
        """`UNFE`, the state, two upper-case letters (``ZZ`` abroad)."""
        return self._require("UNFE")

    @property
    def municipality(self) -> int:
        """`MUNI`, the TSE's municipality code."""
        return int(self._require("MUNI"))

    @property
    def zone(self) -> int:
        """`ZONA`."""
        return int(self._require("ZONA"))

    @property
    def section(self) -> int:
        """`SECA`."""
        return int(self._require("SECA"))

    @property
    def aggregated(self) -> tuple[int, ...]:
        """`AGRE`: the sections aggregated into this one (none when absent)."""
        value = self.field("AGRE")
        return tuple(int(s) for s in value.split(".")) if value else ()

    @property
    def election_day(self) -> int:
        """`PLEI`, the id of the election day."""
        return int(self._require("PLEI"))

    @property
    def round(self) -> int:
        """`TURN`, 1 or 2."""
        return int(self._require("TURN"))

    @property
    def phase(self) -> str:
        """`FASE`: O official, S simulated, T training."""
        return self._require("FASE")

    @property
    def election_date(self) -> date:
        """`DTPL`, the election date."""
        value = self._require("DTPL")
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))

    def _count(self, key: str) -> int | None:
        value = self.field(key)
        return None if value is None else int(value)

    @property
    def eligible(self) -> int | None:
        """`APTO`, voters eligible in the section; None on a counting-system (SA) BU, which has no turnout."""
        return self._count("APTO")

    @property
    def came(self) -> int | None:
        """`COMP`, voters who came; None on an SA BU."""
        return self._count("COMP")

    @property
    def absent(self) -> int | None:
        """`FALT`, voters absent; None on an SA BU."""
        return self._count("FALT")

    @property
    def section_key(self) -> SectionKey:
        """The section and round this BU reports on."""
        return SectionKey(self.uf, self.municipality, self.zone, self.section, self.election_day, self.round)

    @property
    def signing_key_name(self) -> str | None:
        """The TSE key that signs this BU, as the TSE names its file, or None for format 6.0.

        ``{VRCH}/{LEGAL|COMUNITARIA}/{phase}{uf}qrcode.pub``; format 1.4 has no
        VRCH, and its keys are named by the election year.
        """
        if self.format_version not in TSE_SIGNED_FORMATS:
            return None
        folder = self.key_version or f"{self.election_date.year}"
        kind = "COMUNITARIA" if self.community else "LEGAL"
        return f"{folder}/{kind}/{self.phase.lower()}{self.uf.lower()}qrcode.pub"
