"""What a bundle says, derived from the log entries alone; shared by `publish` and `verify`.

The published results are derived from the signed log (plus the profile's
registry, or the bundle's own for a generic workspace), never from the
database's other tables; reviewer decisions are replayed from their log
entries (`replay`). `verify` runs this very derivation on entries it has just
checked against the signed checkpoint, so every figure in the data files and pages either follows from the signed log
or is reported. It also keeps a bundle coherent while an ingest is running:
only the entries the checkpoint covers are used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from testigo.domain import Election, Mesa, Record, Registry
from testigo.ledger.entries import Entry
from testigo.profiles import Profile
from testigo.publish.layout import needs_preview
from testigo.publish.replay import replay
from testigo.tally.aggregate import Accepted, TallyResult, registry_of_contest, tally_accepted

#: Levels whose totals are published in data/totals.json (mesas have data/mesas.*).
AREA_LEVELS = ("country", "state", "municipality", "parish", "center")


def published_images(entries: Sequence[Entry]) -> list[str]:
    """SHA-256 of every image the bundle publishes, in order of first appearance in the log."""
    return list(dict.fromkeys(e.sha256 for e in entries if e.shows_acta and e.sha256))


def published_tables(entries: Sequence[Entry]) -> list[str]:
    """SHA-256 of every imported table the bundle publishes (one with a valid row), in log order."""
    return list(dict.fromkeys(e.sha256 for e in entries if e.table_row and e.sha256))


@dataclass(frozen=True)
class MesaResult:
    """A mesa with an accepted acta: its record and every log entry about it."""

    mesa: Mesa
    record: Record
    accepted: Entry
    """The entry that logged the counted figures (a sheet, a table row, or a manual entry)."""
    related: tuple[Entry, ...]
    """Every entry about this mesa (sheets, rows, duplicates, conflicts, invalid sheets, decisions), in log order."""
    decision: Entry | None = None
    """The reviewer decision that made these figures count, when one did."""

    def image_shas(self) -> list[str]:
        return list(dict.fromkeys(e.sha256 for e in self.related if e.shows_acta and e.sha256))

    def table_shas(self) -> list[str]:
        return list(dict.fromkeys(e.sha256 for e in self.related if e.table_row and e.sha256))


@dataclass(frozen=True)
class Files:
    """Where the bundle keeps each published file, by SHA-256 of the original."""

    images: Mapping[str, str] = field(default_factory=dict)
    """Acta images (actas/)."""
    tables: Mapping[str, str] = field(default_factory=dict)
    """Imported tables (sources/)."""
    previews: Mapping[str, str] = field(default_factory=dict)
    """JPEG previews (previews/) of the images a browser cannot show."""


@dataclass(frozen=True)
class Publication:
    """Everything a bundle shows of one contest, derived from the entries the checkpoint covers.

    A one-contest format (``ve2024``) has one publication, of contest ``""``;
    a format whose sheets carry several contests (``br``) has one per
    contest, each counted against the registry of its constituency, and
    the bundle shows them side by side (`derive_contests`).
    """

    profile: Profile
    registry: Registry
    """The mesas the contest is voted in (the whole registry for a contest of the whole country)."""
    entries: tuple[Entry, ...]
    """Every entry the checkpoint covers, of every contest."""
    mesas: dict[str, MesaResult]
    """By mesa id, sorted: the mesas with a counted record of this contest."""
    files: Files
    problems: tuple[str, ...]
    """Why some entries could not be used (always empty for a log testigo wrote)."""
    registry_published: bool = False
    """Whether the bundle carries the registry (and ballot) it relies on (see docs/bundle-format.md)."""
    contest: str = ""
    """The contest's key (`Record.contest`); ``""`` for a one-contest format."""
    election: Election | None = None
    """The contest's ballot; None: the profile's one ballot."""

    @property
    def ballot(self) -> Election:
        """What this contest's counts are the cards of (`Profile.election_of`)."""
        return self.election or self.profile.election

    @property
    def image_files(self) -> Mapping[str, str]:
        return self.files.images

    def image_of(self, sha256: str | None) -> str | None:
        return self.files.images.get(sha256) if sha256 else None

    def table_of(self, sha256: str | None) -> str | None:
        return self.files.tables.get(sha256) if sha256 else None

    def shown_image(self, sha256: str) -> str | None:
        """What a page shows of an image in <img>: the original, its preview, or None (a download link only)."""
        original = self.files.images[sha256]
        return self.files.previews.get(sha256) or (None if needs_preview(original) else original)

    @property
    def data_as_of(self) -> str | None:
        """When the latest logged file arrived or decision was taken: the "as of" of everything published."""
        times = (
            str(e.get("received_at") or e.get("decided_at"))
            for e in self.entries
            if e.get("received_at") or e.get("decided_at")
        )
        return max(times, default=None)


def derive(
    entries: Sequence[Entry], profile: Profile, registry: Registry, files: Files, *, registry_published: bool = False
) -> Publication:
    """The results of a one-contest log: each mesa's counted record after every decision, with every entry about it.

    The first publication of `derive_contests` (the only one, for a one-contest format).
    """
    return derive_contests(entries, profile, registry, files, registry_published=registry_published)[0]


def derive_contests(
    entries: Sequence[Entry], profile: Profile, registry: Registry, files: Files, *, registry_published: bool = False
) -> list[Publication]:
    """One publication per contest of the profile, in its order (one of contest ``""`` before any contest).

    The log is replayed once, as the live system applies it (`replay`), so
    the bundle's figures are those of `testigo tally`. Anything the live
    system never logs is a problem, not a result: it means the log was
    altered; every publication carries the whole log's problems.
    """
    replayed = replay(entries, profile, registry)
    by_contest: dict[str, dict[str, MesaResult]] = {}
    for (mesa_id, contest), state in sorted(replayed.mesas.items()):
        counted = state.counted()
        if counted is not None:
            by_contest.setdefault(contest, {})[mesa_id] = MesaResult(
                registry.mesas[mesa_id], counted.record, counted.entry, tuple(state.related), state.decision
            )
    contests = list(profile.contests()) or [""]
    problems = tuple(replayed.problems)  # a record of a contest without a ballot does not parse: one of them
    return [
        Publication(
            profile,
            registry_of_contest(profile, registry, contest),
            tuple(entries),
            by_contest.get(contest, {}),
            files,
            problems,
            registry_published,
            contest,
            profile.election_of(contest) if contest else None,
        )
        for contest in contests
    ]


def accepted_of(publication: Publication) -> Accepted:
    """The publication's counted records as the arrays `testigo tally` aggregates."""
    election = publication.ballot
    results = list(publication.mesas.values())
    return Accepted(
        mesa_ids=[r.mesa.id for r in results],
        acta_ids=[r.record.acta_id for r in results],
        cards=np.array([r.record.counts for r in results], dtype=np.int64).reshape(len(results), len(election.cards)),
        nulls=np.array([r.record.null_votes for r in results], dtype=np.int64),
        evidence=[r.accepted.evidence for r in results],
    )


def tallies(publication: Publication) -> dict[str, TallyResult]:
    """Totals and coverage at every area level, computed as `testigo tally` computes them."""
    election, registry, accepted = publication.ballot, publication.registry, accepted_of(publication)
    return {level: tally_accepted(election, registry, level, accepted) for level in AREA_LEVELS}
