"""The reviewer's queue and decisions: conflicts side by side, blind double entry of unreadable sheets, sheets
whose print differs from their QR code, flags.

Each action has a page with a plain form and a JSON twin under
/api/v1/review; both call the same function of `testigo.web.decisions`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

import testigo.web.decisions as decisions
import testigo.web.measure as measure
from testigo.ledger.entries import ALTERED, MISREAD
from testigo.store import reviews
from testigo.store.records import ACCEPTED, CONFLICT
from testigo.web.accounts import REVIEWER, Account
from testigo.web.auth import acting, private_page, require
from testigo.web.flags import INFORMATIONAL_FLAGS
from testigo.web.i18n import Translator
from testigo.web.mesa import RecordView, record_view
from testigo.web.problems import Problem
from testigo.web.render import language, link
from testigo.web.routes.public import blob_headers
from testigo.web.sheets import cell_source, entry_cells, mismatch_view
from testigo.web.state import web_state

router = APIRouter()
api = APIRouter(prefix="/api/v1/review", tags=["review"])

FormText = Annotated[str, Form()]
#: The largest row id or offset a request may name: the databases' INTEGER (PostgreSQL's is 32-bit). A larger
#: number names nothing; taken as it is, it made the database driver raise (a 500 instead of a 404).
MAX_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=0, le=MAX_ID)]


def _acting_reviewer(request: Request, csrf_token: str | None = None) -> Account:
    return acting(request, REVIEWER, csrf_token)


# --- the queue ---------------------------------------------------------------------------------------------------


#: The most lines of one queue a single request may ask for.
MAX_QUEUE_LIMIT = 500
QUEUES = ("mismatch", "unreadable", "conflicts", "flagged")


def queue(request: Request, account: Account, offsets: dict[str, int], limit: int) -> dict[str, reviews.Page[Any]]:
    """One page of each queue; informational flags (see `testigo.web.flags`) wait for nobody."""
    store = web_state(request).store
    limit = min(max(1, limit), MAX_QUEUE_LIMIT)
    with store.sessions() as session:
        # each reviewer's own shuffled order (seeded by the account), never arrival order: see reviews.shuffled
        seed = account.id
        pages: dict[str, reviews.Page[Any]] = {
            "mismatch": reviews.mismatch_queue(session, offset=offsets["mismatch"], limit=limit, seed=seed),
            "unreadable": reviews.unreadable_queue(
                session, account.id, offset=offsets["unreadable"], limit=limit, seed=seed
            ),
            "conflicts": reviews.conflict_queue(session, offset=offsets["conflicts"], limit=limit, seed=seed),
            "flagged": reviews.flagged_queue(
                session, INFORMATIONAL_FLAGS, offset=offsets["flagged"], limit=limit, seed=seed
            ),
        }
        mesas = [mesa_id for mesa_id, _ in pages["conflicts"].items]
        contests = reviews.conflicting_contests(session, mesas)
    conflicts = pages["conflicts"]  # each line with the contests in conflict, on a sheet of several
    pages["conflicts"] = replace(conflicts, items=[(m, n, contests.get(m, [])) for m, n in conflicts.items])
    return pages


@router.get("/review/next", include_in_schema=False)
def next_sheet(request: Request) -> Response:
    """The next piece of work in this reviewer's order: an unreadable sheet they have not typed, else a sheet whose
    print differs from its code, else a conflict, else a flagged acta, else the queue page.

    While unreadable sheets wait for the reviewer, the one handed out is, at the rate the admin set, a known sheet
    instead (`testigo.web.measure`): its address has the same shape as any other's, and none is handed out when
    no ordinary one waits (a sheet appearing in an empty queue would give it away)."""
    account = require(request, REVIEWER)
    lang = language(request)
    store = web_state(request).store
    with store.sessions() as session:
        sheets = reviews.unreadable_queue(session, account.id, limit=reviews.QUEUE_PAGE, seed=account.id).items
    sheet = next((u for u in sheets if not u.entered_by_me), None)
    if sheet is not None:
        handed = measure.hand_out(store, account)
        target = handed if handed is not None else sheet.item_id
        return RedirectResponse(link(lang, f"/review/unreadable/{target}"), status_code=303)
    with store.sessions() as session:
        mismatched = reviews.mismatch_queue(session, limit=1, seed=account.id).items
        if mismatched:
            return RedirectResponse(link(lang, f"/review/mismatch/{mismatched[0].item_id}"), status_code=303)
        conflicts = reviews.conflict_queue(session, limit=1, seed=account.id).items
        if conflicts:
            return RedirectResponse(link(lang, f"/review/conflicts/{conflicts[0][0]}"), status_code=303)
        flagged = reviews.flagged_queue(session, INFORMATIONAL_FLAGS, limit=1, seed=account.id).items
        if flagged:
            return RedirectResponse(link(lang, f"/review/flagged/{flagged[0].id}"), status_code=303)
    return RedirectResponse(link(lang, "/review"), status_code=303)


@router.get("/review", include_in_schema=False)
def queue_page(request: Request, done: str | None = None) -> Response:
    """The four queues, each paged on its own (``?unreadable_from=50`` ...), so any one can be worked through."""
    account = require(request, REVIEWER)
    offsets = {name: _offset(request.query_params.get(f"{name}_from")) for name in QUEUES}
    pages = queue(request, account, offsets, reviews.QUEUE_PAGE)

    def page_link(name: str, offset: int) -> str:
        params = {f"{other}_from": offsets[other] or None for other in QUEUES if other != name}
        return link(language(request), "/review", **params, **{f"{name}_from": offset or None}) + f"#{name}"

    names = web_state(request).store.profile.contests()
    context = {**pages, "done": done, "page_link": page_link, "contest_names": names}
    return private_page(request, "review_queue.html", context)


def _offset(text: str | None) -> int:
    """A page's offset from the query string: digits only, capped (a huge one shows an empty page, not a 500)."""
    if not text or not text.isdigit():
        return 0
    return int(text) if len(text) <= 10 and int(text) <= MAX_ID else MAX_ID


@api.get("/queue")
def queue_api(
    request: Request,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_ID)] = reviews.QUEUE_PAGE,
) -> dict[str, Any]:
    """Sheets whose print differs from their QR code, unreadable sheets waiting for manual entry, mesas with
    conflicting actas, accepted actas with flags that need review; each list paged by `offset` and `limit` (at
    most 500), with the `total` waiting."""
    found = queue(request, require(request, REVIEWER), dict.fromkeys(QUEUES, max(0, offset)), limit)
    lines = {
        "mismatch": [
            {
                "item_id": m.item_id,
                "sha256": m.sha256,
                "received_at": m.received_at.isoformat(),
                "acta_id": m.acta_id,
                "reason": m.reason,
            }
            for m in found["mismatch"].items
        ],
        "unreadable": [
            {
                "item_id": u.item_id,
                "sha256": u.sha256,
                "received_at": u.received_at.isoformat(),
                "reason": u.reason,
                "entries": u.entries,
                "entered_by_me": u.entered_by_me,
            }
            for u in found["unreadable"].items
        ],
        "conflicts": [
            {"mesa": mesa, "conflicting": count, **({"contests": contests} if contests else {})}
            for mesa, count, contests in found["conflicts"].items
        ],
        "flagged": [
            {"record_id": r.id, "mesa": r.mesa_id, "acta_id": r.acta_id} | ({"contest": r.contest} if r.contest else {})
            for r in found["flagged"].items
        ],
    }
    return {
        **lines,
        "total": {name: found[name].total for name in QUEUES},
        "offset": max(0, offset),
        "limit": found["flagged"].limit,
    }


# --- conflicts ---------------------------------------------------------------------------------------------------


def live_records(request: Request, mesa_id: str) -> tuple[str, list[RecordView]]:
    """The accepted record and the conflicting ones of a mesa, accepted first, with their files, and their
    contest: on a sheet of several contests, the first contest in conflict (one page settles one contest)."""
    store = web_state(request).store
    with store.sessions() as session:
        rows = [r for r in reviews.records_of_mesa(session, mesa_id) if r.status in (ACCEPTED, CONFLICT)]
        order = list(store.profile.contests())
        disputed = sorted({r.contest for r in rows if r.status == CONFLICT}, key=lambda c: (c not in order, c))
        contest = disputed[0] if disputed else ""
        rows = [r for r in rows if r.contest == contest] if disputed else rows
        evidence = reviews.evidence_of(session, [r.id for r in rows])
    election = store.profile.election_of(contest)
    views = [record_view(election, row, evidence[row.id]) for row in rows]
    return contest, sorted(views, key=lambda v: (v.status != ACCEPTED, v.id))


@router.get("/review/conflicts/{mesa_id}", include_in_schema=False)
def conflict_page(request: Request, mesa_id: str) -> Response:
    require(request, REVIEWER)
    contest, versions = live_records(request, mesa_id)
    if not any(v.status == CONFLICT for v in versions):
        raise Problem(404, "err_no_open_conflict", mesa=mesa_id)
    differs = [len({v.counts[i] for v in versions}) > 1 for i in range(len(versions[0].counts))]
    candidate_differs = {key for key in versions[0].candidates if len({v.candidates[key] for v in versions}) > 1}
    if len({v.null_votes for v in versions}) > 1:
        candidate_differs.add("null_votes")
    context = {
        "mesa_id": mesa_id,
        "versions": versions,
        "differs": differs,
        "candidate_differs": candidate_differs,
        "election": web_state(request).store.profile.election_of(contest),
    }
    return private_page(request, "review_conflict.html", context)


@router.post("/review/conflicts/{mesa_id}", include_in_schema=False)
def conflict_decide(
    request: Request, mesa_id: str, record_id: Annotated[int, Form()], reason: FormText = "", csrf_token: FormText = ""
) -> Response:
    account = _acting_reviewer(request, csrf_token)
    state = web_state(request)
    decisions.resolve_conflict(state.store, state.secret, account, mesa_id, record_id, reason)
    return RedirectResponse(link(language(request), "/review", done=f"conflict:{mesa_id}"), status_code=303)


class Resolution(BaseModel):
    record_id: int = Field(description="the record (acta version) that becomes the accepted one")
    reason: str = Field(min_length=1, max_length=decisions.MAX_REASON)


@api.get("/conflicts/{mesa_id}")
def conflict_api(request: Request, mesa_id: str) -> dict[str, Any]:
    """The versions of a mesa's acta a reviewer chooses between."""
    require(request, REVIEWER)
    contest, versions = live_records(request, mesa_id)
    several = {"contest": contest} if contest else {}
    return several | {"mesa": mesa_id, "versions": [v.to_json() for v in versions]}


@api.post("/conflicts/{mesa_id}")
def conflict_decide_api(request: Request, mesa_id: str, body: Resolution) -> dict[str, Any]:
    """Make one version the accepted acta of the mesa; the others are superseded (kept, never deleted)."""
    account = _acting_reviewer(request)
    state = web_state(request)
    decided = decisions.resolve_conflict(state.store, state.secret, account, mesa_id, body.record_id, body.reason)
    return decided.to_json()


# --- unreadable sheets: blind double entry ---------------------------------------------------------------------


@router.get("/review/unreadable/{item_id}", include_in_schema=False)
def manual_page(request: Request, item_id: RowId) -> Response:
    account = require(request, REVIEWER)
    return _manual_form(request, account, item_id, None, None)


def _manual_form(
    request: Request,
    account: Account,
    item_id: int,
    typed: dict[str, str] | None,
    error: str | None,
    status_code: int = 200,
) -> Response:
    """The entry form of a sheet: blank, the reviewer's own entry to correct, or what they just typed (`typed`)
    with the `error` that refused it — a wrong mesa code never throws away the figures typed under it.

    Each field is drawn by ``review_fields.html`` with the printed cells it is
    read from beside it (never what the machine read there: entries are blind).
    """
    state = web_state(request)
    with state.store.sessions() as session:
        found = reviews.unreadable_queue(session, account.id, item_id=item_id).items
    if not found:
        raise Problem(404, "err_not_waiting_for_entry", item=item_id)
    if not decisions.manual_entry_possible(state.store):
        raise Problem(409, "decision_no_ballot", profile=state.store.profile.name)
    own = decisions.own_entry(state.store, account, item_id)
    values: dict[str, str] = {}
    if own is not None:
        values = {"mesa": own.mesa_id, "null_votes": str(own.null_votes)}
        values.update({f"card_{i}": str(v) for i, v in enumerate(own.counts, start=1)})
    if typed is not None:
        values = {key: typed.get(key, "") for key in typed if key != "csrf_token"}
    context = {
        "line": found[0],
        "example": decisions.example_mesa(state.store),
        "max_card": state.store.profile.max_card_votes,
        "values": values,
        "own": own,
        "error": error,
        "cells": entry_cells(state.store, item_id),
        "machine": decisions.machine_read(state.store, item_id),
    }
    return private_page(request, "review_manual.html", context, status_code)


@router.post("/review/unreadable/{item_id}", include_in_schema=False)
async def manual_enter(request: Request, item_id: RowId) -> Response:
    form = await request.form(max_fields=100)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    return await run_in_threadpool(_manual_enter_form, request, item_id, values)


def _manual_enter_form(request: Request, item_id: int, values: dict[str, str]) -> Response:
    account = _acting_reviewer(request, values.get("csrf_token"))
    state = web_state(request)
    lang = language(request)
    cards = len(state.store.profile.election.cards)
    try:
        counts = [int(values.get(f"card_{i}", "").strip() or "x") for i in range(1, cards + 1)]
        nulls = int(values.get("null_votes", "").strip() or "x")
        total = values.get("valid_votes", "").strip()
        printed_total = int(total) if total else None  # optional: only checked against the cards' sum
    except ValueError:
        why = Translator(lang)("err_whole_numbers")
        return _manual_form(request, account, item_id, values, why, 422)
    mesa_id = values.get("mesa", "").strip()
    try:
        result = decisions.enter_manual(
            state.store, state.secret, account, item_id, mesa_id, counts, nulls, printed_total
        )
    except decisions.DecisionError as error:
        if error.status_code != 422:  # the sheet moved on (settled, set aside): nothing to keep typing into
            raise
        return _manual_form(request, account, item_id, values, error.message.text(lang), 422)
    return private_page(request, "review_manual_done.html", {"result": result, "item_id": item_id})


@router.post("/review/unreadable/{item_id}/not-an-acta", include_in_schema=False)
def dismiss_form(request: Request, item_id: RowId, reason: FormText = "", csrf_token: FormText = "") -> Response:
    """Set a sheet aside as not an acta (junk); it leaves the queue, and an admin can put it back."""
    account = _acting_reviewer(request, csrf_token)
    decisions.dismiss(web_state(request).store, account, item_id, reason)
    return RedirectResponse(link(language(request), "/review", done=f"not-an-acta:{item_id}"), status_code=303)


class Dismissal(BaseModel):
    reason: str = Field("", max_length=decisions.MAX_REASON, description="why it is not an acta (admins see it)")


@api.post("/unreadable/{item_id}/not-an-acta")
def dismiss_api(request: Request, item_id: RowId, body: Dismissal) -> dict[str, Any]:
    """Set an unreadable sheet aside as not an acta: it leaves the queue (stored with who, when and why)."""
    decisions.dismiss(web_state(request).store, _acting_reviewer(request), item_id, body.reason)
    return {"item_id": item_id, "not_an_acta": True}


class ManualEntry(BaseModel):
    mesa: str = Field(description="the registry's mesa id (ve2024: <center code>.<mesa number, 2 digits>)")
    counts: list[int] = Field(description="the votes of every card of the workspace's ballot, in ballot order")
    null_votes: int
    valid_votes: int | None = Field(
        None,
        description="the valid-votes total as printed, if typed: not part of the entry, only compared with the "
        "cards' sum (`total_differs` in the answer; a warning, never a refusal)",
    )


@api.post("/unreadable/{item_id}")
def manual_enter_api(request: Request, item_id: RowId, body: ManualEntry) -> dict[str, Any]:
    """One reviewer's typing of an unreadable sheet; settles it when two entries agree: two reviewers', or one
    reviewer's and the machine's reading of the print (`machine_entry`), whose figures are never shown."""
    account = _acting_reviewer(request)
    state = web_state(request)
    result = decisions.enter_manual(
        state.store, state.secret, account, item_id, body.mesa.strip(), body.counts, body.null_votes, body.valid_votes
    )
    return result.to_json()


# --- sheets whose print differs from their code -------------------------------------------------------------------


@router.get("/review/mismatch/{item_id}", include_in_schema=False)
def mismatch_page(request: Request, item_id: RowId) -> Response:
    """The sheet, its code's figures beside its print's with the differing ones marked, and each differing cell."""
    require(request, REVIEWER)
    view = mismatch_view(web_state(request).store, item_id)
    if view is None:
        raise Problem(404, "err_no_mismatch_waiting", item=item_id)
    return private_page(request, "review_mismatch.html", {"view": view})


@router.post("/review/mismatch/{item_id}", include_in_schema=False)
def mismatch_decide(
    request: Request, item_id: RowId, finding: FormText = "", reason: FormText = "", csrf_token: FormText = ""
) -> Response:
    account = _acting_reviewer(request, csrf_token)
    state = web_state(request)
    decisions.resolve_mismatch(state.store, state.secret, account, item_id, finding, reason)
    return RedirectResponse(link(language(request), "/review", done=f"mismatch:{item_id}"), status_code=303)


class MismatchFinding(BaseModel):
    finding: Literal["misread", "altered"] = Field(
        description=f"{MISREAD}: the print shows the QR code's figures (the machine misread it), and the code's "
        f"acta is settled like a sheet; {ALTERED}: the print really differs, and the sheet stays out of the count"
    )
    reason: str = Field(min_length=1, max_length=decisions.MAX_REASON)


@api.get("/mismatch/{item_id}")
def mismatch_api(request: Request, item_id: RowId) -> dict[str, Any]:
    """A sheet whose print differs from its QR code: the code's figures, the print's, and which differ."""
    require(request, REVIEWER)
    view = mismatch_view(web_state(request).store, item_id)
    if view is None:
        raise Problem(404, "err_no_mismatch_waiting", item=item_id)
    return view.to_json()


@api.post("/mismatch/{item_id}")
def mismatch_decide_api(request: Request, item_id: RowId, body: MismatchFinding) -> dict[str, Any]:
    """A reviewer's finding on a sheet whose print differs from its QR code (logged with the reason)."""
    account = _acting_reviewer(request)
    state = web_state(request)
    return decisions.resolve_mismatch(state.store, state.secret, account, item_id, body.finding, body.reason).to_json()


@router.get("/review/cells/{item_id}/{field}.jpg", include_in_schema=False)
def cell_image(request: Request, item_id: RowId, field: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,32}$")]) -> Response:
    """The printed cell of one field of a sheet, cut from its image and re-encoded from the pixels alone; for
    reviewers (a sheet that counts nowhere is not public). 404 when the reader found no box for that field."""
    require(request, REVIEWER)
    state = web_state(request)
    found = cell_source(state.store, item_id, field)
    cut = state.previews.cells(found[0], found[1], found[2].quads).get(field) if found else None
    if cut is None:
        raise Problem(404, "err_no_cell", item=item_id, field=field)
    return Response(cut, media_type="image/jpeg", headers=blob_headers("private, no-store"))


# --- flags ---------------------------------------------------------------------------------------------------------


@router.get("/review/flagged/{record_id}", include_in_schema=False)
def flag_page(request: Request, record_id: RowId) -> Response:
    require(request, REVIEWER)
    store = web_state(request).store
    with store.sessions() as session:
        found = reviews.flagged_queue(session, INFORMATIONAL_FLAGS, record_id=record_id).items
        if not found:
            raise Problem(404, "err_no_flags_waiting", record=record_id)
        evidence = reviews.evidence_of(session, [record_id])[record_id]
    view = record_view(store.profile.election_of(found[0].contest), found[0], evidence)
    return private_page(request, "review_flag.html", {"version": view})


@router.post("/review/flagged/{record_id}", include_in_schema=False)
def flag_decide(request: Request, record_id: RowId, note: FormText = "", csrf_token: FormText = "") -> Response:
    account = _acting_reviewer(request, csrf_token)
    state = web_state(request)
    decisions.review_flags(state.store, state.secret, account, record_id, note)
    return RedirectResponse(link(language(request), "/review"), status_code=303)


class FlagReview(BaseModel):
    note: str = Field(min_length=1, max_length=decisions.MAX_REASON)


@api.post("/flagged/{record_id}")
def flag_decide_api(request: Request, record_id: RowId, body: FlagReview) -> dict[str, Any]:
    """Record that the flags of an accepted acta were checked (it keeps counting)."""
    account = _acting_reviewer(request)
    state = web_state(request)
    return decisions.review_flags(state.store, state.secret, account, record_id, body.note).to_json()


router.include_router(api)
