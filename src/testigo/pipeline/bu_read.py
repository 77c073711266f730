"""What a BU's texts alone tell, worked out where its file is read: ingest's writer is left the signature.

Ingest has one writer (`testigo.pipeline.ingest`): it settles every file in
its own transaction, in one process. On files of codes it was the whole
cost while the processes reading the files sat idle: 1.6-1.9 ms of its CPU
a BU of five contests, a quarter of it parsing and a tenth the sums and the
contest sheets (py-spy, 10,000 simulated BUs). Everything here is a function
of a BU's parts' texts and of nothing a workspace holds, so the reading
process works it out (`read_ahead`, carried in
`testigo.pipeline.decode.Decoded`) and the writer takes it by the parts'
exact texts, keeping the steps that need its workspace: gathering parts
across uploads, the chain and signature under its trusted keys, the
ballots, the records. A BU the reader could not complete (its parts in
several uploads) is read by the writer with the same function
(`read_boletim`), so where a BU was read never changes what is stored.
Measured back to back at 10,000 BUs: the writer's CPU fell from 1.76-1.90
to 1.13-1.25 ms a BU.

Decisions: the signature is not checked here, though a reader could: the
keys trusted are the workspace's (a Dask worker may not reach its folder),
and what counts must rest on the writer's own check. The results travel by
pickle, about 2.6 kB a BU beside its codes; sending the parsed BU itself
(its tokens and contests) was tried first and cost the writer as much to
unpickle as to parse.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from testigo.domain import Area, Mesa
from testigo.profiles.br import ContestSheet, contest_sheets, section_places
from testigo.profiles.bu.arithmetic import check_arithmetic
from testigo.profiles.bu.assemble import Collector
from testigo.profiles.bu.model import Boletim, SectionKey


@dataclass(frozen=True)
class BoletimFacts:
    """What a BU's verdict needs of it besides its parts (`testigo.pipeline.boletins.verdict`)."""

    section: SectionKey
    #: the TSE key's name (`Boletim.signing_key_name`), None for format 6.0 (signed by the urna)
    signing_key_name: str | None
    #: the urna's serial (``IDUE``), whose certificate signs a format 6.0 BU; empty when absent
    urna: str
    #: the sums that fail (making it invalid) and the odd ones (flags), each one line
    invalid: tuple[str, ...]
    flags: tuple[str, ...]


def facts_of(boletim: Boletim) -> BoletimFacts:
    """The facts of a parsed BU: its section, key, urna and sums (`testigo.profiles.bu.arithmetic`)."""
    sums = check_arithmetic(boletim)
    return BoletimFacts(
        boletim.section_key,
        boletim.signing_key_name,
        boletim.field("IDUE") or "",
        tuple(str(finding) for finding in sums.invalid),
        tuple(str(finding) for finding in sums.flags),
    )


@dataclass(frozen=True)
class BoletimRead:
    """A whole BU as ingest takes it: its parts' texts, its facts, its section's place and its contests."""

    #: its parts' texts in order, byte for byte: what the writer looks it up by
    parts: tuple[str, ...]
    facts: BoletimFacts
    #: the areas above its section (UF → municipality → zone → polling place) and the section
    areas: tuple[Area, ...]
    mesa: Mesa
    sheets: tuple[ContestSheet, ...]


def read_boletim(boletim: Boletim) -> BoletimRead:
    """All of `boletim` that ingest needs but its signature's check."""
    areas, mesa = section_places(boletim)
    texts = tuple(part.text for part in boletim.parts)
    return BoletimRead(texts, facts_of(boletim), tuple(areas), mesa, contest_sheets(boletim))


def read_ahead(pages: Iterable[Sequence[str]], *, listed: bool) -> tuple[BoletimRead, ...]:
    """Every BU whose parts all lie in one file (its pages' codes), read as `read_boletim` reads it.

    The codes go through a collector of their own in the order the writer adds them (a listed file's in
    its order, a photo's lowest part first), so it completes what the writer's will. A BU whose reading
    fails is left out, for the writer to meet the same failure where it reports it; so is anything a
    collector refuses or leaves waiting.
    """
    collector = Collector()
    found: list[BoletimRead] = []
    for texts in pages:
        for boletim in (boletim for added in collector.add_page(texts, listed=listed) for boletim in added.completed):
            try:
                found.append(read_boletim(boletim))
            except Exception:  # noqa: BLE001 - the writer reads it again, and says what is wrong
                continue
    return tuple(found)
