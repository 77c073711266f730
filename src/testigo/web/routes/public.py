"""Public pages (no login): results, drill-down, map, mesa pages with image and proof, search, downloads.

Every page here is identical for every visitor and cacheable (see `render`);
none shows who uploaded a file or who took a decision.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from testigo.read import sniff
from testigo.store import reviews, users
from testigo.web.accounts import ADMIN, REVIEWER
from testigo.web.auth import visitor
from testigo.web.browse import area_page, contest_snapshot, coverage_map, state_map
from testigo.web.geo import maps_any_of
from testigo.web.i18n import Translator
from testigo.web.mesa import mesa_view, proof_for
from testigo.web.previews import BROWSER_IMAGES
from testigo.web.problems import Problem
from testigo.web.render import link, percent
from testigo.web.results import AREA_LEVELS, live_version
from testigo.web.state import WebState, web_state

router = APIRouter(include_in_schema=False)
_SHA256 = re.compile(r"[0-9a-f]{64}")


@router.get("/")
def national(request: Request, contest: str | None = None) -> Response:
    """The national results; `contest` picks one contest of a sheet that carries several (a Brazilian BU:
    its whole constituency), with a selector of every contest."""
    return _area(request, None, contest)


@router.get("/area/{area_id}")
def area(request: Request, area_id: str, contest: str | None = None) -> Response:
    return _area(request, area_id, contest)


def _area(request: Request, area_id: str | None, contest: str | None) -> Response:
    state = web_state(request)
    snapshot = contest_snapshot(state.results, contest)
    page = area_page(state.store, snapshot, area_id)
    if page is None:
        raise Problem(404, "err_no_area", area=area_id)

    def build(lang: str) -> tuple[str, dict[str, Any]]:
        t = Translator(lang)
        refresh = max(1, round(state.results.refresh_seconds + state.settings.public_max_age))
        context: dict[str, Any] = {"page": page, "map": None, "coverage_map": None, "refresh_seconds": refresh}
        if page.level == "country" and maps_any_of(snapshot.registry.areas):
            href = lambda sid: link(lang, f"/area/{sid}", contest=page.contest or None)  # noqa: E731 - used twice
            context["map"] = state_map(snapshot, page.candidates, href, t("map_title"))

            def label(name: str, share: float, covered: int, mesas: int) -> str:
                return t("coverage_map_label", name=name, share=percent(lang, share), covered=covered, total=mesas)

            context["coverage_map"] = coverage_map(snapshot, href, t("coverage_map_title"), label)
        return "area.html", context

    return state.pages.public(request, snapshot.version, build)


@router.get("/mesa/{mesa_id}")
def mesa(request: Request, mesa_id: str, contest: str | None = None) -> Response:
    """A mesa's page; `contest` picks one contest of a sheet that carries several (a Brazilian BU)."""
    state = web_state(request)
    state.results.current()  # the sections and contests other processes added, as of the latest refresh
    if mesa_id not in state.store.registry.mesas:
        raise Problem(404, "err_no_mesa", mesa=mesa_id)
    if contest is not None and contest not in state.store.profile.contests():
        raise Problem(404, "err_no_contest", contest=contest)

    def build(_lang: str) -> tuple[str, dict[str, Any]]:
        view = mesa_view(state.store, mesa_id, contest)
        seq = view.proof_seq if view else None
        return "mesa.html", {"view": view, "proof": proof_for(state.store, seq) if seq is not None else None}

    return state.pages.public(request, live_version(state.store), build)


@router.get("/search")
def search(request: Request, q: str = "") -> Response:
    state = web_state(request)
    geography = state.results.current().geography
    found = geography.search(q[:100])
    trails = {a.id: geography.trail(a.id)[:-1] for a in found.centers}
    context = {"query": q[:100], "found": found.centers, "mesas": found.mesas, "trails": trails}
    return state.pages.public(request, state.results.current().version, lambda _lang: ("search.html", context))


@router.get("/downloads")
def downloads(request: Request, contest: str | None = None) -> Response:
    """The open data of the results; `contest` picks one contest of a sheet that carries several."""
    state = web_state(request)
    snapshot = contest_snapshot(state.results, contest)
    context = {
        "levels": [*AREA_LEVELS, "mesa"],
        "contest": snapshot.contest,
        "contests": list(state.store.profile.contests().items()) if snapshot.contest else [],
        "query": f"contest={quote(snapshot.contest, safe='')}" if snapshot.contest else "",
    }
    return state.pages.public(request, snapshot.version, lambda _lang: ("downloads.html", context))


@router.get("/blobs/{sha256}/preview.jpg")
def blob_preview(request: Request, sha256: str) -> Response:
    """A phone-sized JPEG of a stored file, re-encoded from its pixels alone (public when it shows an acta).

    This is the only form in which the public sees an upload: the re-encoding
    drops EXIF, XMP and every other metadata block, which on a phone photo can
    hold the GPS position and the device's serial numbers, and so point at the
    witness who took it. The original's SHA-256 is published beside it, so
    anyone holding the original can check it is the same file.
    """
    state, public = _blob(request, sha256)
    if not public:
        _require_reviewer(request, hidden=True)
    data = state.previews.get(sha256)
    if data is None:
        raise Problem(404, "err_no_preview")
    cache = "public, max-age=31536000, immutable" if public else "private, no-store"
    return Response(data, media_type="image/jpeg", headers=blob_headers(cache))


@router.get("/blobs/{sha256}/full.jpg")
def blob_full(request: Request, sha256: str) -> Response:
    """The sheet at full resolution, re-encoded from its pixels alone, for reviewers and admins: what they read
    and zoom into. It carries none of the original's metadata."""
    state, public = _blob(request, sha256)
    _require_reviewer(request, hidden=not public)
    data = state.previews.full(sha256)
    if data is None:
        raise Problem(404, "err_no_preview")
    return Response(data, media_type="image/jpeg", headers=blob_headers("private, no-store"))


@router.get("/blobs/{sha256}")
def blob_original(request: Request, sha256: str) -> Response:
    """The original bytes, exactly as uploaded (their SHA-256 is the name), for admins only; each fetch recorded.

    An original keeps whatever metadata the phone wrote into it (GPS position,
    device serials): in Venezuela 2024 witnesses were persecuted, and one
    infiltrated reviewer fetching every original could have mapped them all.
    Reviewers read sheets from the full-resolution re-encode instead; an
    admin's fetch is recorded (who, when, which) and listed on /admin, before
    the bytes are sent.
    """
    state, public = _blob(request, sha256)
    _require_reviewer(request, hidden=not public)
    account = visitor(request).account
    assert account is not None
    if not account.may(ADMIN):
        raise Problem(403, "err_original_admins_only")
    with state.store.sessions.begin() as session:
        users.record_original_fetch(session, user_id=account.id, sha256=sha256)
    data = state.store.blobs.get(sha256)
    media_type = sniff(data) or "application/octet-stream"
    headers = blob_headers("private, no-store")
    if media_type not in BROWSER_IMAGES:
        headers["Content-Disposition"] = f'attachment; filename="{sha256}"'
        media_type = "application/octet-stream"
    return Response(data, media_type=media_type, headers=headers)


def _blob(request: Request, sha256: str) -> tuple[WebState, bool]:
    """The app's state and whether stored file `sha256` shows an acta of a public page; 404 for an unknown file."""
    state = web_state(request)
    if not _SHA256.fullmatch(sha256) or not state.store.blobs.has(sha256):
        raise Problem(404, "err_no_such_file")
    with state.store.reads() as session:
        return state, reviews.image_is_public(session, sha256)


def _require_reviewer(request: Request, *, hidden: bool) -> None:
    """Refuse anyone but a reviewer or admin; `hidden`: 404, so an unpublished file's existence is not confirmed."""
    account = visitor(request).account
    if account is not None and account.may(REVIEWER) and not account.blocked:
        return
    if hidden:
        raise Problem(404, "err_no_such_file")
    raise Problem(403, "err_original_reviewers_only")


def blob_headers(cache: str) -> dict[str, str]:
    # a file is data, never a document: no script may run in it even if a browser were fooled
    return {"Cache-Control": cache, "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox"}
