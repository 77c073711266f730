"""What a bundle says, derived from the log entries alone; shared by `publish` and `verify`.

The published results are derived from the signed log (plus the profile's
registry), never from the database's other tables: `verify` runs this very
derivation on entries it has just checked against the signed checkpoint, so
every figure in the data files and pages either follows from the signed log
or is reported. It also keeps a bundle coherent while an ingest is running:
only the entries the checkpoint covers are used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from testigo.domain import Mesa, Record, Registry, Status
from testigo.ledger import entries as entry_format
from testigo.profiles import PayloadError, Profile
from testigo.tally.aggregate import Accepted, TallyResult, tally_accepted

#: Outcomes whose image shows a valid acta, and is therefore published.
PUBLISHED_STATUSES = frozenset({Status.ACCEPTED, Status.DUPLICATE, Status.CONFLICT})

#: Levels whose totals are published in data/totals.json (mesas have data/mesas.*).
AREA_LEVELS = ("country", "state", "municipality", "parish", "center")


@dataclass(frozen=True)
class Entry:
    """One log entry: its position, exact bytes and fields."""

    seq: int
    body: bytes
    fields: Mapping[str, Any]

    def get(self, name: str) -> Any:
        return self.fields.get(name)

    @property
    def status(self) -> str | None:
        return self.fields.get("status")

    @property
    def sha256(self) -> str | None:
        return self.fields.get("sha256")

    @property
    def payload(self) -> str | None:
        return self.fields.get("payload")

    @property
    def shows_acta(self) -> bool:
        """Whether this entry's image holds a valid acta (and so is published)."""
        return self.payload is not None and self.sha256 is not None and self.status in PUBLISHED_STATUSES


def read_entries(bodies: Sequence[bytes]) -> tuple[list[Entry], list[str]]:
    """Parse entry bodies; a non-canonical one is left out with a problem naming its line."""
    entries: list[Entry] = []
    problems: list[str] = []
    for seq, body in enumerate(bodies):
        try:
            entries.append(Entry(seq, body, entry_format.parse(body)))
        except (ValueError, UnicodeDecodeError) as error:
            problems.append(f"log entry {seq} cannot be read: {error}")
    return entries, problems


def published_images(entries: Sequence[Entry]) -> list[str]:
    """SHA-256 of every image the bundle publishes, in order of first appearance in the log."""
    return list(dict.fromkeys(e.sha256 for e in entries if e.shows_acta and e.sha256))


@dataclass(frozen=True)
class MesaResult:
    """A mesa with an accepted acta: its record and every log entry about it."""

    mesa: Mesa
    record: Record
    accepted: Entry
    related: tuple[Entry, ...]
    """Every entry about this mesa (accepted, duplicates, conflicts, invalid sheets), in log order."""

    def image_shas(self) -> list[str]:
        return list(dict.fromkeys(e.sha256 for e in self.related if e.shows_acta and e.sha256))


@dataclass(frozen=True)
class Publication:
    """Everything a bundle shows, derived from the entries the checkpoint covers."""

    profile: Profile
    registry: Registry
    entries: tuple[Entry, ...]
    mesas: dict[str, MesaResult]
    """By mesa id, sorted."""
    image_files: Mapping[str, str]
    """sha256 -> bundle-relative path of each published image."""
    problems: tuple[str, ...]
    """Why some entries could not be used (always empty for a log testigo wrote)."""

    def image_of(self, sha256: str | None) -> str | None:
        return self.image_files.get(sha256) if sha256 else None

    @property
    def data_as_of(self) -> str | None:
        """When the latest logged file arrived: the "as of" of everything published."""
        return max((str(e.get("received_at")) for e in self.entries if e.get("received_at")), default=None)


def derive(
    entries: Sequence[Entry], profile: Profile, registry: Registry, image_files: Mapping[str, str]
) -> Publication:
    """The results the entries give: the first accepted acta of each mesa, with every entry about it.

    A second accepted entry for a mesa, an accepted payload that does not
    parse or a mesa missing from the registry are problems, not results:
    testigo never writes such a log, so they mean it was altered.
    """
    problems: list[str] = []
    accepted: dict[str, tuple[Entry, Record]] = {}
    related: dict[str, list[Entry]] = {}
    mesas_of_image: dict[str, list[str]] = {}
    for entry in entries:
        if entry.get("kind") != "item":
            continue
        if entry.get("profile") != profile.name:
            problems.append(f"log entry {entry.seq} is for profile {entry.get('profile')!r}, not {profile.name!r}")
            continue
        if entry.payload is None:
            if entry.status == Status.DUPLICATE and entry.sha256 in mesas_of_image:
                for mesa_id in mesas_of_image[entry.sha256]:  # the same file again: shown with its acta
                    related[mesa_id].append(entry)
            continue
        try:
            record = profile.parse(entry.payload)
        except PayloadError as error:
            if entry.status in PUBLISHED_STATUSES:
                problems.append(f"log entry {entry.seq} is {entry.status} but its payload does not parse: {error}")
            continue
        related.setdefault(record.mesa_id, []).append(entry)
        if entry.shows_acta and entry.sha256:
            mesas_of_image.setdefault(entry.sha256, []).append(record.mesa_id)
        if entry.status != Status.ACCEPTED:
            continue
        if record.mesa_id in accepted:
            first = accepted[record.mesa_id][0].seq
            problems.append(f"log entries {first} and {entry.seq} both accept mesa {record.mesa_id}")
        elif record.mesa_id not in registry.mesas:
            problems.append(f"log entry {entry.seq} accepts mesa {record.mesa_id}, which is not in the registry")
        else:
            accepted[record.mesa_id] = (entry, record)
    mesas = {
        mesa_id: MesaResult(registry.mesas[mesa_id], record, entry, tuple(related[mesa_id]))
        for mesa_id, (entry, record) in sorted(accepted.items())
    }
    return Publication(profile, registry, tuple(entries), mesas, image_files, tuple(problems))


def tallies(publication: Publication) -> dict[str, TallyResult]:
    """Totals and coverage at every area level, computed as `testigo tally` computes them."""
    election, registry = publication.profile.election, publication.registry
    results = list(publication.mesas.values())
    accepted = Accepted(
        mesa_ids=[r.mesa.id for r in results],
        acta_ids=[r.record.acta_id for r in results],
        cards=np.array([r.record.counts for r in results], dtype=np.int64).reshape(len(results), len(election.cards)),
        nulls=np.array([r.record.null_votes for r in results], dtype=np.int64),
    )
    return {level: tally_accepted(election, registry, level, accepted) for level in AREA_LEVELS}
