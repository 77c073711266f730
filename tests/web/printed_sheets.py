"""Sheets whose print was read, stored through the real store and pipeline functions: fast stand-ins for photos.

Rendering and reading a photo takes seconds (`testigo.simulate`; the end-to-end
test does it once); these build the very `PrintedSheet` the reader would, and
let the pipeline's own `settle_mismatch` / `settle_printed` decide what the
sheet becomes, with a small PNG that shows each figure inside its box so a
crop of the box shows the figure.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from testigo.capture import Incoming
from testigo.domain.layout import SheetLayout
from testigo.domain.printed import CONFIRMED, MISMATCH, UNCERTAIN, PrintedSheet, Quad
from testigo.ledger.entries import CLI_CHANNEL
from testigo.pipeline.ingest import register_incoming
from testigo.pipeline.logbook import finish_logged
from testigo.pipeline.printed import settle_mismatch, settle_printed
from testigo.pipeline.reconcile import settle_payload
from testigo.store.schema import SubmissionRow
from testigo.store.submissions import ItemOutcome
from testigo.store.workspace import Store
from tests.conftest import payload_for

WIDTH, ROW, BOX = 420, 22, (300, 380)


def layout_named(store: Store, code: str) -> SheetLayout:
    """The workspace profile's printed form with a QR code (``qr``) or without (``none``)."""
    return next(layout for layout in store.profile.layouts() if layout.code == code)


def quads_for(names: list[str]) -> dict[str, Quad]:
    """A box per field, one field a row, in a narrow column on the right of the page."""
    quads: dict[str, Quad] = {}
    for row, name in enumerate(names):
        top = 10 + row * ROW
        (left, right), bottom = BOX, top + ROW - 6
        quads[name] = ((left, top), (right, top), (right, bottom), (left, bottom))
    return quads


def sheet_png(figures: dict[str, str], quads: dict[str, Quad], salt: str) -> bytes:
    """A page with each figure written inside its box (and `salt`, so that each sheet is its own file)."""
    height = 20 + ROW * len(quads)
    image = Image.new("L", (WIDTH, height), 255)
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), salt, fill=0)
    for name, quad in quads.items():
        (left, top), _, (right, bottom), _ = quad
        draw.rectangle((left, top, right, bottom), outline=160)
        draw.text((left + 6, top + 3), figures.get(name, ""), fill=0)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def store_sheet(store: Store, name: str, data: bytes, outcome: Callable[[Session], ItemOutcome]) -> int:
    """Store a file's arrival and its one outcome as ingest does (logged), in one transaction; the item's id."""
    with store.sessions.begin() as session:
        submission_id, _ = register_incoming(store, session, Incoming(f"test:{name}", name, data), CLI_CHANNEL, None)
        submission = session.get(SubmissionRow, submission_id)
        assert submission is not None
        [item_id] = finish_logged(session, store, submission, [outcome(session)])
        return item_id


def mismatched_sheet(store: Store, mesa: str, *, gonzalez: int = 200, printed: int = 290) -> tuple[int, str]:
    """A sheet whose QR code gives González `gonzalez` and whose print, as read, `printed`: (item id, payload)."""
    payload = payload_for(mesa, gonzalez=gonzalez)
    layout = layout_named(store, "qr")
    expected = store.profile.printed_figures(store.profile.parse(payload), layout)
    figures = {name: str(value) for name, value in expected.items()}
    figures["card_36"] = str(printed)
    quads = quads_for(layout.figure_fields())
    sheet = PrintedSheet(
        layout.name,
        MISMATCH,
        f"printed figures differ from the QR code: card_36 print {printed}, QR {gonzalez}",
        figures,
        {},
        quads,
        "test-model",
        ("card_36",),
    )

    def outcome(session: Session) -> ItemOutcome:
        found = settle_mismatch(session, store.profile, store.registry, payload, sheet, page=0, strategy="test")
        assert found.status == MISMATCH, found.reason
        return replace(found, printed=sheet)

    data = sheet_png(figures, quads, f"mismatch {mesa} {gonzalez} {printed}")
    return store_sheet(store, f"mismatch-{mesa}-{gonzalez}-{printed}.png", data, outcome), payload


def confirmed_sheet(store: Store, mesa: str, *, gonzalez: int = 200) -> int:
    """A sheet read by its QR code whose every printed figure confirmed the code (accepted); the item's id."""
    payload = payload_for(mesa, gonzalez=gonzalez)
    layout = layout_named(store, "qr")
    expected = store.profile.printed_figures(store.profile.parse(payload), layout)
    figures = {name: str(value) for name, value in expected.items()}
    quads = quads_for(layout.figure_fields())
    sheet = PrintedSheet(layout.name, CONFIRMED, "printed figures agree with the QR code", figures, {}, quads, "m")

    def outcome(session: Session) -> ItemOutcome:
        found = settle_payload(session, store.profile, store.registry, payload, source="image", strategy="test")
        assert found.status == "accepted", found.reason
        return replace(found, printed=sheet)

    return store_sheet(store, f"confirmed-{mesa}.png", sheet_png(figures, quads, f"confirmed {mesa}"), outcome)


def machine_read_sheet(
    store: Store,
    mesa: str,
    counts: list[int],
    null_votes: int,
    *,
    illegible: tuple[str, ...] = (),
    outcome: str = UNCERTAIN,
) -> int:
    """A sheet without a code whose print was read alone: the machine read `mesa`, `counts` and `null_votes`
    (nothing legible in the `illegible` fields). Uncertain, it is unreadable, and the machine's reading is one entry
    of its transcription; `CERTAIN`, it is accepted from its print. The item's id."""
    layout = layout_named(store, "none")
    record = store.profile.record_from_print(
        mesa, {**dict(zip(layout.table.fields(), counts, strict=True)), "null_votes": null_votes}, layout
    )
    figures = {name: str(value) for name, value in store.profile.printed_figures(record, layout).items()}
    center, number = mesa.split(".")
    figures.update(center=center, mesa=str(int(number)), registered=str(store.registry.mesas[mesa].registered))
    figures.update(dict.fromkeys(illegible, ""))
    quads = quads_for(["center", "mesa", *layout.figure_fields()])
    sheet = PrintedSheet(
        layout.name,
        outcome,
        "read from the print, for a person to confirm (not certain: card_01)",
        figures,
        {},
        quads,
        "test-model",
    )

    def settled(session: Session) -> ItemOutcome:
        found = settle_printed(session, store.profile, store.registry, sheet, page=0)
        assert found.status == ("unreadable" if outcome == UNCERTAIN else "accepted"), found
        return replace(found, printed=sheet)

    data = sheet_png(figures, quads, f"print {mesa} {counts} {null_votes} {illegible}")
    return store_sheet(store, f"print-{mesa}-{sum(counts)}-{null_votes}-{len(illegible)}.png", data, settled)
