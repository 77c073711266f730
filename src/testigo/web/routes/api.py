"""The public JSON API under /api/v1: results, areas, mesas with proofs, search, downloads, the log head.

Every answer carries an ETag (the data version) and a short public max-age,
like the public pages, so clients and proxies revalidate cheaply.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from testigo.domain import LEVELS
from testigo.publish.layout import contest_folder
from testigo.store import ledger as log_table
from testigo.tally.export import write_csv
from testigo.web.browse import area_page, contest_snapshot
from testigo.web.mesa import mesa_view, proof_for
from testigo.web.problems import Problem
from testigo.web.results import live_version
from testigo.web.state import web_state

router = APIRouter(prefix="/api/v1", tags=["public"])


def cached(request: Request, version: int | str, build: Callable[[], tuple[bytes, str]], name: str = "") -> Response:
    """The answer of `build()` (body, media type) for this data version, cacheable and revalidated by ETag."""
    return web_state(request).pages.answer(request, version, build, download=name)


def as_json(data: Any) -> tuple[bytes, str]:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), "application/json"


@router.get("/contests")
def contests(request: Request) -> Response:
    """The contests of the sheets (key and name): one, ``""``, for a one-contest format; for Brazil's boletins one
    per office, constituency and round, each a ``contest`` of /results."""
    state = web_state(request)
    state.results.current()  # the contests other processes' uploads added are taken in with each refresh
    store = state.store
    listed = [{"key": key, "name": name} for key, name in store.profile.contests().items()]
    return cached(request, live_version(store), lambda: as_json({"contests": listed}))


@router.get("/results")
def results(request: Request, level: str = "country", contest: str | None = None) -> Response:
    """Votes, shares and coverage at a level (country, state, municipality, parish, center or mesa); `contest`
    picks one contest of a sheet that carries several (see /contests), counted against its constituency."""
    if level not in LEVELS:
        raise Problem(422, "err_unknown_level", level=level, levels=", ".join(LEVELS))
    snapshot = contest_snapshot(web_state(request).results, contest)
    return cached(
        request,
        snapshot.version,
        lambda: as_json((snapshot.mesas if level == "mesa" else snapshot.totals[level]).to_json()),
    )


@router.get("/areas")
def national_area(request: Request, contest: str | None = None) -> Response:
    """The country: totals, coverage and each state with its figures; `contest` picks one contest of a sheet
    that carries several (see /contests: its whole constituency)."""
    return _area(request, None, contest)


@router.get("/areas/{area_id}")
def area(request: Request, area_id: str, contest: str | None = None) -> Response:
    """An area (state, municipality, parish or center): totals and each sub-area or mesa with its figures;
    `contest` as for /areas."""
    return _area(request, area_id, contest)


def _area(request: Request, area_id: str | None, contest: str | None) -> Response:
    state = web_state(request)
    snapshot = contest_snapshot(state.results, contest)

    def build() -> tuple[bytes, str]:
        page = area_page(state.store, snapshot, area_id)
        if page is None:
            raise Problem(404, "err_no_area", area=area_id)
        return as_json(page.to_json())

    return cached(request, snapshot.version, build)


@router.get("/mesas/{mesa_id}")
def mesa(request: Request, mesa_id: str, contest: str | None = None) -> Response:
    """A mesa: its accepted acta (38 cards), other versions, the files behind them and reviewer decisions;
    on a sheet of several contests (a Brazilian BU), those of `contest` (default: the mesa's first)."""
    state = web_state(request)
    state.results.current()  # the sections and contests other processes added, as of the latest refresh
    if contest is not None and contest not in state.store.profile.contests():
        raise Problem(404, "err_no_contest", contest=contest)

    def build() -> tuple[bytes, str]:
        view = mesa_view(state.store, mesa_id, contest)
        if view is None:
            raise Problem(404, "err_no_mesa", mesa=mesa_id)
        return as_json(view.to_json())

    return cached(request, live_version(state.store), build)


@router.get("/mesas/{mesa_id}/proof")
def mesa_proof(request: Request, mesa_id: str) -> Response:
    """Inclusion proof (RFC 9162) of the entry that made the mesa's acta count, against the latest signed checkpoint."""
    state = web_state(request)

    def build() -> tuple[bytes, str]:
        view = mesa_view(state.store, mesa_id)
        if view is None or view.proof_seq is None:
            raise Problem(404, "err_no_accepted_acta", mesa=mesa_id)
        found = proof_for(state.store, view.proof_seq)
        if found is None:
            raise Problem(404, "err_proof_pending")
        proof, note = found
        return as_json({**proof.to_json(), "checkpoint": note, "verifier_key": str(state.store.signer.verifier)})

    return cached(request, live_version(state.store), build)


@router.get("/search")
def search(request: Request, q: str = "") -> Response:
    """Voting centers whose code starts with `q` (its leading zero may be dropped) or whose name contains every
    word of `q`; a mesa id or acta id in `q` also gives the mesa."""
    state = web_state(request)
    geography = state.results.current().geography

    def build() -> tuple[bytes, str]:
        found = geography.search(q[:100])
        return as_json(
            {
                "query": q[:100],
                "centers": [
                    {
                        "id": a.id,
                        "name": a.name,
                        "areas": [{"id": t.id, "name": t.name} for t in geography.trail(a.id)[:-1]],
                    }
                    for a in found.centers
                ],
                "mesas": [{"id": m.id, "number": m.number, "center": m.center_id} for m in found.mesas],
            }
        )

    return cached(request, "registry", build)


@router.get("/downloads/{level}.csv")
def download_csv(request: Request, level: str, contest: str | None = None) -> Response:
    """The tally at a level as CSV (at mesa level with the per-card counts); `contest` as for /results."""
    if level not in LEVELS:
        raise Problem(404, "err_unknown_level", level=level, levels=", ".join(LEVELS))

    snapshot = contest_snapshot(web_state(request).results, contest)

    def build() -> tuple[bytes, str]:
        out = io.StringIO()
        write_csv(snapshot.mesas if level == "mesa" else snapshot.totals[level], out)
        return out.getvalue().encode("utf-8"), "text/csv; charset=utf-8"

    name = f"testigo-{level}-{contest_folder(snapshot.contest)}.csv" if snapshot.contest else f"testigo-{level}.csv"
    return cached(request, snapshot.version, build, name=name)


@router.get("/log/checkpoint")
def log_checkpoint(request: Request) -> Response:
    """The latest signed checkpoint of the tamper-evident log (C2SP signed note) and the key that verifies it."""
    state = web_state(request)

    def build() -> tuple[bytes, str]:
        with state.store.sessions() as session:
            latest = log_table.latest_checkpoint(session)
        if latest is None:
            raise Problem(404, "err_no_checkpoint")
        return as_json(
            {
                "size": latest.size,
                "root_hash": latest.root_hash,
                "note": latest.note,
                "verifier_key": str(state.store.signer.verifier),
            }
        )

    return cached(request, live_version(state.store), build)
