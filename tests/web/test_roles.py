"""Who may do what: every role boundary, revocation, blocking, CSRF, and the login and invitation flows."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from testigo.store.workspace import Store
from testigo.web import accounts
from tests.conftest import small_mesas
from tests.web.conftest import PASSWORD, acta_png, add_account, csrf_of, log_in

REVIEW_POSTS = [
    ("/api/v1/review/conflicts/010101001.01", {"record_id": 1, "reason": "x"}),
    ("/api/v1/review/unreadable/1", {"mesa": "010101001.01", "counts": [0] * 38, "null_votes": 0}),
    ("/api/v1/review/flagged/1", {"note": "x"}),
]
ADMIN_POSTS = [
    ("/api/v1/admin/invitations", {"role": "volunteer"}),
    ("/api/v1/admin/users/somebody/revoke", {}),
    ("/api/v1/admin/users/somebody/restrict", {"blocked": True}),
]


def _upload(client: TestClient, csrf: str | None = None, **headers: str) -> int:
    if csrf:
        headers["X-CSRF-Token"] = csrf
    files = {"file": ("acta.png", acta_png(small_mesas(1)[0]), "image/png")}
    return client.post("/api/v1/uploads", files=files, headers=headers).status_code


def test_anonymous_can_read_but_not_upload_review_or_administer(client: TestClient) -> None:
    assert client.get("/api/v1/results").status_code == 200
    assert _upload(client) == 401
    assert client.get("/api/v1/review/queue").status_code == 401
    assert client.get("/api/v1/admin/users").status_code == 401
    for path in ("/upload", "/review", "/admin", "/account"):
        page = client.get(path, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == f"/login?next={quote(path, safe='')}"


def test_a_volunteer_uploads_but_cannot_review_or_administer(client: TestClient, web_store: Store) -> None:
    csrf = log_in(client, web_store, "vol", accounts.VOLUNTEER)
    assert _upload(client, csrf) == 201
    assert client.get("/api/v1/review/queue").status_code == 403
    assert client.get("/review").status_code == 403
    for path, body in REVIEW_POSTS + ADMIN_POSTS:
        assert client.post(path, json=body, headers={"X-CSRF-Token": csrf}).status_code == 403, path
    assert client.get("/api/v1/admin/uploads").status_code == 403


def test_a_reviewer_reviews_but_cannot_administer(client: TestClient, web_store: Store) -> None:
    csrf = log_in(client, web_store, "rev", accounts.REVIEWER)
    assert client.get("/api/v1/review/queue").status_code == 200
    assert client.get("/review").status_code == 200
    for path, body in ADMIN_POSTS:
        assert client.post(path, json=body, headers={"X-CSRF-Token": csrf}).status_code == 403, path
    assert client.get("/admin").status_code == 403


def test_an_admin_invites_and_the_invited_person_gets_that_role(
    make_client: Callable[..., TestClient], web_store: Store
) -> None:
    admin = make_client()
    csrf = log_in(admin, web_store, "boss", accounts.ADMIN)
    url = admin.post(
        "/api/v1/admin/invitations", json={"role": "reviewer", "note": "Ana"}, headers={"X-CSRF-Token": csrf}
    ).json()["url"]
    path = url.removeprefix("https://testserver")
    newcomer = make_client()
    page = newcomer.get(path)
    assert page.status_code == 200 and "revisor" in page.text
    created = newcomer.post(
        path, data={"username": "ana", "password": PASSWORD, "csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert created.status_code == 303
    assert newcomer.get("/api/v1/review/queue").status_code == 200  # logged in, as a reviewer
    assert make_client().get(path).status_code == 404  # single use
    users = {u["username"]: u for u in admin.get("/api/v1/admin/users").json()["users"]}
    assert users["ana"]["role"] == "reviewer"


def test_a_revoked_account_is_refused_at_once_on_every_session_and_token(
    make_client: Callable[..., TestClient], web_store: Store
) -> None:
    admin, volunteer = make_client(), make_client()
    admin_csrf = log_in(admin, web_store, "boss", accounts.ADMIN)
    csrf = log_in(volunteer, web_store, "vol", accounts.VOLUNTEER)
    token = accounts.create_api_token(web_store, accounts.find_account(web_store, "vol"), "script")
    bearer = {"Authorization": f"Bearer {token}"}
    assert _upload(make_client(), **bearer) == 201
    revoked = admin.post("/api/v1/admin/users/vol/revoke", headers={"X-CSRF-Token": admin_csrf})
    assert revoked.status_code == 200 and revoked.json()["revoked"]
    assert _upload(volunteer, csrf) == 401
    assert _upload(make_client(), **bearer) == 401
    login = make_client()
    page = login.get("/login")
    refused = login.post("/login", data={"username": "vol", "password": PASSWORD, "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 401
    assert admin.post("/api/v1/admin/users/boss/revoke", headers={"X-CSRF-Token": admin_csrf}).status_code == 422


def test_a_blocked_account_cannot_upload_until_unblocked(
    make_client: Callable[..., TestClient], web_store: Store
) -> None:
    admin, volunteer = make_client(), make_client()
    admin_csrf = log_in(admin, web_store, "boss", accounts.ADMIN)
    csrf = log_in(volunteer, web_store, "vol", accounts.VOLUNTEER)
    admin.post("/api/v1/admin/users/vol/restrict", json={"blocked": True}, headers={"X-CSRF-Token": admin_csrf})
    assert _upload(volunteer, csrf) == 403
    admin.post("/api/v1/admin/users/vol/restrict", json={"blocked": False}, headers={"X-CSRF-Token": admin_csrf})
    assert _upload(volunteer, csrf) == 201


def test_an_admin_lowers_one_accounts_upload_limit(make_client: Callable[..., TestClient], web_store: Store) -> None:
    admin, volunteer = make_client(), make_client()
    admin_csrf = log_in(admin, web_store, "boss", accounts.ADMIN)
    csrf = log_in(volunteer, web_store, "vol", accounts.VOLUNTEER)
    admin.post("/api/v1/admin/users/vol/restrict", json={"uploads_per_hour": 6}, headers={"X-CSRF-Token": admin_csrf})
    codes = [_upload(volunteer, csrf) for _ in range(3)]
    assert codes[0] in (200, 201) and codes[-1] == 429  # a burst of 6/6 = 1 upload, then wait
    again = volunteer.post(
        "/api/v1/uploads", files={"file": ("a.png", b"x", "image/png")}, headers={"X-CSRF-Token": csrf}
    )
    assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("presented", [None, "0" * 64])
def test_cookie_requests_that_change_anything_need_the_csrf_token(
    client: TestClient, web_store: Store, presented: str | None
) -> None:
    log_in(client, web_store, "boss", accounts.ADMIN)
    headers = {"X-CSRF-Token": presented} if presented else {}
    assert _upload(client, **headers) == 403
    assert client.post("/api/v1/admin/invitations", json={"role": "admin"}, headers=headers).status_code == 403
    form = client.post("/admin/invitations", data={"role": "admin", **({"csrf_token": presented} if presented else {})})
    assert form.status_code == 403
    assert client.post("/logout", follow_redirects=False).status_code == 403


def test_the_login_form_itself_is_csrf_protected_and_failures_are_rate_limited(
    client: TestClient, web_store: Store
) -> None:
    add_account(web_store, "vol", accounts.VOLUNTEER)
    assert client.post("/login", data={"username": "vol", "password": PASSWORD}).status_code == 403
    csrf = csrf_of(client.get("/login").text)
    codes = [
        client.post("/login", data={"username": "vol", "password": "wrong", "csrf_token": csrf}).status_code
        for _ in range(12)
    ]
    assert codes[0] == 401 and codes[-1] == 429


def test_logging_out_ends_the_session_on_the_server(client: TestClient, web_store: Store) -> None:
    csrf = log_in(client, web_store, "vol", accounts.VOLUNTEER)
    cookie = client.cookies.get("testigo_session")
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("testigo_session", cookie or "", domain="testserver")
    assert client.get("/upload", follow_redirects=False).status_code == 303  # the old cookie no longer works


def test_login_cookies_are_http_only_secure_and_same_site(client: TestClient, web_store: Store) -> None:
    add_account(web_store, "vol", accounts.VOLUNTEER)
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "vol", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie


def test_the_login_redirect_never_leaves_the_site(client: TestClient, web_store: Store) -> None:
    add_account(web_store, "vol", accounts.VOLUNTEER)
    csrf = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "vol", "password": PASSWORD, "csrf_token": csrf, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/upload"


def test_admin_actions_record_who_and_when_and_the_admin_page_shows_them(
    make_client: Callable[..., TestClient], web_store: Store
) -> None:
    admin = make_client()
    csrf = log_in(admin, web_store, "boss", accounts.ADMIN)
    for name in ("vol", "spammer"):
        add_account(web_store, name, accounts.VOLUNTEER)
    headers = {"X-CSRF-Token": csrf}
    admin.post("/api/v1/admin/users/vol/restrict", json={"blocked": True}, headers=headers)
    admin.post("/api/v1/admin/users/vol/restrict", json={"blocked": True, "uploads_per_hour": 6}, headers=headers)
    admin.post("/api/v1/admin/users/spammer/revoke", headers=headers)
    actions = admin.get("/api/v1/admin/actions").json()["actions"]
    assert [(a["action"], a["username"], a["admin"], a["detail"]) for a in actions] == [
        ("revoke", "spammer", "boss", None),
        ("rate_limit", "vol", "boss", "6"),
        ("block", "vol", "boss", None),
    ]
    assert all(a["at"] for a in actions)
    page = admin.get("/admin").text
    assert 'id="admin-actions"' in page and "revocada" in page and "bloqueada" in page
    assert "límite de envíos cambiado por boss" in page  # vol's line shows the latest action on it
