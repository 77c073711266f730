"""The admin's page: invite and revoke accounts, see upload activity, block or rate-limit an abusive account.

This is the one place that shows which account uploaded what; it needs the
admin role, and nothing here is ever cached.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

import testigo.web.accounts as accounts
import testigo.web.decisions as decisions
import testigo.web.measure as measure
from testigo.store import reviews, users
from testigo.store.submissions import now
from testigo.web.accounts import ADMIN, ROLES, Account
from testigo.web.auth import acting, private_page, require
from testigo.web.problems import Problem
from testigo.web.render import language, link
from testigo.web.state import web_state

router = APIRouter()
api = APIRouter(prefix="/api/v1/admin", tags=["admin"])

FormText = Annotated[str, Form()]


def _acting_admin(request: Request, csrf_token: str | None = None) -> Account:
    return acting(request, ADMIN, csrf_token)


def _invite(request: Request, admin: Account, role: str, note: str) -> str:
    """A new invitation; returns the link to hand to the person (shown once)."""
    state = web_state(request)
    token = accounts.invite(state.store, role, note=note, created_by=admin.id, days=state.settings.invitation_days)
    return f"{str(request.base_url).rstrip('/')}/invite/{token}"


def _revoke(request: Request, admin: Account, username: str) -> Account:
    if username.strip().lower() == admin.username:
        raise Problem(422, "err_revoke_self")
    store = web_state(request).store
    return accounts.revoke_account(store, username, by=admin)


def _activity(request: Request) -> dict[str, Any]:
    store = web_state(request).store
    found = accounts.list_accounts(store)
    with store.sessions() as session:
        return {
            "accounts": found,
            "names": {a.id: a.username for a in found},
            "invitations": users.open_invitations(session),
            "uploads": users.recent_uploads(session),
            "per_account": users.uploads_per_account(session, now() - timedelta(days=1)),
            "actions": users.admin_actions(session),
            "outcomes": users.outcomes_per_account(session, reviews.NOT_AN_ACTA),
            "dismissals": reviews.dismissals(session),
            "fetches": users.original_fetches(session),
        }


# --- pages ---------------------------------------------------------------------------------------------------------


@router.get("/admin", include_in_schema=False)
def admin_page(request: Request) -> Response:
    require(request, ADMIN)
    return _page(request, None)


def _page(request: Request, new_link: str | None) -> Response:
    context = {**_activity(request), "roles": ROLES, "new_link": new_link}
    return private_page(request, "admin.html", context)


@router.post("/admin/invitations", include_in_schema=False)
def invite_form(request: Request, role: FormText = "", note: FormText = "", csrf_token: FormText = "") -> Response:
    return _page(request, _invite(request, _acting_admin(request, csrf_token), role, note))


@router.post("/admin/invitations/{token_sha256}/revoke", include_in_schema=False)
def revoke_invitation_form(request: Request, token_sha256: str, csrf_token: FormText = "") -> Response:
    _acting_admin(request, csrf_token)
    with web_state(request).store.sessions.begin() as session:
        users.revoke_invitation(session, token_sha256)
    return RedirectResponse(link(language(request), "/admin"), status_code=303)


@router.post("/admin/users/{username}/revoke", include_in_schema=False)
def revoke_form(request: Request, username: str, csrf_token: FormText = "") -> Response:
    _revoke(request, _acting_admin(request, csrf_token), username)
    return RedirectResponse(link(language(request), "/admin"), status_code=303)


@router.post("/admin/dismissals/{decision_id}/undo", include_in_schema=False)
def undo_dismissal_form(request: Request, decision_id: str, csrf_token: FormText = "") -> Response:
    """Put a sheet a reviewer set aside as not an acta back in the unreadable queue."""
    admin = _acting_admin(request, csrf_token)
    if not decision_id.isdigit() or len(decision_id) > 10:
        raise Problem(404, "decision_no_dismissal", decision=decision_id)
    decisions.undo_dismissal(web_state(request).store, admin, int(decision_id))
    return RedirectResponse(link(language(request), "/admin") + "#not-an-acta", status_code=303)


@router.post("/admin/users/{username}/restrict", include_in_schema=False)
def restrict_form(
    request: Request, username: str, blocked: FormText = "", uploads_per_hour: FormText = "", csrf_token: FormText = ""
) -> Response:
    admin = _acting_admin(request, csrf_token)
    text = uploads_per_hour.strip()
    if text and not text.isdigit():
        raise Problem(422, "err_uploads_per_hour")
    accounts.restrict(
        web_state(request).store,
        username,
        blocked=bool(blocked),
        uploads_per_hour=int(text) if text else None,
        by=admin,
    )
    return RedirectResponse(link(language(request), "/admin"), status_code=303)


@router.get("/admin/reviewers", include_in_schema=False)
def reviewers_page(request: Request) -> Response:
    """Each reviewer measured on known sheets, the settings of the measurement, and reinstatement."""
    require(request, ADMIN)
    store = web_state(request).store
    context = {"scores": measure.scores(store), "rules": measure.settings(store), "max_rate": measure.MAX_RATE}
    return private_page(request, "admin_reviewers.html", context)


@router.post("/admin/reviewers/settings", include_in_schema=False)
def measure_settings_form(
    request: Request,
    rate_percent: FormText = "",
    min_accuracy_percent: FormText = "",
    min_sheets: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """The share of known sheets and the threshold, typed as percentages."""
    admin = _acting_admin(request, csrf_token)
    try:
        wanted = measure.MeasureSettings(float(rate_percent) / 100, float(min_accuracy_percent) / 100, int(min_sheets))
    except ValueError:
        raise Problem(422, "measure_bad_numbers") from None
    measure.save_settings(web_state(request).store, admin, wanted)
    return RedirectResponse(link(language(request), "/admin/reviewers"), status_code=303)


@router.post("/admin/reviewers/{username}/reinstate", include_in_schema=False)
def reinstate_form(request: Request, username: str, csrf_token: FormText = "") -> Response:
    measure.reinstate(web_state(request).store, _acting_admin(request, csrf_token), username)
    return RedirectResponse(link(language(request), "/admin/reviewers"), status_code=303)


@router.post("/admin/known-sheets", include_in_schema=False)
def confirm_known_form(request: Request, item_id: FormText = "", csrf_token: FormText = "") -> Response:
    """Confirm the figures of a sheet typed by hand, so it may serve as a known sheet."""
    admin = _acting_admin(request, csrf_token)
    text = item_id.strip()
    if not text.isdigit() or len(text) > 10:
        raise Problem(404, "measure_not_typed", item=text)
    measure.confirm_known(web_state(request).store, admin, int(text))
    return RedirectResponse(link(language(request), "/admin/reviewers"), status_code=303)


# --- the same as JSON ----------------------------------------------------------------------------------------------


def _account_json(account: Account) -> dict[str, Any]:
    return {
        "username": account.username,
        "role": account.role,
        "blocked": account.blocked,
        "uploads_per_hour": account.uploads_per_hour,
        "created_at": account.created_at.isoformat(),
        "revoked": account.revoked_at is not None,
    }


@api.get("/users")
def users_api(request: Request) -> dict[str, Any]:
    """Every account with its role and restrictions."""
    require(request, ADMIN)
    return {"users": [_account_json(a) for a in accounts.list_accounts(web_state(request).store)]}


class Invitation(BaseModel):
    role: str = Field(description=f"one of {', '.join(ROLES)}")
    note: str = Field("", max_length=200, description="who it is for (seen by admins only)")


@api.post("/invitations")
def invite_api(request: Request, body: Invitation) -> dict[str, str]:
    """Create a single-use invitation; the link is returned once."""
    return {"url": _invite(request, _acting_admin(request), body.role, body.note)}


@api.post("/users/{username}/revoke")
def revoke_api(request: Request, username: str) -> dict[str, Any]:
    """Revoke an account: its sessions and API tokens stop working at once."""
    return _account_json(_revoke(request, _acting_admin(request), username))


class Restriction(BaseModel):
    blocked: bool = False
    uploads_per_hour: int | None = Field(None, ge=0, description="this account's own limit; null: the default")


@api.post("/users/{username}/restrict")
def restrict_api(request: Request, username: str, body: Restriction) -> dict[str, Any]:
    """Block or unblock an account, and set or clear its own upload rate limit."""
    admin = _acting_admin(request)
    account = accounts.restrict(
        web_state(request).store,
        username,
        blocked=body.blocked,
        uploads_per_hour=body.uploads_per_hour,
        by=admin,
    )
    return _account_json(account)


@api.get("/uploads")
def uploads_api(request: Request) -> dict[str, Any]:
    """The latest web uploads with the account that sent each, and uploads per account over the last day."""
    require(request, ADMIN)
    found = _activity(request)
    return {
        "uploads": [
            {
                "submitted_at": u.submitted_at.isoformat(),
                "username": u.username,
                "file": u.file,
                "sha256": u.sha256,
                "state": u.state,
                "status": u.status,
                "mesa": u.mesa,
            }
            for u in found["uploads"]
        ],
        "per_account": found["per_account"],
    }


@api.get("/original-fetches")
def original_fetches_api(request: Request) -> dict[str, Any]:
    """The latest fetches of original files (which may hold a witness's GPS position): who, when, which."""
    require(request, ADMIN)
    return {
        "fetches": [
            {"username": f.username, "sha256": f.sha256, "at": f.at.isoformat()} for f in _activity(request)["fetches"]
        ]
    }


@api.get("/accounts/outcomes")
def outcomes_api(request: Request) -> dict[str, Any]:
    """Per account, its web uploads and how many were accepted, unusable or set aside as not an acta."""
    require(request, ADMIN)
    return {
        "accounts": [
            {
                "username": o.username,
                "uploads": o.uploads,
                "accepted": o.accepted,
                "unusable": o.unusable,
                "not_an_acta": o.not_an_acta,
                "junk_share": round(o.junk_share, 4),
                "mostly_junk": o.mostly_junk,
            }
            for o in _activity(request)["outcomes"]
        ]
    }


@api.get("/actions")
def actions_api(request: Request) -> dict[str, Any]:
    """The latest admin actions on accounts (block, unblock, rate limit, revoke): who took each, when, on whom."""
    require(request, ADMIN)
    return {
        "actions": [
            {"action": a.action, "admin": a.admin, "username": a.username, "detail": a.detail, "at": a.at.isoformat()}
            for a in _activity(request)["actions"]
        ]
    }


@api.get("/reviewers")
def reviewers_api(request: Request) -> dict[str, Any]:
    """Each reviewer measured on known sheets (admins only; never published): accuracy, its upper bound, speed,
    disagreements on ordinary sheets, and whether their entries count; with the measurement's settings."""
    require(request, ADMIN)
    store = web_state(request).store
    return {
        "settings": measure.settings(store).to_json(),
        "reviewers": [score.to_json() for score in measure.scores(store)],
    }


class MeasureSettingsBody(BaseModel):
    rate: float = Field(ge=0, le=measure.MAX_RATE, description="the share of handed-out sheets that are known sheets")
    min_accuracy: float = Field(
        gt=0, le=1, description="below this accuracy (its upper bound) a reviewer stops counting"
    )
    min_sheets: int = Field(ge=1, description="known sheets a reviewer types before being judged")


@api.post("/reviewers/settings")
def measure_settings_api(request: Request, body: MeasureSettingsBody) -> dict[str, Any]:
    """Set how reviewers are measured (recorded as an admin action)."""
    admin = _acting_admin(request)
    wanted = measure.MeasureSettings(body.rate, body.min_accuracy, body.min_sheets)
    return measure.save_settings(web_state(request).store, admin, wanted).to_json()


@api.post("/reviewers/{username}/reinstate")
def reinstate_api(request: Request, username: str) -> dict[str, Any]:
    """Let a reviewer benched by their accuracy count again after re-checking them (recorded as an admin action);
    from now on only the known sheets they type judge them."""
    reviewer = measure.reinstate(web_state(request).store, _acting_admin(request), username)
    return {"username": reviewer.username, "reinstated": True}


@api.post("/known-sheets/{item_id}")
def confirm_known_api(request: Request, item_id: Annotated[int, Path(ge=0, le=2**31 - 1)]) -> dict[str, Any]:
    """Confirm the figures of a sheet typed by hand (settled into an accepted record), so it may be handed to
    reviewers as a known sheet."""
    measure.confirm_known(web_state(request).store, _acting_admin(request), item_id)
    return {"item_id": item_id, "known": True}


router.include_router(api)
