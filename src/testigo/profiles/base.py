"""The interface every tally-sheet format implements.

A profile turns the text of a sheet's code into a typed `Record` and checks it
against the registry. Adding a country means adding one module with a subclass.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from testigo.domain import Election, Mesa, Record, Registry
from testigo.domain.layout import SheetLayout
from testigo.errors import TestigoError, UserError


class PayloadError(TestigoError):
    """The payload is not a well-formed sheet of this profile; str() is the one-line reason."""


@dataclass(frozen=True)
class CheckContext:
    """What validation needs beyond the record itself.

    `center_votes_elsewhere` is the total of the accepted sheets of the record's
    center other than its own mesa, so the center-level ceiling can be checked.
    """

    registry: Registry
    center_votes_elsewhere: int = 0


class Profile(ABC):
    """One tally-sheet format."""

    #: short name used in workspaces and on the command line
    name: str
    #: ballot of the election this format belongs to
    election: Election
    #: largest count any single card may plausibly carry
    max_card_votes: int = 10_000
    #: whether the registry and ballot come from the workspace's imported data rather than the
    #: profile itself (then a published bundle must carry them: see docs/bundle-format.md)
    registry_from_data: bool = False
    #: the printed forms of this format, as layout files in ``profiles/layouts/`` (none: only codes are read)
    layout_files: tuple[str, ...] = ()

    @abstractmethod
    def recognises(self, payload: str) -> bool:
        """Whether a decoded code is meant to be a sheet of this format.

        A code that is not (a URL, another barcode) is no sheet at all; one that is
        but does not parse is an invalid sheet, with the parse error as reason.
        """

    @abstractmethod
    def parse(self, payload: str) -> Record:
        """Parse a payload; raise `PayloadError` with the reason when malformed."""

    @abstractmethod
    def encode(
        self, acta_id: str, counts: list[int], null_votes: int, extra: dict[str, int | str] | None = None
    ) -> str:
        """The payload a genuine sheet with these contents would carry (for simulation)."""

    @abstractmethod
    def load_registry(self) -> Registry:
        """The registry shipped with the profile."""

    def contests(self) -> dict[str, str]:
        """Contest key → name, for a format whose sheet carries several contests (`Record.contest`).

        A one-contest format has the one contest ``""``, named by its ballot.
        """
        return {"": self.election.name}

    def contest_area(self, contest: str) -> str | None:
        """The registry area a contest is voted in (None: the whole registry, as for a one-contest format).

        Coverage and bounds of a contest count the mesas of that area only:
        a mayor's race is not missing the sections of other municipalities.
        """
        return None

    def contest_or_first(self, contest: str | None) -> str:
        """`contest`, or when None the first of `contests` (``""`` for a one-contest format)."""
        if contest is not None:
            return contest
        return next(iter(self.contests()), "")

    def election_of(self, contest: str) -> Election:
        """The ballot of `contest`: what its records' counts are the cards of, in order.

        A stored count list shorter than the ballot reads as zeros beyond its
        end (a ballot built from the sheets as they arrive only ever grows:
        `testigo.tally.aggregate.accepted_matrix`).
        """
        if contest and contest not in self.contests():
            known = ", ".join(repr(key) for key in self.contests())
            raise UserError(f"unknown contest {contest!r}; this workspace has {known or 'none yet'}")
        return self.election

    def is_code(self, text: str) -> bool:
        """Whether a decoded text counts as read: by default, a payload of this format that parses.

        A format whose sheet spreads over several codes (a Brazilian BU's
        parts) accepts each part, long before a whole sheet can be parsed.
        """
        if not self.recognises(text):
            return False
        try:
            self.parse(text)
        except PayloadError:
            return False
        return True

    def listed_codes(self, data: bytes) -> list[str] | None:
        """The codes of a file that lists decoded texts rather than shows them (None: `data` is no such file).

        A format whose codes observers share as text (a QR reader app's
        export of a BU's parts) is ingested from it as from a photo.
        """
        return None

    #: whether `check` weighs a center's other accepted sheets (`CheckContext.center_votes_elsewhere`): when it
    #: does not, reconciliation leaves that per-record total out
    checks_center_total: bool = True

    #: whether one sheet spreads over several codes that may come in several uploads (a BU's parts):
    #: ingest then gathers them (`testigo.pipeline.bu_ingest`) instead of settling each code on its own
    codes_span_uploads: bool = False

    def for_workspace(self, facts: Mapping[str, str]) -> Profile:
        """This profile as a workspace's stored facts (its `meta` table) complete it.

        A shipped format needs nothing (itself); a format whose ballot comes from
        the imported data (`generic`) rebuilds its candidates from the facts.
        """
        return self

    def ballot_facts(self) -> dict[str, str]:
        """The facts `for_workspace` rebuilds this profile's ballots from: what a bundle's registry file
        carries so that a verifier parses its records as the workspace did. None for a shipped ballot."""
        return {}

    def catch_up(self, facts: Mapping[str, str]) -> None:
        """Take in what other processes added to the workspace's facts since this profile was made (a server
        that runs for days beside ingests). Nothing for a format whose ballot is fixed."""
        return None

    def acta_id_for(self, mesa_id: str) -> str:
        """The sheet id a genuine sheet of registry mesa `mesa_id` carries."""
        return mesa_id

    def layouts(self) -> tuple[SheetLayout, ...]:
        """The printed forms of this format (the one with a QR code first, when there is one)."""
        return tuple(_layout(name) for name in self.layout_files)

    def printed_figures(self, record: Record, layout: SheetLayout) -> dict[str, int]:
        """What a genuine sheet with `record`'s contents prints in each figure of `layout`.

        The table's rows are the cards in ballot order; the totals are the
        valid, null and total votes (layout fields ``valid_votes``,
        ``null_votes``, ``total_votes``).
        """
        totals = {"valid_votes": record.valid_votes, "null_votes": record.null_votes, "total_votes": record.total_votes}
        figures = dict(zip(layout.table.fields(), record.counts, strict=True))
        figures.update({f.field: totals[f.field] for f in layout.totals if f.field in totals})
        return figures

    def mesa_from_print(self, codes: Mapping[str, str]) -> str | None:
        """The registry mesa a sheet's printed header codes name (None: this format prints no such codes)."""
        return None

    def printed_header(self, mesa: Mesa) -> dict[str, str]:
        """The header codes a genuine sheet of registry `mesa` prints, by layout field (empty: this format prints none).

        The inverse of `mesa_from_print`: reading a header can then weigh every
        real mesa the print could name (`testigo.pipeline.header`).
        """
        return {}

    def record_from_print(self, mesa_id: str, figures: Mapping[str, int], layout: SheetLayout) -> Record:
        """The record of a sheet read from its print alone: the payload a genuine sheet with its figures carries."""
        counts = [figures[name] for name in layout.table.fields()]
        return self.record_from_counts(mesa_id, counts, figures["null_votes"], extra={"source": "print"})

    def record_from_counts(
        self,
        mesa_id: str,
        counts: list[int],
        null_votes: int,
        *,
        acta_id: str | None = None,
        sheet: dict[str, int | str] | None = None,
        extra: dict[str, int | str] | None = None,
        flags: tuple[str, ...] = (),
    ) -> Record:
        """The record of a sheet known only by its figures (an imported table row).

        The payload is the one a genuine sheet with these figures would carry, so
        an imported row and a decoded sheet with the same figures reconcile as
        duplicates; `extra` and `flags` say what the payload cannot (where the
        row came from, what the source did not give); `sheet` holds the figures
        beyond the counts that the payload itself carries (see `encode`).
        """
        sheet_id = acta_id or self.acta_id_for(mesa_id)
        record = self.parse(self.encode(sheet_id, counts, null_votes, sheet))
        return replace(record, extra={**record.extra, **(extra or {})}, flags=record.flags + flags)

    def check(self, record: Record, ctx: CheckContext) -> list[str]:
        """Reasons the record cannot be accepted (empty when it is valid).

        The generic checks live here; a profile adds its own by overriding and
        extending the list.
        """
        problems: list[str] = []
        if len(record.counts) != len(self.election.cards):
            problems.append(f"expected {len(self.election.cards)} card counts, found {len(record.counts)}")
        negative = [i + 1 for i, v in enumerate(record.counts) if v < 0]
        if negative or record.null_votes < 0:
            problems.append(f"negative counts on card(s) {negative or 'null votes'}")
        too_big = [i + 1 for i, v in enumerate(record.counts) if v > self.max_card_votes]
        if too_big:
            problems.append(f"implausible count above {self.max_card_votes} on card(s) {too_big}")
        if record.total_votes == 0:
            problems.append("all counts are zero")
        mesa = ctx.registry.mesas.get(record.mesa_id)
        if mesa is None:
            center = record.mesa_id.rsplit(".", 1)[0]
            if center not in ctx.registry.areas:
                problems.append(f"unknown center {center}")
            else:
                problems.append(f"unknown mesa {record.mesa_id} (center {center} is known)")
            return problems
        if mesa.registered is not None and record.total_votes > mesa.registered:
            problems.append(f"{record.total_votes} votes exceed the mesa's {mesa.registered} registered voters")
        center_registered = ctx.registry.center_registered(mesa.center_id)
        center_total = ctx.center_votes_elsewhere + record.total_votes
        if center_registered is not None and center_total > center_registered:
            problems.append(
                f"center {mesa.center_id} would total {center_total} votes, "
                f"above its {center_registered} registered voters"
            )
        return problems


@cache
def _layout(name: str) -> SheetLayout:
    """A layout shipped in ``profiles/layouts/`` (read once per process)."""
    return SheetLayout.from_json((Path(__file__).parent / "layouts" / f"{name}.json").read_text(encoding="utf-8"))
