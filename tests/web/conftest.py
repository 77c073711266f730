"""Fixtures for the web application: a workspace, the app under TestClient, accounts and acta images."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import segno
from fastapi.testclient import TestClient
from PIL import Image

from testigo.config import WebSettings
from testigo.domain import Registry
from testigo.store.workspace import Store, init_workspace, open_workspace
from testigo.web import accounts, create_app
from tests.conftest import payload_for

PASSWORD = "a long enough password"


@pytest.fixture(scope="session")
def template_workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Registry]:
    """An empty workspace made once, with its registry as read back from the database."""
    folder = tmp_path_factory.mktemp("template") / "ws"
    made = init_workspace(str(folder))
    registry = made.registry
    made.close()
    return folder, registry


@pytest.fixture
def web_store(tmp_path: Path, template_workspace: tuple[Path, Registry]) -> Iterator[Store]:
    """A fresh SQLite workspace (decisions are also tested on PostgreSQL, in test_decisions).

    Copied from the template rather than created, and handed the template's
    registry (identical, never modified) rather than reading 24,560 mesas back
    again: a second saved per test, for tests that are about the web layer.
    """
    folder, registry = template_workspace
    shutil.copytree(folder, tmp_path / "ws")
    opened = open_workspace(str(tmp_path / "ws"))
    opened._registry = registry
    yield ready(opened)
    opened.close()


def ready(store: Store) -> Store:
    """The store with its profile loaded: a first load inside a write transaction waits on SQLite's lock."""
    assert store.profile is not None
    return store


def web_settings(**overrides: object) -> WebSettings:
    """Decoding in a thread (no process pool to start) and quick checkpoints: fast, same code paths."""
    base: dict[str, object] = {"decode_workers": 0, "checkpoint_seconds": 0.2, "results_refresh_seconds": 0.0}
    return WebSettings(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def make_client(web_store: Store) -> Iterator[Callable[..., TestClient]]:
    """Builds clients of one app: a client per person, each with its own cookies.

    The first client runs the app's lifespan (the upload reader and the
    checkpoint signer), which the others share.
    """
    clients: list[TestClient] = []

    def make(**settings: object) -> TestClient:
        if not clients:
            clients.append(TestClient(create_app(web_store, web_settings(**settings)), base_url="https://testserver"))
            clients[0].__enter__()
            return clients[0]
        clients.append(TestClient(clients[0].app, base_url="https://testserver"))
        return clients[-1]

    yield make
    if clients:
        clients[0].__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def add_account(store: Store, username: str, role: str) -> accounts.Account:
    return accounts.accept_invitation(store, accounts.invite(store, role), username, PASSWORD)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf[_-]token" (?:value|content)="([0-9a-f]{64})"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def log_in(client: TestClient, store: Store, username: str, role: str) -> str:
    """Create the account, log the client in through the form; returns the session's CSRF token."""
    add_account(store, username, role)
    page = client.get("/login")
    form = {"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    response = client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/account").text)


def qr_png(payload: str) -> bytes:
    """A clean PNG of a QR code: decodes instantly, so API tests exercise the web layer, not the reader."""
    out = io.BytesIO()
    segno.make(payload, error="m").save(out, kind="png", scale=6, border=4)
    return out.getvalue()


def acta_png(mesa_id: str, **votes: int) -> bytes:
    return qr_png(payload_for(mesa_id, **votes))


def blank_png(side: int = 300) -> bytes:
    """A photo with no QR code at all: an unreadable sheet (each `side` a different file)."""
    out = io.BytesIO()
    Image.new("L", (side, 400), 255).save(out, "PNG")
    return out.getvalue()
