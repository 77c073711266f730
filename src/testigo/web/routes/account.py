"""Logging in and out, accepting an invitation, and one's own API tokens.

Throttling logins without handing attackers a weapon: a lockout per account
name, counted from every address, let anyone who knew a reviewer's name keep
them out on election night with ten wrong passwords a minute. So failures are
counted where they come from (OWASP's "device cookies"):

- every attempt from one address spends from that address's bucket (it caps
  the Argon2 work one address can cause, and spraying many accounts);
- a browser that logged in to the account before (its random visitor cookie
  is remembered for the account: `known_devices`) has a bucket of its own for
  that account, and is held by nothing else — the account holder gets in
  whatever an attacker does elsewhere;
- every other browser shares one bucket of failures per account, whatever
  its address: a distributed guesser gets ``login_attempts_per_minute``
  guesses a minute in all, as before. A person on a new phone while the
  account is under attack waits like the attacker: said on the login form.

Only failures spend from the account buckets; a right password never does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

import testigo.web.accounts as accounts
from testigo.store import users
from testigo.web.accounts import VOLUNTEER, Account, AccountError
from testigo.web.auth import (
    SESSION_COOKIE,
    VISITOR_COOKIE,
    check_csrf,
    client_ip,
    private_page,
    rate_limit,
    require,
    set_cookie,
    visitor,
)
from testigo.web.keys import token_hash
from testigo.web.problems import Problem
from testigo.web.render import language, link
from testigo.web.state import web_state

router = APIRouter(include_in_schema=False)

Field = Annotated[str, Form()]


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never ``//evil.example``), so the login form is no open redirect."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/upload"


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query parameter's name
    return private_page(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    username: Field = "",
    password: Field = "",
    next: Field = "",
    csrf_token: Field = "",  # noqa: A002
) -> Response:
    check_csrf(request, csrf_token)
    state = web_state(request)
    per_minute = state.settings.login_attempts_per_minute
    name = username.strip().lower()
    device = request.cookies.get(VISITOR_COOKIE) or ""
    if accounts.is_known_device(state.store, name, device):
        failures = [f"login-device:{name}:{token_hash(device)}"]
    else:
        rate_limit(request, f"login-ip:{client_ip(request)}", per_minute)
        failures = [f"login-user:{name}"]
    for key in failures:
        rate_limit(request, key, per_minute, spend=False)
    account = accounts.authenticate(state.store, username, password)
    if account is None:
        for key in failures:
            state.limiter.allow(key, per_minute)  # only a wrong password spends from the account's buckets
        return private_page(request, "login.html", {"next": _safe_next(next), "error": "login_failed"}, 401)
    accounts.remember_device(state.store, account, device)
    return _start_session(request, account, link(language(request), _safe_next(next)))


def _start_session(request: Request, account: Account, target: str) -> Response:
    state = web_state(request)
    token = accounts.open_session(state.store, account, state.settings.session_days)
    response = RedirectResponse(target, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token, max_age=state.settings.session_days * 86400)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Field = "", forget_device: Field = "") -> Response:
    """End the session; the browser is told to forget the site's caches and storage, and with `forget_device`
    ("clear this phone") its cookies too, the visitor cookie that marks it as a known device included."""
    check_csrf(request, csrf_token)
    found = visitor(request)
    if found.account is not None and found.via == users.SESSION:
        accounts.revoke_token(web_state(request).store, found.account, token_hash(found.binding))
    response = RedirectResponse(link(language(request), "/"), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    # the browser forgets the account too: its cached pages (which name it), the offline upload page, the upload
    # queues and the service worker. The page's script (phone.js) has already offered to send unsent photos.
    response.headers["Clear-Site-Data"] = '"cache", "storage"' + (', "cookies"' if forget_device else "")
    if forget_device:
        response.delete_cookie(VISITOR_COOKIE, path="/")
    return response


@router.get("/invite/{token}")
def invitation_page(request: Request, token: str) -> Response:
    state = web_state(request)
    rate_limit(request, f"invite-ip:{client_ip(request)}", state.settings.login_attempts_per_minute)
    role = accounts.invitation_role(state.store, token)
    if role is None:
        raise Problem(404, "account_invitation_unusable")
    return private_page(request, "invite.html", {"token": token, "role": role, "error": None})


@router.post("/invite/{token}")
def accept_invitation(
    request: Request, token: str, username: Field = "", password: Field = "", csrf_token: Field = ""
) -> Response:
    check_csrf(request, csrf_token)
    state = web_state(request)
    rate_limit(request, f"invite-ip:{client_ip(request)}", state.settings.login_attempts_per_minute)
    try:
        account = accounts.accept_invitation(state.store, token, username, password)
    except AccountError as error:
        role = accounts.invitation_role(state.store, token)
        if role is None:  # no form to show again: the invitation's page is gone (404), with the reason
            error.status_code = 404
            raise
        why = error.message.text(language(request))
        return private_page(request, "invite.html", {"token": token, "role": role, "error": why}, 422)
    return _start_session(request, account, link(language(request), "/upload"))


@router.get("/account")
def account_page(request: Request) -> Response:
    return _account_page(request, require(request, VOLUNTEER), None)


@router.post("/account/tokens")
def create_token(request: Request, label: Field = "", csrf_token: Field = "") -> Response:
    check_csrf(request, csrf_token)
    account = require(request, VOLUNTEER)
    return _account_page(request, account, accounts.create_api_token(web_state(request).store, account, label))


@router.post("/account/tokens/revoke")
def revoke_token(request: Request, token_sha256: Field = "", csrf_token: Field = "") -> Response:
    check_csrf(request, csrf_token)
    accounts.revoke_token(web_state(request).store, require(request, VOLUNTEER), token_sha256)
    return RedirectResponse(link(language(request), "/account"), status_code=303)


def _account_page(request: Request, account: Account, new_token: str | None) -> Response:
    """One's API tokens; a token just created is shown this once (only its hash is kept)."""
    state = web_state(request)
    with state.store.sessions() as session:
        tokens = users.api_tokens_of(session, account.id)
    return private_page(request, "account.html", {"tokens": tokens, "new_token": new_token})
