"""One handler answers every refusal: a catalog error with its status in the page's language, any UserError 422."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from testigo.errors import TestigoError, UserError
from testigo.web.decisions import DecisionError
from testigo.web.i18n import CatalogError
from testigo.web.problems import Problem


def _raising(client: TestClient, path: str, error: Exception) -> None:
    """Add a route to the app under test that raises `error`."""

    def route() -> None:
        raise error

    assert isinstance(client.app, FastAPI)
    client.app.add_api_route(path, route)


def test_a_catalog_error_has_a_default_status_that_a_raise_site_overrides() -> None:
    assert isinstance(CatalogError("plain", text="x"), UserError)
    assert CatalogError("plain", text="x").status_code == 422
    assert DecisionError("decision_typed_twice").status_code == 409
    assert DecisionError("decision_say_why", status_code=422).status_code == 422
    assert str(DecisionError("decision_say_why", status_code=422)).startswith("say why")  # English for logs


def test_a_catalog_error_is_answered_with_its_status_in_the_language_of_the_request(client: TestClient) -> None:
    _raising(client, "/api/v1/test-decision", DecisionError("decision_typed_twice"))
    _raising(client, "/test-decision", DecisionError("decision_typed_twice"))
    english = client.get("/api/v1/test-decision?lang=en")
    assert english.status_code == 409 and "typed" in english.json()["detail"]
    spanish = client.get("/api/v1/test-decision")
    assert spanish.status_code == 409 and spanish.json()["detail"] != english.json()["detail"]
    page = client.get("/test-decision")
    assert page.status_code == 409 and spanish.json()["detail"] in page.text
    assert page.headers["content-type"].startswith("text/html") and page.headers["cache-control"] == "no-store"


def test_a_problem_keeps_its_headers(client: TestClient) -> None:
    _raising(client, "/api/v1/test-problem", Problem(429, "err_rate_limited", headers={"Retry-After": "7"}))
    answer = client.get("/api/v1/test-problem")
    assert answer.status_code == 429 and answer.headers["retry-after"] == "7"


def test_any_other_user_error_is_answered_422_with_its_text(client: TestClient) -> None:
    _raising(client, "/api/v1/test-user-error", UserError("no such workspace"))
    _raising(client, "/test-user-error", UserError("no such workspace"))
    assert client.get("/api/v1/test-user-error").json() == {"detail": "no such workspace"}
    assert client.get("/api/v1/test-user-error").status_code == 422
    page = client.get("/test-user-error")
    assert page.status_code == 422 and "no such workspace" in page.text


def test_an_error_that_is_not_the_users_surfaces_as_a_bug(client: TestClient) -> None:
    _raising(client, "/api/v1/test-bug", TestigoError("settled twice"))
    with pytest.raises(TestigoError):
        client.get("/api/v1/test-bug")
