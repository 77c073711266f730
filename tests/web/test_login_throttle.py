"""Throttle the attacker, not the account holder: wrong passwords elsewhere never lock a known browser out."""

from __future__ import annotations

from fastapi.testclient import TestClient

from testigo.store.workspace import Store
from testigo.web import accounts
from tests.web.conftest import PASSWORD, add_account, csrf_of


def _client(client: TestClient, address: str) -> TestClient:
    """Another browser (its own cookies) on another address, against the same app."""
    return TestClient(client.app, base_url="https://testserver", client=(address, 40000))


def _try(browser: TestClient, username: str, password: str) -> int:
    token = csrf_of(browser.get("/login").text)
    form = {"username": username, "password": password, "csrf_token": token}
    return browser.post("/login", data=form, follow_redirects=False).status_code


def test_an_attacker_is_throttled_and_the_account_holder_still_gets_in(client: TestClient, web_store: Store) -> None:
    add_account(web_store, "rita", accounts.REVIEWER)
    holder = _client(client, "10.0.0.7")
    assert _try(holder, "rita", PASSWORD) == 303  # her phone: now a known device for her account
    holder.post("/logout", data={"csrf_token": csrf_of(holder.get("/account").text)})

    attacker = _client(client, "203.0.113.9")
    answers = [_try(attacker, "rita", f"guess {n}") for n in range(30)]
    assert answers[:10] == [401] * 10 and set(answers[12:]) == {429}  # throttled: brute force stays slow
    botnet = [_try(_client(client, f"198.51.100.{n}"), "rita", f"guess {n}") for n in range(12)]
    assert 429 in botnet  # guessing from many addresses shares one bucket for the account

    assert _try(holder, "rita", PASSWORD) == 303  # the account holder is not locked out
    assert holder.get("/review").status_code == 200


def test_a_known_device_has_its_own_limit_and_a_right_password_spends_nothing(
    client: TestClient, web_store: Store
) -> None:
    add_account(web_store, "juan", accounts.VOLUNTEER)
    phone = _client(client, "10.0.0.8")
    for _ in range(15):  # many right logins: never throttled by the account's failure bucket
        assert _try(phone, "juan", PASSWORD) == 303
    answers = [_try(phone, "juan", "wrong password") for _ in range(14)]
    assert answers[0] == 401 and answers[-1] == 429  # the known device itself is still limited
