"""What reviewers see of a sheet's print: its figures beside its QR code's, and the printed cell of each field.

A sheet whose print differs from its code is decided by a person looking at
both (`testigo.web.decisions.resolve_mismatch`): the page lists every figure
of the print's layout with the code's value, the print's reading, and the
differing ones marked, each beside the cell it was read from. The entry form
of an unreadable sheet shows the printed cell beside each input — pixels of
the sheet, never what the machine read there, so entries stay blind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from testigo.domain.layout import SheetLayout
from testigo.domain.printed import PrintedSheet
from testigo.profiles import PayloadError, Profile
from testigo.store import reviews
from testigo.store.schema import ItemRow
from testigo.store.submissions import printed_of
from testigo.store.workspace import Store


@dataclass(frozen=True)
class FigureLine:
    """One figure of a mismatched sheet: the code's value, the print's reading ("" when illegible), and whether
    they differ; `card` is the ballot card's number for a row of the table, `cell` whether its crop exists."""

    field: str
    card: int | None
    qr: int | None
    printed: str
    differs: bool
    cell: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "card": self.card,
            "qr": self.qr,
            "printed": self.printed,
            "differs": self.differs,
        }


@dataclass(frozen=True)
class MismatchView:
    """A sheet waiting for a reviewer's finding: its line in the queue, its code, and its figures."""

    line: reviews.MismatchLine
    payload: str
    mesa_id: str | None
    detail: str
    figures: list[FigureLine]

    @property
    def differing(self) -> list[FigureLine]:
        return [f for f in self.figures if f.differs]

    def to_json(self) -> dict[str, Any]:
        return {
            "item_id": self.line.item_id,
            "sha256": self.line.sha256,
            "image": f"/blobs/{self.line.sha256}/full.jpg" if self.line.sha256 else None,
            "received_at": self.line.received_at.isoformat(),
            "acta_id": self.line.acta_id,
            "mesa": self.mesa_id,
            "payload": self.payload,
            "detail": self.detail,
            "figures": [
                {**f.to_json(), "cell": cell_link(self.line.item_id, f.field) if f.cell else None} for f in self.figures
            ],
        }


def cell_link(item_id: int, field: str) -> str:
    """Where a reviewer's page loads the printed cell of one field of a sheet."""
    return f"/review/cells/{item_id}/{field}.jpg"


def mismatch_view(store: Store, item_id: int) -> MismatchView | None:
    """The mismatched sheet `item_id` as its review page shows it; None unless it waits for a finding."""
    with store.reads() as session:
        found = reviews.mismatch_queue(session, item_id=item_id).items
        item = session.get(ItemRow, item_id)
        sheet = printed_of(session, item_id)
    if not found or item is None or item.payload is None:
        return None
    profile = store.profile
    try:
        record = profile.parse(item.payload)
    except PayloadError:
        return MismatchView(found[0], item.payload, None, item.reason or "", [])
    layout = _layout(profile, sheet)
    if sheet is None or layout is None:
        return MismatchView(found[0], item.payload, record.mesa_id, item.reason or "", [])
    expected = profile.printed_figures(record, layout)
    cards = dict(zip(layout.table.fields(), (card.number for card in profile.election.cards), strict=False))
    figures = [
        FigureLine(
            name,
            cards.get(name),
            expected.get(name),
            sheet.figures.get(name, ""),
            name in sheet.differing,
            name in sheet.quads,
        )
        for name in layout.figure_fields()
    ]
    return MismatchView(found[0], item.payload, record.mesa_id, sheet.detail, figures)


def entry_cells(store: Store, item_id: int) -> dict[str, list[str]]:
    """The printed cells to show beside each input of a sheet's entry form (form field → cell links).

    The mesa is typed from the printed center and mesa codes; a card from its
    row of the table; null votes and the valid-votes total from their lines.
    A field whose box the reader did not find shows nothing.
    """
    with store.reads() as session:
        sheet = printed_of(session, item_id)
    layout = _layout(store.profile, sheet)
    if sheet is None or layout is None:
        return {}
    wanted: dict[str, list[str]] = {"mesa": ["center", "mesa"], "null_votes": ["null_votes"]}
    wanted["valid_votes"] = ["valid_votes"]
    for name, card in zip(layout.table.fields(), store.profile.election.cards, strict=False):
        wanted[f"card_{card.number}"] = [name]
    return {
        form: [cell_link(item_id, name) for name in names if name in sheet.quads]
        for form, names in wanted.items()
        if any(name in sheet.quads for name in names)
    }


def cell_source(store: Store, item_id: int, field: str) -> tuple[str, int, PrintedSheet] | None:
    """(image SHA-256, page, print reading) to cut the cell of `field` from; None if that sheet has no such box."""
    with store.reads() as session:
        found = reviews.item_with_submission(session, item_id)
        sheet = printed_of(session, item_id)
    if found is None or sheet is None or field not in sheet.quads or not found[1].blob_sha256:
        return None
    return found[1].blob_sha256, found[0].page, sheet


def _layout(profile: Profile, sheet: PrintedSheet | None) -> SheetLayout | None:
    if sheet is None:
        return None
    return next((layout for layout in profile.layouts() if layout.name == sheet.layout), None)
