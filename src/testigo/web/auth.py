"""Who is asking, what they may do, and the checks every state-changing request passes.

Two ways in: a session cookie (browsers) or ``Authorization: Bearer <API
token>`` (scripts, bulk uploaders). A request authenticated by cookie that
changes anything must carry the CSRF token of its session (a form field or the
``X-CSRF-Token`` header): another site can make a browser send the cookie, but
cannot read the token. Bearer requests need no CSRF token, since a browser
never adds that header on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.responses import Response

from testigo.store.users import API, SESSION
from testigo.web.accounts import Account, account_for
from testigo.web.keys import csrf_token, csrf_valid, new_token
from testigo.web.problems import Problem
from testigo.web.state import web_state

SESSION_COOKIE = "testigo_session"
#: A random per-browser value that anonymous forms (login, invitation) bind their CSRF token to.
VISITOR_COOKIE = "testigo_visitor"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


class LoginRequired(Problem):
    """An anonymous request for something that needs an account.

    A `Problem` of 401 with ``WWW-Authenticate: Bearer``, which is the API's
    answer; the app's error handler answers a page instead with a redirect to
    the login form, which comes back to the page afterwards.
    """

    def __init__(self) -> None:
        super().__init__(401, "err_login_required", headers={"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True)
class Visitor:
    """The account behind a request (None: anonymous) and what its CSRF token is bound to."""

    account: Account | None
    via: str | None  # "session" | "token" | None
    binding: str


def visitor(request: Request) -> Visitor:
    """Authenticate the request once (a FastAPI dependency; sync, so it runs in the thread pool)."""
    cached = getattr(request.state, "visitor", None)
    if isinstance(cached, Visitor):
        return cached
    state = web_state(request)
    found = Visitor(None, None, request.cookies.get(VISITOR_COOKIE) or "")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        account = account_for(state.store, token, API) if token else None
        if account is None:
            raise Problem(401, "err_bad_token", headers={"WWW-Authenticate": "Bearer"})
        found = Visitor(account, "token", token)
    elif (session := request.cookies.get(SESSION_COOKIE)) is not None:
        account = account_for(state.store, session, SESSION)
        if account is not None:
            found = Visitor(account, "session", session)
    request.state.visitor = found
    return found


def without_credentials(request: Request) -> None:
    """Treat the request as anonymous from here on if its credentials are refused (a bad API token).

    For the error page that answers that refusal: it renders for a visitor,
    and authenticating the same token again would raise inside the handler.
    """
    try:
        visitor(request)
    except Problem:
        request.state.visitor = Visitor(None, None, request.cookies.get(VISITOR_COOKIE) or "")


def require(request: Request, role: str) -> Account:
    """The account of the request if it has at least `role`; 401 anonymous, 403 otherwise or if blocked."""
    account = visitor(request).account
    if account is None:
        raise LoginRequired()
    if not account.may(role):
        raise Problem(403, f"err_needs_{role}")
    if account.blocked:
        raise Problem(403, "err_blocked")
    return account


def check_csrf(request: Request, presented: str | None = None) -> None:
    """Refuse a cookie-authenticated (or anonymous) state change without the right CSRF token.

    The token comes from the ``X-CSRF-Token`` header (scripts) or, for plain
    HTML forms, from their ``csrf_token`` field, passed as `presented`.
    """
    found = visitor(request)
    if found.via == "token":
        return
    presented = request.headers.get(CSRF_HEADER) or presented
    if not found.binding or not csrf_valid(web_state(request).secret, found.binding, presented):
        raise Problem(403, "err_csrf")


def private_page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A page for one visitor: with their account and a CSRF token for its forms, never cached.

    An anonymous visitor without the visitor cookie gets one with the page, so
    that the token of its forms (login, invitation) is bound to this browser.
    """
    found = visitor(request)
    binding = found.binding or new_token()
    state = web_state(request)
    response = state.pages.private(
        request, template, context, status_code, account=found.account, csrf=csrf_token(state.secret, binding)
    )
    if not found.binding:
        set_cookie(request, response, VISITOR_COOKIE, binding)
    return response


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """Set an HttpOnly, SameSite=Lax cookie, Secure whenever the site is served over https."""
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure_cookies(request), path="/"
    )


def secure_cookies(request: Request) -> bool:
    setting = web_state(request).settings.secure_cookies
    return request.url.scheme == "https" if setting is None else setting


def client_ip(request: Request) -> str:
    """The peer address (behind a reverse proxy, run uvicorn with --proxy-headers so this is the real client)."""
    return request.client.host if request.client else "unknown"


def acting(request: Request, role: str, csrf_token: str | None = None) -> Account:
    """The account taking a decision: CSRF-checked, at least `role`, rate-limited per account."""
    check_csrf(request, csrf_token)
    account = require(request, role)
    rate_limit(request, f"action:{account.id}", web_state(request).settings.actions_per_minute)
    return account


def rate_limit(
    request: Request, key: str, per_minute: float, burst: float | None = None, *, spend: bool = True
) -> None:
    """Spend one request of the bucket `key` (or only check it has one); 429 with Retry-After when it is empty."""
    wait = web_state(request).limiter.allow(key, per_minute, burst, spend=spend)
    if wait is not None:
        raise Problem(429, "err_rate_limited", headers={"Retry-After": str(max(1, round(wait)))})
