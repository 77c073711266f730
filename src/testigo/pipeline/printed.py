"""The print of a sheet in ingest: checked against its QR code, or read on its own, and what that makes of it.

Runs in two places. In the decoding worker, `examine` turns the page's print
reading into a `PrintedSheet` (small, so it travels back cheaply): the
cross-check against the page's QR code, or the figures read alone. In the
process that writes, `settle_printed` decides what a page without a readable
code becomes: accepted like any sheet (source ``print``) when every figure
and the mesa are certain, else unreadable with the machine's reading kept,
where it counts as one of the two entries a transcription needs.
"""

from __future__ import annotations

import math
from dataclasses import replace

from sqlalchemy.orm import Session

from testigo.domain import Record, Registry, Status
from testigo.domain.layout import SheetLayout
from testigo.domain.printed import CERTAIN, CONFIRMED, MISMATCH, PARTIAL, UNCERTAIN, PrintedSheet
from testigo.pipeline.header import MatchedHeader, match_header
from testigo.pipeline.reconcile import settle_record, validate
from testigo.profiles import PayloadError, Profile
from testigo.read import PageReading
from testigo.read.ocr import MODEL_SHA256
from testigo.read.printed.figures import ACCEPT_CONFIDENCE, AT_EDGE, cross_check, edge_split, rescue
from testigo.read.printed.reading import PrintReading
from testigo.store.submissions import ItemOutcome

#: The source of a record read from the print alone (others: ``image``, ``import``, ``manual``).
PRINT_SOURCE = "print"
#: A header code (center, mesa, registered voters) read alone needs this posterior (figures need
#: `ACCEPT_CONFIDENCE`): the registry is its second witness. A misread code is accepted only if it
#: names a real mesa whose registered voters are the number printed on the sheet: for a code read at
#: 0.95, about 0.05 x (a neighbour code names a real mesa: under 0.3) x (its registered voters equal
#: the printed ones: about 1 in 600) < 3e-5 per sheet. PP-OCR read all 37 center codes right on the
#: simulated photos measured, at posteriors from 0.76 up. Without a registered figure to compare,
#: the codes need `ACCEPT_CONFIDENCE` (`accepted_alone`).
HEADER_CONFIDENCE = 0.95


def examine(profile: Profile, page: PageReading) -> PrintedSheet | None:
    """What the page's print says, compared with its QR code when it has one (None: no print reading)."""
    if page.printed is None:
        return None
    layout = next(layout for layout in profile.layouts() if layout.name == page.printed.layout)
    if page.payloads:
        try:
            record = profile.parse(page.payloads[0])
        except PayloadError:
            return None  # the code is invalid: there is nothing to compare the print with
        return _checked(page.printed, profile.printed_figures(record, layout), layout)
    return _read_alone(profile, page.printed, layout)


def _checked(printed: PrintReading, expected: dict[str, int], layout: SheetLayout) -> PrintedSheet:
    check = cross_check(printed, expected, layout.checks)
    outcome = {"mismatch": MISMATCH, "partial": PARTIAL, "confirmed": CONFIRMED}[check.outcome]
    return PrintedSheet(
        printed.layout,
        outcome,
        check.describe(),
        {c.field: c.read for c in check.comparisons},
        {c.field: c.margin for c in check.comparisons},
        {name: field.quad for name, field in check.reading.fields.items()},
        MODEL_SHA256,
        tuple(c.field for c in check.differing),
    )


def _read_alone(profile: Profile, printed: PrintReading, layout: SheetLayout) -> PrintedSheet:
    rescued = rescue(printed, layout)
    figures = {name: "" if value is None else str(value) for name, value in rescued.values.items()}
    scores = {name: round(c, 6) for name, c in rescued.confidence.items()}
    doubtful = rescued.doubtful()
    codes, unsure, matched = _header_codes(profile, printed, layout)
    for name, (code, score) in codes.items():
        figures[name], scores[name] = code, score
    doubtful += unsure
    certain = rescued.arithmetic and not doubtful and not printed.missing and not printed.unlabelled
    if certain:
        detail = "read from the print: every figure certain, the sheet's sums hold"
    else:
        why = []
        if not rescued.arithmetic:
            why.append("the figures read do not add up")
        if rescued.corrected:
            why.append("changed from what was read to make the sums hold: " + ", ".join(rescued.corrected))
        if printed.unlabelled:
            why.append("labels read nowhere, read where the layout puts them: " + ", ".join(printed.unlabelled))
        shown = {*rescued.corrected, *printed.unlabelled}
        at_edge, unsure_only = edge_split(printed, [name for name in doubtful if name not in shown])
        if at_edge:
            why.append(f"{AT_EDGE}: " + ", ".join(at_edge))
        if unsure_only:
            why.append("not certain: " + ", ".join(unsure_only))
        if printed.missing:
            why.append("not found: " + ", ".join(printed.missing))
        detail = "read from the print, for a person to confirm (" + "; ".join(why) + ")"
    if matched is not None and matched.corrected:
        read = ", ".join(f"{name} {matched.read[name] or 'blank'}" for name in matched.corrected)
        names = "names" if matched.certain else "most likely names"
        detail += f"; the header {names} registry mesa {matched.mesa_id} (its codes read alone: {read})"
    quads = {name: field.quad for name, field in printed.fields.items()}
    return PrintedSheet(printed.layout, CERTAIN if certain else UNCERTAIN, detail, figures, scores, quads, MODEL_SHA256)


def _header_codes(
    profile: Profile, printed: PrintReading, layout: SheetLayout
) -> tuple[dict[str, tuple[str, float]], list[str], MatchedHeader | None]:
    """Each header code found with its confidence, those not certain enough, and the registry mesa they name.

    The registry's mesa (`match_header`) gives the codes when it is certain.
    Otherwise each code is its own best reading at `HEADER_CONFIDENCE`, the
    registry still their second witness in `accepted_alone`; and when one of
    those is not sure either, the likeliest registry mesa, if the print fits
    one, gives the codes of the machine's entry (doubtful, for a reviewer to
    confirm): a code read alone that names no mesa could never agree with
    what a reviewer types. A code whose label was not found stays missing
    either way: the registry corrects what the print shows, it never
    supplies what was not read.
    """
    found = {spec.field: printed.fields[spec.field] for spec in layout.header if spec.field in printed.fields}
    read = {name: (field.text, round(_code_confidence(field.candidates), 6)) for name, field in found.items()}
    unsure = [name for name, (_, score) in read.items() if score < HEADER_CONFIDENCE]
    matched = match_header(profile, found, layout)
    if matched is None or not (matched.certain or unsure):
        return read, unsure, None
    confidence = round(matched.confidence, 6)
    codes = {name: (matched.codes[name], confidence) if name in matched.codes else read[name] for name in found}
    if matched.certain:
        return codes, [name for name in unsure if name not in matched.codes], matched
    return codes, list(found), matched


def _code_confidence(candidates: tuple[tuple[str, float], ...]) -> float:
    """A header code's posterior among its candidates (codes have no arithmetic to lean on)."""
    if not candidates:
        return 0.0
    top = candidates[0][1]
    return 1.0 / sum(math.exp(score - top) for _, score in candidates)


def settle_mismatch(
    session: Session,
    profile: Profile,
    registry: Registry,
    payload: str,
    sheet: PrintedSheet,
    *,
    page: int,
    strategy: str | None,
) -> ItemOutcome:
    """A sheet whose print differs from its valid QR code: kept for review, no record, counted nowhere.

    The code is still validated first: an invalid code is `invalid` whatever
    its print says. No record is stored: which figures are the sheet's is a
    reviewer's decision, and a record would count or block its mesa.
    """
    outcome = ItemOutcome(status=Status.INVALID, page=page, payload=payload, strategy=strategy)
    try:
        record = profile.parse(payload)
    except PayloadError as error:
        return replace(outcome, reason=str(error))
    problems = validate(session, profile, registry, record)
    if problems:
        return replace(outcome, reason="; ".join(problems), mesa_id=record.acta_id)
    return replace(outcome, status=Status.MISMATCH, reason=sheet.detail, mesa_id=record.acta_id)


def settle_printed(
    session: Session, profile: Profile, registry: Registry, sheet: PrintedSheet, *, page: int
) -> ItemOutcome:
    """What a page without a readable code becomes from its print alone, in the caller's transaction."""
    found = accepted_alone(profile, registry, sheet)
    if isinstance(found, str):
        return ItemOutcome(status=Status.UNREADABLE, page=page, reason=f"no QR code read; {found}")
    return settle_record(session, profile, registry, found, source=PRINT_SOURCE, page=page)


def accepted_alone(profile: Profile, registry: Registry, sheet: PrintedSheet) -> Record | str:
    """The record a sheet read from its print alone is accepted as, or why a person must read it.

    Certain figures are not enough: the mesa the header names must be in the
    registry, and the registered voters printed must be the registry's (a
    misread mesa code that names another real mesa is caught there). That
    second witness is what lets a code be read at `HEADER_CONFIDENCE`; where
    it is missing, the codes need `ACCEPT_CONFIDENCE` like the figures.
    """
    if sheet.outcome != CERTAIN:
        return sheet.detail
    record = record_read_alone(profile, sheet)
    if record is None or record.mesa_id not in registry.mesas:
        where = f"mesa {record.mesa_id}" if record else "no mesa"
        return f"the print names {where} that the registry does not have"
    registered = sheet.figures.get("registered")
    known = registry.mesas[record.mesa_id].registered
    if registered and known is not None and int(registered) != known:
        return (
            f"the print's {registered} registered voters are not the registry's {known} "
            f"for mesa {record.mesa_id}: the mesa may be misread"
        )
    if not registered or known is None:
        layout = next(layout for layout in profile.layouts() if layout.name == sheet.layout)
        unsure = [s.field for s in layout.header if sheet.scores.get(s.field, 0.0) < ACCEPT_CONFIDENCE]
        if unsure:
            return f"no registered voters to confirm the mesa by, and not certain: {', '.join(unsure)}"
    return record


def record_read_alone(profile: Profile, sheet: PrintedSheet) -> Record | None:
    """The record a sheet read from its print alone stands for (None: its header names no mesa).

    Its payload is the one a genuine sheet with these figures would carry, so
    the same sheet read from its QR code elsewhere reconciles as a duplicate.
    """
    mesa_id = profile.mesa_from_print(sheet.figures)
    if mesa_id is None:
        return None
    layout = next(layout for layout in profile.layouts() if layout.name == sheet.layout)
    figures = {name: int(value) for name, value in sheet.figures.items() if value.isdigit()}
    return profile.record_from_print(mesa_id, figures, layout)


def machine_reading(profile: Profile, sheet: PrintedSheet) -> Record | None:
    """The machine's entry in the transcription of a sheet read from its print alone, or None if it has none.

    It is the record `record_read_alone` gives — the payload a genuine sheet
    with the printed mesa and figures carries, the very payload two reviewers
    typing them would settle — when the print was read alone, uncertain, and
    every figure of the entry (the header's mesa, each card, the null votes)
    was read as a number. A certain reading that the registry refused is no
    entry: its reason names the mesa it read, which reviewers see, and an
    entry they can see is no blind entry. The same function gives it from the
    live `PrintedSheet` and from the print a log entry logged, so a verifier
    re-derives it.
    """
    if sheet.outcome != UNCERTAIN:
        return None
    layout = next((layout for layout in profile.layouts() if layout.name == sheet.layout), None)
    if layout is None:
        return None
    needed = [*layout.table.fields(), "null_votes"]
    if not all(sheet.figures.get(name, "").isascii() and sheet.figures.get(name, "").isdigit() for name in needed):
        return None
    try:
        return record_read_alone(profile, sheet)
    except PayloadError:
        return None
